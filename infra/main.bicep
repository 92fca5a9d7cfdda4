// RingCentral OAuth Functions: Azure infrastructure (resource-group scope).
//
//   azd up                      -> uses infra/main.bicepparam (values from the azd environment)
//   az deployment group create -g <rg> -f infra/main.bicep -p infra/main.bicepparam
//
// Secrets are not parameters. They live in the Key Vault created here and are set by the operator
// after deployment: ringcentral-client-secret, supabase-service-role-key, oauth-state-key and
// (optional) supabase-jwt-secret, and (optional, all three or none) ringcentral-shared-jwt,
// ringcentral-shared-jwt-client-id, ringcentral-shared-jwt-client-secret. See docs/deploy.md.
targetScope = 'resourceGroup'

// ---------------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------------

@minLength(1)
@maxLength(64)
@description('Environment name (azd: AZURE_ENV_NAME). Seeds the unique resource-name suffix and the azd-env-name tag.')
param environmentName string

@description('Region for all resources. Must offer the Flex Consumption plan.')
param location string = resourceGroup().location

@maxLength(60)
@description('Optional Function App name. Empty = generated. It appears in the callback URL registered with RingCentral, so keep it stable.')
param functionAppName string = ''

@description('RingCentral platform base URL (production or https://platform.devtest.ringcentral.com).')
param ringCentralServerUrl string = 'https://platform.ringcentral.com'

@minLength(1)
@description('RingCentral app Client ID (public identifier, not a secret). The client secret goes to Key Vault.')
param ringCentralClientId string

@minLength(1)
@description('Supabase project URL, e.g. https://<project-ref>.supabase.co. The service role key goes to Key Vault.')
param supabaseUrl string

@description('ERP page the OAuth popup returns to when the flow ends.')
param appRedirectUrl string = 'https://erp.rebar.shop/integrations/callback'

@minLength(1)
@description('Browser origins allowed to call the API (platform CORS and the app\'s own Cors__AllowedOrigins).')
param corsAllowedOrigins string[] = [
  'https://erp.rebar.shop'
]

@allowed([
  512
  2048
  4096
])
@description('Flex Consumption instance memory size (MB). 512: the worker peaks at about 140 MB under load (docs/benchmarks.md); see docs/deploy.md.')
param instanceMemoryMB int = 512

// 1 is Flex Consumption's minimum today, 1000 its maximum. The default of 10 is a cap for the upstreams, not for
// the traffic (a connect is a person in a popup): RingCentral's limits are per user and app (its "Auth" group, the
// token endpoint, allows 5 requests per user per minute) plus unpublished per-IP and per-account defensive limits, and
// Supabase's PostgREST serves every call through the project's fixed database connection pool (sized by its compute
// add-on). More instances add no quota there, only a harder burst. See docs/deploy.md ("Scale and cold start").
@minValue(1)
@maxValue(1000)
@description('Flex Consumption scale-out limit (instances). See docs/deploy.md, "Scale and cold start".')
param maximumInstanceCount int = 10

@minValue(0)
@maxValue(20)
@description('Always-ready instances for the HTTP functions (Flex Consumption "http" group). 0 = scale to zero (cold starts, no baseline cost); each instance is billed as a baseline while idle, see docs/deploy.md.')
param alwaysReadyHttpInstances int = 0

@description('Grant Storage Queue Data Contributor on the host storage to the app identity. Off: the app has only HTTP triggers (Microsoft\'s Flex sample turns it off too); needed only for queue triggers or bindings.')
param enableQueueStorageRole bool = false

@description('Grant Storage Table Data Contributor on the host storage to the app identity. Off: not used by an HTTP-only app; needed only for table bindings.')
param enableTableStorageRole bool = false

@description('Key Vault purge protection (irreversible once on). Recommended for production.')
param enableKeyVaultPurgeProtection bool = true

@allowed([
  'default'
  'recover'
])
@description('default creates (or updates) the vault; recover brings back a soft-deleted vault of the same name with its secrets, e.g. after `azd down` (docs/deploy.md, "Redeploy after azd down"). Set back to default after that deployment.')
param keyVaultCreateMode string = 'default'

@description('Optional object id of the operator who will set the Key Vault secrets; gets Key Vault Secrets Officer on the vault. Empty = grant it manually.')
param keyVaultOperatorPrincipalId string = ''

@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
@description('Principal type of keyVaultOperatorPrincipalId.')
param keyVaultOperatorPrincipalType string = 'User'

@minValue(30)
@maxValue(730)
@description('Log Analytics retention (days).')
param logRetentionInDays int = 30

// Monitoring (docs/deploy.md, "Operate"). Every part can be switched off.

