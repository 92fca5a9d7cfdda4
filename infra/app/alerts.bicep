// Alerts on the app's telemetry in Application Insights, each switchable. Names the queries use (metrics, their
// dimensions, log event names) are checked against the code by RingCentralOAuthFunctions.Tests
// (Monitoring/MonitoringNamesTests), and every query is checked for mixed numeric types (Monitoring/KqlQueryTests).
// What each alert means and what to check first: docs/deploy.md, "Operate".
//
// Which rules exist per telemetry mode (parameter telemetryMode):
//   both modes       : critical events (ConnectRollbackUncertain, BackgroundTaskFailed, UnexpectedError), host 5xx share, Failure Anomalies,
//                      Key Vault secrets unreadable, /api/health availability (all read `traces`/`requests`)
//   OpenTelemetry    : failed-connect share and upstream unavailable (they read `customMetrics`, which only the
//                      OpenTelemetry path writes), and "app metrics missing", which fires when the app serves calls
//                      but writes no metrics (the worker is not on the OpenTelemetry path after all)
//   ApplicationInsights: the two metric rules and the no-data rule are not deployed (they could never fire).

param location string
param tags object

@description('Name prefix of the alert resources.')
param namePrefix string

@description('Name of the Application Insights component the alerts read.')
param applicationInsightsName string

@description('E-mail address that receives the alerts. Empty = no action group (alerts still fire and show in the portal).')
param alertEmailAddress string

@allowed([
  'OpenTelemetry'
  'ApplicationInsights'
])
@description('Telemetry path of the app: decides which rules can see their data (see the header).')
param telemetryMode string

@description('Alert on every ConnectRollbackUncertain (a save with no answer: the row may hold revoked tokens), BackgroundTaskFailed (owed revocations not retried) and UnexpectedError event.')
param enableCriticalEventAlerts bool

@description('Alert when the share of 5xx answers over 15 minutes is above serverErrorPercentThreshold.')
param enableServerErrorAlert bool

@minValue(1)
@maxValue(100)
@description('Percent of requests (health probes excluded) answered 5xx in 15 minutes above which the alert fires.')
param serverErrorPercentThreshold int

@minValue(1)
@description('Requests needed in the 15 minutes before the 5xx share counts.')
param serverErrorMinimumRequests int

@description('Failure Anomalies smart detector (unusual rise of failed requests and dependency calls).')
param enableFailureAnomalies bool

@description('Alert when the share of failed connects over 15 minutes is above failedConnectPercentThreshold (OpenTelemetry mode only).')
param enableFailedConnectAlert bool

@minValue(1)
@maxValue(100)
@description('Percent of finished connects (succeeded + failed) that failed, over 15 minutes, above which the alert fires.')
param failedConnectPercentThreshold int

@minValue(1)
@description('Finished connects needed in the 15 minutes before the share counts (one failure out of one is not a trend).')
param failedConnectMinimumCount int

@description('Alert when RingCentral or Supabase (PostgREST, JWKS) is unavailable several times within 5 minutes (OpenTelemetry mode only).')
param enableUpstreamAlert bool

@minValue(1)
@description('Unavailable answers (no answer, timeout, 5xx, 429) from one upstream within 5 minutes that fire the alert.')
param upstreamUnavailableThreshold int

@description('Alert while a Key Vault secret cannot be read.')
param enableKeyVaultAlert bool

@description('Standard availability test of the health URL, with an alert when it fails from all but two locations.')
param enableHealthTest bool

@description('Public URL of GET /api/health.')
param healthUrl string

@minLength(3)
@description('Availability test locations (ids such as us-va-ash-azr). Microsoft recommends at least five.')
param healthTestLocations string[]

var openTelemetryMode = telemetryMode == 'OpenTelemetry'

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
// Connect outcomes are an allow-list ('failed', 'succeeded'): any other outcome the code adds (for example a
// callback whose state cannot be opened, `bad_request`) is not a failed connect and stays out of these alerts.
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

// The latest Key Vault state of each secret on each instance that is still sending telemetry: one row per secret
// that some live instance cannot read. SecretUnavailable is logged once per outage and SecretReadable when the
// secret is readable again, so the alert stays fired for the whole outage (auto-mitigated by SecretReadable, or when
// the instances that could not read it are gone) instead of resolving itself after one window.
var keyVaultQuery = '''
let liveInstances = union traces, requests
    | where timestamp > ago(15m)
    | distinct cloud_RoleInstance;
traces
| where tostring(customDimensions['EventName']) in ('SecretUnavailable', 'SecretReadable')
| extend state = tostring(customDimensions['EventName']), secret = tostring(customDimensions['SecretName']), reason = tostring(customDimensions['Reason'])
| summarize arg_max(timestamp, state, reason) by secret, cloud_RoleInstance
| where state == 'SecretUnavailable' and cloud_RoleInstance in (liveInstances)
| summarize instances = dcount(cloud_RoleInstance), since = min(timestamp), reasons = make_set(reason) by secret
'''

