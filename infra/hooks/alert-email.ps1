# azd preprovision hook (azure.yaml) for Windows: the same as alert-email.sh. Asks once per azd environment where
# the alerts are e-mailed and stores the answer as ALERT_EMAIL_ADDRESS (empty: alerts show in the portal only).
$ErrorActionPreference = 'Stop'
$values = azd env get-values 2>$null
if ($values -match '^ALERT_EMAIL_ADDRESS="?[^"\s]') { exit 0 }
if ($values -match '^ALERT_EMAIL_ADDRESS=') {
  Write-Host 'Alert e-mail: none (ALERT_EMAIL_ADDRESS is empty): alerts fire and show in the portal only.'
  exit 0
}
$address = Read-Host 'E-mail address for the alerts (empty: none, alerts then show in the portal only)'
azd env set ALERT_EMAIL_ADDRESS "$address"
