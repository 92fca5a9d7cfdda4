// Alerts on the app's telemetry in Application Insights, each switchable. Names the queries use (metrics, their
// dimensions, log event names) are checked against the code by RingCentralOAuthFunctions.Tests
// (Monitoring/MonitoringNamesTests). What each alert means and what to check first: docs/deploy.md, "Operate".

param location string
param tags object

@description('Name prefix of the alert resources.')
param namePrefix string

@description('Name of the Application Insights component the alerts read.')
param applicationInsightsName string

@description('E-mail address that receives the alerts. Empty = no action group (alerts still fire and show in the portal).')
param alertEmailAddress string

@description('Alert when the share of failed connects over 15 minutes is above failedConnectPercentThreshold.')
param enableFailedConnectAlert bool

@minValue(1)
@maxValue(100)
@description('Percent of finished connects (succeeded + failed) that failed, over 15 minutes, above which the alert fires.')
param failedConnectPercentThreshold int

@minValue(1)
@description('Finished connects needed in the 15 minutes before the share counts (one failure out of one is not a trend).')
param failedConnectMinimumCount int

@description('Alert when RingCentral or Supabase (PostgREST, JWKS) is unavailable several times within 5 minutes.')
param enableUpstreamAlert bool

@minValue(1)
@description('Unavailable answers (no answer, timeout, 5xx, 429) from one upstream within 5 minutes that fire the alert.')
param upstreamUnavailableThreshold int

@description('Alert when a Key Vault secret cannot be read.')
param enableKeyVaultAlert bool

@description('Standard availability test of the health URL, with an alert when it fails from two or more locations.')
param enableHealthTest bool

@description('Public URL of GET /api/health.')
param healthUrl string

@description('Availability test locations (ids such as us-va-ash-azr).')
param healthTestLocations string[]

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmailAddress)) {
  name: 'ag-${namePrefix}'
  location: 'Global'
  tags: tags
  properties: {
    enabled: true
    groupShortName: 'rcoauth'
    emailReceivers: [
      {
        name: 'operator'
        emailAddress: alertEmailAddress
        useCommonAlertSchema: true
      }
    ]
  }
}

var actionGroupIds = empty(alertEmailAddress) ? [] : [actionGroup.id]

// ---------------------------------------------------------------------------------------------
// Queries (Kusto, Application Insights tables). `let` lines with the thresholds are put in front.
// ---------------------------------------------------------------------------------------------

var failedConnectQuery = '''
customMetrics
| where name == 'ringcentral.connect.outcomes'
| extend outcome = tostring(customDimensions['outcome'])
| summarize failed = sumif(valueSum, outcome == 'failed'), finished = sumif(valueSum, outcome in ('succeeded', 'failed'))
| where finished >= minimumFinished and failed * 100.0 / finished > thresholdPercent
| project failed, finished, failedPercent = round(failed * 100.0 / finished, 1)
'''

var upstreamQuery = '''
customMetrics
| where name == 'ringcentral.upstream.duration'
| extend upstream = tostring(customDimensions['upstream']), outcome = tostring(customDimensions['outcome'])
| where upstream in ('ringcentral', 'supabase_rest', 'supabase_jwks') and outcome == 'unavailable'
| summarize unavailable = sum(valueCount) by upstream
| where unavailable >= threshold
'''

var keyVaultQuery = '''
traces
| where tostring(customDimensions['EventName']) == 'SecretUnavailable'
| summarize events = count(), secrets = make_set(tostring(customDimensions['SecretName'])), reasons = make_set(tostring(customDimensions['Reason']))
| where events > 0
'''

resource failedConnectAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = if (enableFailedConnectAlert) {
  name: 'alert-${namePrefix}-failed-connects'
  location: location
  tags: tags
  properties: {
    displayName: 'RingCentral connects failing'
    description: 'More than ${failedConnectPercentThreshold}% of finished connects failed in 15 minutes (at least ${failedConnectMinimumCount} finished). See docs/deploy.md, Operate.'
    severity: 2
    enabled: true
    scopes: [
      applicationInsights.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: 'let minimumFinished = ${failedConnectMinimumCount};\nlet thresholdPercent = ${failedConnectPercentThreshold};\n${failedConnectQuery}'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: actionGroupIds
    }
  }
}

resource upstreamAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = if (enableUpstreamAlert) {
  name: 'alert-${namePrefix}-upstream-unavailable'
  location: location
  tags: tags
  properties: {
    displayName: 'RingCentral or Supabase unavailable'
    description: 'One upstream (RingCentral, Supabase PostgREST or JWKS) gave no usable answer ${upstreamUnavailableThreshold} or more times in 5 minutes. See docs/deploy.md, Operate.'
    severity: 2
    enabled: true
    scopes: [
      applicationInsights.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      allOf: [
        {
          query: 'let threshold = ${upstreamUnavailableThreshold};\n${upstreamQuery}'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          dimensions: [
            {
              name: 'upstream'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: actionGroupIds
    }
  }
}

resource keyVaultAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = if (enableKeyVaultAlert) {
  name: 'alert-${namePrefix}-secrets-unreadable'
  location: location
  tags: tags
  properties: {
    displayName: 'Key Vault secrets unreadable'
    description: 'The app could not read a secret from Key Vault (SecretUnavailable). Until it can, affected calls answer 503 and /api/health names the secret. See docs/deploy.md, Operate.'
    severity: 1
    enabled: true
    scopes: [
      applicationInsights.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: keyVaultQuery
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: actionGroupIds
    }
  }
}

// Standard availability test: GET /api/health from several Azure locations every 5 minutes; 200 expected
// (503 = unhealthy: a setting or secret is missing).
resource healthTest 'Microsoft.Insights/webtests@2022-06-15' = if (enableHealthTest) {
  name: 'webtest-${namePrefix}-health'
  location: location
  tags: union(tags, {
    'hidden-link:${applicationInsights.id}': 'Resource'
  })
  kind: 'standard'
  properties: {
    SyntheticMonitorId: 'webtest-${namePrefix}-health'
    Name: 'health'
    Description: 'GET /api/health answers 200 {"status":"ok"}'
    Enabled: true
    Frequency: 300
    Timeout: 30
    Kind: 'standard'
    RetryEnabled: true
    Locations: [for id in healthTestLocations: {
      Id: id
    }]
    Request: {
      RequestUrl: healthUrl
      HttpVerb: 'GET'
      ParseDependentRequests: false
    }
    ValidationRules: {
      ExpectedHttpStatusCode: 200
      IgnoreHttpStatusCode: false
      SSLCheck: true
      SSLCertRemainingLifetimeCheck: 7
    }
  }
}

resource healthAlert 'Microsoft.Insights/metricAlerts@2018-03-01' = if (enableHealthTest) {
  name: 'alert-${namePrefix}-health'
  location: 'global'
  tags: tags
  properties: {
    description: '/api/health failed from 2 or more test locations within 5 minutes: the app is down or answers 503 (a setting or secret is missing). See docs/deploy.md, Operate.'
    severity: 1
    enabled: true
    scopes: [
      healthTest.id
      applicationInsights.id
    ]
    evaluationFrequency: 'PT1M'
    windowSize: 'PT5M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria'
      webTestId: healthTest.id
      componentId: applicationInsights.id
      failedLocationCount: 2
    }
    autoMitigate: true
    actions: [for id in actionGroupIds: {
      actionGroupId: id
    }]
  }
}