@allowed([
  'OpenTelemetry'
  'ApplicationInsights'
])
@description('Telemetry path of host and worker (app setting AzureFunctionsJobHost__telemetryMode). OpenTelemetry exports spans and customMetrics; ApplicationInsights is the SDK path (logs and requests only): the metric-based alerts are then not deployed and the workbook\'s metric panels stay empty.')
param telemetryMode string = 'OpenTelemetry'

@description('E-mail address for alert notifications (azd asks for it before provisioning). Empty = no action group: alerts still fire and show in the portal (Monitor > Alerts), but nobody is notified.')
param alertEmailAddress string = ''

@description('Alert on every ConnectRollbackUncertain (a save with no answer: the row may hold revoked tokens), BackgroundTaskFailed (owed revocations not retried) and UnexpectedError.')
param enableCriticalEventAlerts bool = true

@description('Alert when the share of 5xx answers (health probes excluded) over 15 minutes is above serverErrorPercentThreshold.')
param enableServerErrorAlert bool = true

@minValue(1)
@maxValue(100)
@description('Percent of requests answered 5xx in 15 minutes that fires the 5xx alert.')
param serverErrorPercentThreshold int = 5

@minValue(1)
@description('Requests needed in 15 minutes before the 5xx share is judged.')
param serverErrorMinimumRequests int = 10

@description('Failure Anomalies smart detector on Application Insights.')
param enableFailureAnomalies bool = true

@description('Alert when the share of failed connects over 15 minutes is above failedConnectPercentThreshold.')
param enableFailedConnectAlert bool = true

@minValue(1)
@maxValue(100)
@description('Failed share (percent of finished connects in 15 minutes) that fires the failed-connects alert.')
param failedConnectPercentThreshold int = 20

@minValue(1)
@description('Finished connects needed in 15 minutes before the failed share is judged.')
param failedConnectMinimumCount int = 5

@description('Alert when RingCentral or Supabase is unavailable several times in 5 minutes.')
param enableUpstreamAlert bool = true

@minValue(1)
@description('Unavailable answers from one upstream within 5 minutes that fire the upstream alert.')
param upstreamUnavailableThreshold int = 3

@description('Alert while a Key Vault secret cannot be read.')
param enableKeyVaultAlert bool = true

@description('Standard availability test of /api/health, with an alert when it fails from all but two of the locations (Microsoft\'s guidance).')
param enableHealthTest bool = true

@minLength(3)
@description('Availability test locations (Azure ids); the alert fires when (count - 2) of them fail.')
param healthTestLocations string[] = [
  'us-va-ash-azr'
  'us-ca-sjc-azr'
  'us-tx-sn1-azr'
  'us-il-ch1-azr'
  'emea-nl-ams-azr'
]

@description('Deploy the operators\' workbook (instances, memory, executions, connects, failures, latency, refusals).')
param enableWorkbook bool = true

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
  application: 'ringcentral-oauth-functions'
}
var names = {
  identity: 'id-rcoauth-${resourceToken}'
  plan: 'plan-rcoauth-${resourceToken}'
  functionApp: !empty(functionAppName) ? functionAppName : 'func-rcoauth-${resourceToken}'
  storage: 'st${resourceToken}'
  keyVault: 'kv-${resourceToken}'
  logAnalytics: 'log-rcoauth-${resourceToken}'
  applicationInsights: 'appi-rcoauth-${resourceToken}'
}
var deploymentContainerName = 'app-package'

// Route of the RingCentral redirect target: Functions' default 'api' prefix + the function route.
var ringCentralCallbackPath = '/api/ringcentral/callback'

// ---------------------------------------------------------------------------------------------
// Resources
// ---------------------------------------------------------------------------------------------

// One user-assigned identity for everything: host storage, deployment package, Key Vault, App Insights.
resource appIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: names.identity
  location: location
  tags: tags
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    tags: tags
    logAnalyticsName: names.logAnalytics
    applicationInsightsName: names.applicationInsights
    retentionInDays: logRetentionInDays
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    tags: tags
    name: names.storage
    deploymentContainerName: deploymentContainerName
  }
}

module keyVault 'app/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    tags: tags
    name: names.keyVault
    enablePurgeProtection: enableKeyVaultPurgeProtection
    createMode: keyVaultCreateMode
  }
}

module storageRoles 'rbac/storage-roles.bicep' = {
  name: 'rbac-storage'
  params: {
    storageAccountName: storage.outputs.name
    principalId: appIdentity.properties.principalId
    enableQueue: enableQueueStorageRole
    enableTable: enableTableStorageRole
  }
}