// Events that each need a look: the rule looks back 15 minutes (telemetry arrives minutes late) but counts only the
// rows ingested in the last 5, so every event is seen once although the windows overlap.
var connectSaveUncertainQuery = '''
traces
| where ingestion_time() > ago(5m)
| where tostring(customDimensions['EventName']) in ('ConnectRollbackUncertain', 'BackgroundTaskFailed')
| summarize occurrences = count(), users = make_set(tostring(customDimensions['UserId']), 20), tasks = make_set(tostring(customDimensions['Task'])) by event = tostring(customDimensions['EventName'])
'''

var unexpectedErrorQuery = '''
traces
| where ingestion_time() > ago(5m)
| where tostring(customDimensions['EventName']) == 'UnexpectedError'
| summarize occurrences = count() by endpoint = tostring(customDimensions['Endpoint'])
'''

// Every request the Functions host answered (both telemetry modes write `requests`), except the health probes:
// their 503 is a deliberate answer, covered by the availability alert.
var serverErrorQuery = '''
requests
| where url !has '/api/health'
| summarize total = count(), serverErrors = countif(toint(resultCode) >= 500)
| where total >= minimumRequests and serverErrors * 100.0 / total > thresholdPercent
| project total, serverErrors, serverErrorPercent = round(serverErrors * 100.0 / total, 1)
'''

// Calls that always write a metric when they succeed (auth-url: started; complete: succeeded or failed; status and
// disconnect: an upstream call), against the app's metrics in the same hour.
var metricsMissingQuery = '''
let answered = toscalar(requests
    | where url has '/api/ringcentral/' and url !has '/api/ringcentral/callback' and resultCode == '200'
    | count);
let metricPoints = toscalar(customMetrics
    | where name == 'ringcentral.connect.outcomes' or name == 'ringcentral.upstream.duration' or name == 'ringcentral.disconnects'
    | count);
print answered = answered, metricPoints = metricPoints
| where answered >= 3 and metricPoints == 0
'''

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

// One log-query rule. Stateless rules (autoMitigate false) notify on every evaluation that finds rows: used for
// events that each need a look. Stateful rules fire once and resolve when the query finds nothing again.
var logRules = [
  {
    key: 'save-uncertain'
    enabled: enableCriticalEventAlerts
    displayName: 'RingCentral connection may hold revoked tokens'
    description: 'ConnectRollbackUncertain: a connect\'s save got no answer from Supabase even after retries, so its new tokens were revoked; if the save landed after all, the user\'s row holds revoked tokens and the user must reconnect (check user_ringcentral_tokens for the users listed). BackgroundTaskFailed: the retry of owed revocations (or another background task) failed, so refresh tokens the service let go of may stay valid until it works again. Every occurrence notifies. See docs/deploy.md, Operate.'
    severity: 1
    frequency: 'PT5M'
    window: 'PT15M'
    query: connectSaveUncertainQuery
    dimension: 'event'
    autoMitigate: false
  }
  {
    key: 'unexpected-error'
    enabled: enableCriticalEventAlerts
    displayName: 'RingCentral OAuth unexpected error'
    description: 'UnexpectedError: an endpoint threw an exception the code did not expect (the caller got a generic 500 or an error redirect). One alert per endpoint and occurrence window; the exception is in the same operation in Application Insights. See docs/deploy.md, Operate.'
    severity: 1
    frequency: 'PT5M'
    window: 'PT15M'
    query: unexpectedErrorQuery
    dimension: 'endpoint'
    autoMitigate: false
  }
  {
    key: 'server-errors'
    enabled: enableServerErrorAlert
    displayName: 'RingCentral OAuth answers 5xx'
    description: 'More than ${serverErrorPercentThreshold}% of the requests in 15 minutes (at least ${serverErrorMinimumRequests}, health probes excluded) were answered with a 5xx status: a missing setting or secret (503), an upstream outage (503) or a host failure. See docs/deploy.md, Operate.'
    severity: 1
    frequency: 'PT5M'
    window: 'PT15M'
    query: 'let minimumRequests = ${serverErrorMinimumRequests};\nlet thresholdPercent = ${serverErrorPercentThreshold};\n${serverErrorQuery}'
    dimension: ''
    autoMitigate: true
  }
  {
    key: 'failed-connects'
    enabled: enableFailedConnectAlert && openTelemetryMode
    displayName: 'RingCentral connects failing'
    description: 'More than ${failedConnectPercentThreshold}% of finished connects failed in 15 minutes (at least ${failedConnectMinimumCount} finished; rejected callbacks such as bad_request do not count). Reads customMetrics (OpenTelemetry telemetry mode). See docs/deploy.md, Operate.'
    severity: 2
    frequency: 'PT5M'
    window: 'PT15M'
    query: 'let minimumFinished = ${failedConnectMinimumCount};\nlet thresholdPercent = ${failedConnectPercentThreshold};\n${failedConnectQuery}'
    dimension: ''
    autoMitigate: true
  }
  {
    key: 'upstream-unavailable'
    enabled: enableUpstreamAlert && openTelemetryMode
    displayName: 'RingCentral or Supabase unavailable'
    description: 'One upstream (RingCentral, Supabase PostgREST or JWKS) gave no usable answer ${upstreamUnavailableThreshold} or more times in 5 minutes. Reads customMetrics (OpenTelemetry telemetry mode). See docs/deploy.md, Operate.'
    severity: 2
    frequency: 'PT5M'
    window: 'PT5M'
    query: 'let threshold = ${upstreamUnavailableThreshold};\n${upstreamQuery}'
    dimension: 'upstream'
    autoMitigate: true
  }
  {
    key: 'metrics-missing'
    enabled: (enableFailedConnectAlert || enableUpstreamAlert) && openTelemetryMode
    displayName: 'RingCentral OAuth metrics missing (telemetry mode?)'
    description: 'The app answered calls in the last hour but wrote no metrics to customMetrics, so the failed-connect and upstream alerts are blind. The worker is not on the OpenTelemetry path: check the app setting AzureFunctionsJobHost__telemetryMode (OpenTelemetry expected) and the exporter\'s Monitoring Metrics Publisher role. See docs/deploy.md, Telemetry mode.'
    severity: 2
    frequency: 'PT1H'
    window: 'PT1H'
    query: metricsMissingQuery
    dimension: ''
    autoMitigate: true
  }
  {
    key: 'secrets-unreadable'
    enabled: enableKeyVaultAlert
    displayName: 'Key Vault secrets unreadable'
    description: 'A running instance cannot read a Key Vault secret (its latest state is SecretUnavailable; one alert per secret). Until it can, calls that need it answer 503 and /api/health answers 503. Stays fired until the instance logs SecretReadable (or is gone). See docs/deploy.md, Operate.'
    severity: 1
    frequency: 'PT5M'
    // The look-back for the latest state per secret: an outage older than a day with no event since is not seen.
    window: 'P1D'
    query: keyVaultQuery
    dimension: 'secret'
    autoMitigate: true
  }
]

