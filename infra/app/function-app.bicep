// Flex Consumption (FC1, Linux) plan + .NET isolated Function App running as a user-assigned identity.
// All app settings are written by the 'appsettings' config resource below, because OAuth__CallbackUrl
// needs the site's own default host name (which only exists once the site is created).

param location string
param tags object

@description('Flex Consumption plan name.')
param planName string

@description('Function App name.')
param name string

@description('azd service name; azd finds the deploy target through the azd-service-name tag.')
param serviceName string

@description('Resource id of the user-assigned managed identity.')
param identityId string

@description('Client id of the user-assigned managed identity.')
param identityClientId string

@description('Name of the host storage account (AzureWebJobsStorage, identity-based).')
param storageAccountName string

@description('Full URL of the blob container that holds the deployment package.')
param deploymentContainerUrl string

@description('Name of the Application Insights component.')
param applicationInsightsName string

@description('Origins allowed by the platform CORS layer.')
param corsAllowedOrigins string[]

@description('Path of the RingCentral OAuth callback function (route prefix included).')
param callbackPath string

@description('Application settings of the app itself (the platform/host settings are added here).')
param appSettings object

@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int

@minValue(1)
@maxValue(1000)
param maximumInstanceCount int

@minValue(0)
@description('Always-ready instances of the "http" function group (all HTTP triggers); 0 = none.')
param alwaysReadyHttpInstances int

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true // Linux
  }
}

resource functionApp 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    publicNetworkAccess: 'Enabled'
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      cors: {
        allowedOrigins: corsAllowedOrigins
        supportCredentials: false
      }
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        alwaysReady: alwaysReadyHttpInstances > 0
          ? [
              {
                name: 'http'
                instanceCount: alwaysReadyHttpInstances
              }
            ]
          : []
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }
}

// No basic-auth (publishing credentials) for FTP or SCM: deployments use Entra tokens.
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: functionApp
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: functionApp
  name: 'scm'
  properties: {
    allow: false
  }
}

var callbackUrl = 'https://${functionApp.properties.defaultHostName}${callbackPath}'

// Host/platform settings. Flex Consumption takes the runtime from functionAppConfig, so
// FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION must not be set.
var hostSettings = {
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  AZURE_CLIENT_ID: identityClientId
}

resource siteAppSettings 'Microsoft.Web/sites/config@2025-03-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: union(appSettings, hostSettings, {
    OAuth__CallbackUrl: callbackUrl
  })
}

output name string = functionApp.name
output defaultHostName string = functionApp.properties.defaultHostName
output callbackUrl string = callbackUrl
