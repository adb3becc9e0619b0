//! The two lists that turn display names into scopes: subscriptions (`GET /subscriptions`, Microsoft.Resources,
//! api-version `2022-12-01`) and management groups (`GET /providers/Microsoft.Management/managementGroups`,
//! api-version `2023-04-01`). Both list only what the caller may read. Subscriptions are flat objects with a
//! `nextLink`; management groups are envelopes with `properties` and page with `@nextLink` (Microsoft's published
//! examples, `GetSubscriptions.json` and `ListManagementGroups.json`).

use serde::{Deserialize, Serialize};

/// The api-version of `GET /subscriptions`.
pub const SUBSCRIPTIONS_API_VERSION: &str = "2022-12-01";
/// The api-version of `GET /providers/Microsoft.Management/managementGroups`.
pub const MANAGEMENT_GROUPS_API_VERSION: &str = "2023-04-01";

/// The list of subscriptions, with its api-version.
pub fn subscriptions_path() -> String {
    format!("/subscriptions?api-version={SUBSCRIPTIONS_API_VERSION}")
}

/// The list of management groups, with its api-version.
pub fn management_groups_path() -> String {
    format!(
        "/providers/Microsoft.Management/managementGroups?api-version={MANAGEMENT_GROUPS_API_VERSION}"
    )
}

/// A subscription as `GET /subscriptions` lists it (the fields pimctl reads, and those the emulator writes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ArmSubscription {
    /// `/subscriptions/{subscriptionId}`.
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub subscription_id: String,
    #[serde(default)]
    pub tenant_id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    /// `Enabled`, `Warned`, `PastDue`, `Disabled`, `Deleted`.
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub authorization_source: Option<String>,
}

/// A management group as the list gives it: `{id, type, name, properties: {tenantId, displayName}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ArmManagementGroup {
    /// `/providers/Microsoft.Management/managementGroups/{name}`.
    #[serde(default)]
    pub id: String,
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The management group's id (what its ARM path holds).
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub properties: ManagementGroupInfo,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ManagementGroupInfo {
    #[serde(default)]
    pub tenant_id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn microsofts_published_list_items_read() {
        // GetSubscriptions.json (2022-12-01), one item.
        let s: ArmSubscription = serde_json::from_str(
            r#"{"id": "/subscriptions/291bba3f-e0a5-47bc-a099-3bdcb2a50a05",
                "subscriptionId": "291bba3f-e0a5-47bc-a099-3bdcb2a50a05",
                "tenantId": "31c75423-32d6-4322-88b7-c478bdde4858",
                "displayName": "Example Subscription", "state": "Enabled",
                "subscriptionPolicies": {"locationPlacementId": "Internal_2014-09-01", "quotaId": "Internal_2014-09-01",
                                         "spendingLimit": "Off"},
                "authorizationSource": "RoleBased", "managedByTenants": [], "tags": {}}"#,
        )
        .unwrap();
        assert_eq!(s.display_name.as_deref(), Some("Example Subscription"));
        assert_eq!(s.subscription_id, "291bba3f-e0a5-47bc-a099-3bdcb2a50a05");
        // ListManagementGroups.json (2023-04-01), one item.
        let m: ArmManagementGroup = serde_json::from_str(
            r#"{"id": "/providers/Microsoft.Management/managementGroups/20000000-0001-0000-0000-000000000000",
                "type": "Microsoft.Management/managementGroups", "name": "20000000-0001-0000-0000-000000000000",
                "properties": {"tenantId": "20000000-0000-0000-0000-000000000000", "displayName": "Group 1 Tenant 2"}}"#,
        )
        .unwrap();
        assert_eq!(m.name, "20000000-0001-0000-0000-000000000000");
        assert_eq!(
            m.properties.display_name.as_deref(),
            Some("Group 1 Tenant 2")
        );
    }
}