resource logAlerts 'Microsoft.Insights/scheduledQueryRules@2026-03-01' = [for rule in logRules: if (rule.enabled) {
  name: 'alert-${namePrefix}-${rule.key}'
  location: location
  tags: tags
  properties: {
    displayName: rule.displayName
    description: rule.description
    severity: rule.severity
    enabled: true
    scopes: [
      applicationInsights.id
    ]
    evaluationFrequency: rule.frequency
    windowSize: rule.window
    criteria: {
      allOf: [
        {
          query: rule.query
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          dimensions: empty(rule.dimension) ? [] : [
            {
              name: rule.dimension
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
    autoMitigate: rule.autoMitigate
    actions: {
      actionGroups: actionGroupIds
    }
  }
}]

// Failure Anomalies: Application Insights' own detector of an unusual rise in failed requests and dependency calls.
resource failureAnomalies 'Microsoft.AlertsManagement/smartDetectorAlertRules@2021-04-01' = if (enableFailureAnomalies) {
  name: 'alert-${namePrefix}-failure-anomalies'
  location: 'global'
  tags: tags
  properties: {
    description: 'Failure Anomalies: an unusual rise in the rate of failed requests or dependency calls (RingCentral, Supabase, Key Vault) compared with the app\'s own history. See docs/deploy.md, Operate.'
    state: 'Enabled'
    severity: 'Sev2'
    frequency: 'PT1M'
    detector: {
      id: 'FailureAnomaliesDetector'
    }
    scope: [
      applicationInsights.id
    ]
    actionGroups: {
      groupIds: actionGroupIds
    }
  }
}

// Standard availability test: GET /api/health from several Azure locations every 5 minutes; 200 expected, judged
// by the status code only (the body's shape may change).
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
    Description: 'GET /api/health answers 200 (503 when a setting or secret is missing or a dependency check fails)'
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

// Microsoft's guidance for availability alerts: failed locations >= number of locations - 2.
var failedLocationCount = length(healthTestLocations) - 2

resource healthAlert 'Microsoft.Insights/metricAlerts@2026-01-01' = if (enableHealthTest) {
  name: 'alert-${namePrefix}-health'
  location: 'global'
  tags: tags
  properties: {
    description: '/api/health did not answer 200 from ${failedLocationCount} or more of the ${length(healthTestLocations)} test locations within 5 minutes: the app is down, not deployed or not starting, or it answers 503 because a setting or Key Vault secret is missing or unreadable, or a dependency check fails (Supabase JWKS, Supabase PostgREST with the service key, RingCentral). See docs/deploy.md, Operate.'
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
      failedLocationCount: failedLocationCount
    }
    autoMitigate: true
    actions: [for id in actionGroupIds: {
      actionGroupId: id
    }]
  }
}
