// Key Vault for the app's secrets, RBAC permission model only (no access policies).
// The secrets themselves are NOT created here: the operator sets them after deployment (see docs/deploy.md).

param location string
param tags object

@description('Key Vault name (3-24 letters, digits and hyphens, globally unique).')
@minLength(3)
@maxLength(24)
param name string

@description('Purge protection cannot be turned off once on; it keeps deleted secrets recoverable for the retention period.')
param enablePurgeProtection bool

@allowed([
  'default'
  'recover'
])
@description('recover: bring back the soft-deleted vault of this name (and its secrets) instead of creating one.')
param createMode string

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    createMode: createMode
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    accessPolicies: []
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // ARM rejects an explicit false here; omit the property to leave purge protection off.
    enablePurgeProtection: enablePurgeProtection ? true : null
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
