// Application Insights has local (instrumentation-key) auth disabled, so the app's identity needs
// Monitoring Metrics Publisher on the component to send telemetry with an Entra token.
import { builtInRoleIds } from 'role-ids.bicep'

@description('Name of the existing Application Insights component.')
param applicationInsightsName string

@description('Principal (object) id of the user-assigned managed identity.')
param principalId string

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, principalId, builtInRoleIds.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoleIds.monitoringMetricsPublisher)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
