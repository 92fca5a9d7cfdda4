// Parameters for infra/main.bicep.
//
// azd (azd up / azd provision) uses this file automatically and exposes the azd environment
// (.azure/<env>/.env, set with `azd env set NAME value`) as environment variables, so every value
// below can come from there. With `az deployment group create ... -p infra/main.bicepparam`,
// export the same variables in your shell or edit the fallbacks. The fallbacks in <angle brackets>
// are placeholders: set RINGCENTRAL_CLIENT_ID and SUPABASE_URL before deploying.
//
// No secrets here: they are set in Key Vault after deployment (docs/deploy.md).
using 'main.bicep'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME', 'rcoauth-prod')

param ringCentralServerUrl = readEnvironmentVariable('RINGCENTRAL_SERVER_URL', 'https://platform.ringcentral.com')
param ringCentralClientId = readEnvironmentVariable('RINGCENTRAL_CLIENT_ID', '<ringcentral-client-id>')
param supabaseUrl = readEnvironmentVariable('SUPABASE_URL', 'https://<project-ref>.supabase.co')
param appRedirectUrl = readEnvironmentVariable('OAUTH_APP_REDIRECT_URL', 'https://erp.rebar.shop/integrations/callback')

// Comma-separated list, e.g. CORS_ALLOWED_ORIGINS=https://erp.rebar.shop,https://staging.erp.rebar.shop
param corsAllowedOrigins = split(readEnvironmentVariable('CORS_ALLOWED_ORIGINS', 'https://erp.rebar.shop'), ',')

// Optional: object id of the person (or pipeline) who sets the Key Vault secrets; it gets
// Key Vault Secrets Officer on the vault. Leave empty to grant that role by hand instead.
param keyVaultOperatorPrincipalId = readEnvironmentVariable('KEY_VAULT_OPERATOR_PRINCIPAL_ID', '')
param keyVaultOperatorPrincipalType = readEnvironmentVariable('KEY_VAULT_OPERATOR_PRINCIPAL_TYPE', 'User')

// Monitoring (docs/deploy.md, "Operate"): where alerts are e-mailed (azd's preprovision hook asks for it; empty = no
// e-mail, alerts show in the portal only), and the telemetry path (OpenTelemetry, or ApplicationInsights for the SDK path).
param alertEmailAddress = readEnvironmentVariable('ALERT_EMAIL_ADDRESS', '')
param telemetryMode = readEnvironmentVariable('TELEMETRY_MODE', 'OpenTelemetry')

// Scale and cold start (docs/deploy.md, "Scale and cold start"): the scale-out cap and always-ready instances.
param maximumInstanceCount = int(readEnvironmentVariable('MAXIMUM_INSTANCE_COUNT', '10'))
param alwaysReadyHttpInstances = int(readEnvironmentVariable('ALWAYS_READY_HTTP_INSTANCES', '0'))

// Redeploy after `azd down` (docs/deploy.md): KEY_VAULT_CREATE_MODE=recover brings the soft-deleted vault back.
param keyVaultCreateMode = readEnvironmentVariable('KEY_VAULT_CREATE_MODE', 'default')