module monitoringRoles 'rbac/monitoring-roles.bicep' = {
  name: 'rbac-monitoring'
  params: {
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    principalId: appIdentity.properties.principalId
  }
}

module keyVaultRoles 'rbac/keyvault-roles.bicep' = {
  name: 'rbac-keyvault'
  params: {
    keyVaultName: keyVault.outputs.name
    appPrincipalId: appIdentity.properties.principalId
    operatorPrincipalId: keyVaultOperatorPrincipalId
    operatorPrincipalType: keyVaultOperatorPrincipalType
  }
}

module functionApp 'app/function-app.bicep' = {
  name: 'function-app'
  params: {
    location: location
    tags: tags
    planName: names.plan
    name: names.functionApp
    serviceName: 'api'
    identityId: appIdentity.id
    identityClientId: appIdentity.properties.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    corsAllowedOrigins: corsAllowedOrigins
    callbackPath: ringCentralCallbackPath
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    alwaysReadyHttpInstances: alwaysReadyHttpInstances
    // The app's own settings. OAuth__CallbackUrl and the host settings (AzureWebJobsStorage__*,
    // APPLICATIONINSIGHTS_*, AZURE_CLIENT_ID) are added by the module.
    appSettings: {
      RingCentral__ServerUrl: ringCentralServerUrl
      RingCentral__ClientId: ringCentralClientId
      Supabase__Url: supabaseUrl
      OAuth__AppRedirectUrl: appRedirectUrl
      Cors__AllowedOrigins: join(corsAllowedOrigins, ',')
      KeyVault__Uri: keyVault.outputs.uri
      KeyVault__ManagedIdentityClientId: appIdentity.properties.clientId
      // The worker's own log levels (host.json governs only the host): the app's events at Information,
      // the framework's chatter at Warning, so Application Insights gets the events the Operate queries use.
      Logging__LogLevel__Default: 'Warning'
      Logging__LogLevel__RingCentralOAuthFunctions: 'Information'
      // One setting for host (overrides host.json) and worker (Program.cs): OpenTelemetry or ApplicationInsights.
      AzureFunctionsJobHost__telemetryMode: telemetryMode
    }
  }
  // The identity must hold its storage/monitoring/vault roles before the host starts with these settings.
  dependsOn: [
    storageRoles
    monitoringRoles
    keyVaultRoles
  ]
}

module alerts 'app/alerts.bicep' = {
  name: 'alerts'
  params: {
    location: location
    tags: tags
    namePrefix: 'rcoauth-${resourceToken}'
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    alertEmailAddress: alertEmailAddress
    telemetryMode: telemetryMode
    enableCriticalEventAlerts: enableCriticalEventAlerts
    enableServerErrorAlert: enableServerErrorAlert
    serverErrorPercentThreshold: serverErrorPercentThreshold
    serverErrorMinimumRequests: serverErrorMinimumRequests
    enableFailureAnomalies: enableFailureAnomalies
    enableFailedConnectAlert: enableFailedConnectAlert
    failedConnectPercentThreshold: failedConnectPercentThreshold
    failedConnectMinimumCount: failedConnectMinimumCount
    enableUpstreamAlert: enableUpstreamAlert
    upstreamUnavailableThreshold: upstreamUnavailableThreshold
    enableKeyVaultAlert: enableKeyVaultAlert
    enableHealthTest: enableHealthTest
    healthUrl: 'https://${functionApp.outputs.defaultHostName}/api/health'
    healthTestLocations: healthTestLocations
  }
}

module workbook 'app/workbook.bicep' = if (enableWorkbook) {
  name: 'workbook'
  params: {
    location: location
    tags: tags
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    functionAppName: functionApp.outputs.name
    displayName: 'RingCentral OAuth (${environmentName})'
  }
}

// ---------------------------------------------------------------------------------------------
// Outputs (azd stores them in .azure/<env>/.env)
// ---------------------------------------------------------------------------------------------

@description('Function App name (target of func azure functionapp publish).')
output FUNCTION_APP_NAME string = functionApp.outputs.name

@description('Function App default host name.')
output FUNCTION_APP_DEFAULT_HOST_NAME string = functionApp.outputs.defaultHostName

@description('Paste exactly this into the RingCentral developer portal as the OAuth Redirect URI.')
output RINGCENTRAL_CALLBACK_URL string = functionApp.outputs.callbackUrl

@description('Key Vault that holds the app secrets.')
output KEY_VAULT_NAME string = keyVault.outputs.name

@description('Key Vault URI (KeyVault__Uri).')
output KEY_VAULT_URI string = keyVault.outputs.uri

@description('Application Insights component (for the troubleshooting queries in docs/deploy.md).')
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
