// The operators' workbook (Azure portal > Application Insights > Workbooks): the Function App's instances, memory
// working set and executions (platform metrics), connects per hour, failures by reason, p50/p95 of Complete and of
// each upstream call, refusals by kind. Its queries are in workbook.json; the names they use are checked against the
// code (Monitoring/MonitoringNamesTests) and the queries' column types (Monitoring/KqlQueryTests) by
// RingCentralOAuthFunctions.Tests. The Application Insights component is the workbook's default resource.

param location string
param tags object

@description('Name of the Application Insights component the workbook reads.')
param applicationInsightsName string

@description('Display name of the workbook in the portal.')
param displayName string

@description('Name of the Function App whose platform metrics the workbook shows.')
param functionAppName string

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource functionApp 'Microsoft.Web/sites@2025-03-01' existing = {
  name: functionAppName
}

// workbook.json names the Function App as __FUNCTION_APP_ID__ (its platform-metric tiles); the default resource
// (fallbackResourceIds) is the Application Insights component, so the workbook opens on it from anywhere.
var content = union(json(replace(string(loadJsonContent('workbook.json')), '__FUNCTION_APP_ID__', functionApp.id)), {
  fallbackResourceIds: [
    applicationInsights.id
  ]
})

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(applicationInsights.id, 'ringcentral-oauth-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    sourceId: applicationInsights.id
    version: 'Notebook/1.0'
    serializedData: string(content)
  }
}
