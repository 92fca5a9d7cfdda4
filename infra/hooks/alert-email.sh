#!/bin/sh
# azd preprovision hook (azure.yaml): asks once per azd environment where the alerts are e-mailed, and stores the
# answer as ALERT_EMAIL_ADDRESS (infra/main.bicepparam reads it). An empty answer is stored too: no action group is
# created, the alerts still fire and show in the portal (Azure Monitor > Alerts), and nobody is notified.
# To change it later: azd env set ALERT_EMAIL_ADDRESS <address>   (or "" for none), then azd provision.
set -eu

if [ -n "$(azd env get-value ALERT_EMAIL_ADDRESS 2>/dev/null || true)" ]; then
  exit 0
fi
if azd env get-values 2>/dev/null | grep -q '^ALERT_EMAIL_ADDRESS='; then
  echo "Alert e-mail: none (ALERT_EMAIL_ADDRESS is empty): alerts fire and show in the portal only." >&2
  exit 0
fi

if [ -t 0 ]; then
  printf 'E-mail address for the alerts (empty: none, alerts then show in the portal only): ' >&2
  read -r address || address=""
else
  address=""
  echo "ALERT_EMAIL_ADDRESS is not set and there is no terminal to ask: no alert e-mails (azd env set ALERT_EMAIL_ADDRESS <address>)." >&2
fi
azd env set ALERT_EMAIL_ADDRESS "$address"
