// Built-in Azure role definition ids used by this template (one place, imported by the RBAC modules).
// Checked against the "Azure built-in roles" reference (learn.microsoft.com/azure/role-based-access-control/built-in-roles).

@export()
@description('Built-in role definition GUIDs, keyed by role.')
var builtInRoleIds = {
  // Storage: host storage (AzureWebJobsStorage) and the Flex deployment package container.
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  // Application Insights with local auth disabled: Entra-authenticated telemetry ingestion.
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  // Key Vault (RBAC permission model): read secret values / manage secrets.
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
}
