// The operators' workbook (Azure portal > Application Insights > Workbooks): connects per hour, failures by
// reason, p50/p95 of Complete and of each upstream call, refusals by kind. Its queries are in workbook.json; the
// names they use are checked against the code by RingCentralOAuthFunctions.Tests (Monitoring/MonitoringNamesTests).

param location string
param tags object

@description('Name of the Application Insights component the workbook reads.')
param applicationInsightsName string

@description('Display name of the workbook in the portal.')
param displayName string

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

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
    serializedData: string(loadJsonContent('workbook.json'))
  }
}
