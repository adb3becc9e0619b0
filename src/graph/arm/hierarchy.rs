//! The two lists that find the scopes below a scope, for a fan-out declaration (`below:`, docs/language.md §7b):
//!
//! * a subscription's resource groups: `GET /subscriptions/{id}/resourcegroups?api-version=2021-04-01`
//!   (Microsoft.Resources, `ResourceGroupListResult`: `{value: [{id, name, type, location, properties:
//!   {provisioningState}, managedBy?, tags?}], nextLink?}`);
//! * a management group's descendants, at any depth: `GET /providers/Microsoft.Management/managementGroups/{id}/
//!   descendants?api-version=2020-05-01` (`DescendantListResult`: `{value: [{id, name, type, properties:
//!   {displayName, parent: {id}}}], nextLink}`; `type` is `Microsoft.Management/managementGroups` or
//!   `Microsoft.Management/managementGroups/subscriptions`, a subscription's `name` is its id). Microsoft's example
//!   (`GetDescendants.json`) writes `"nextLink": null` on the last page.
//!
//! Both page with `nextLink`, followed unchanged. Shared by the ARM client and the emulator.

use super::ArmScope;
use serde::{Deserialize, Serialize};

/// The api-version of the resource-group list.
pub const RESOURCE_GROUPS_API_VERSION: &str = "2021-04-01";
/// The api-version of a management group's descendants.
pub const DESCENDANTS_API_VERSION: &str = "2020-05-01";

/// `type` of a resource group.
pub const RESOURCE_GROUP_TYPE: &str = "Microsoft.Resources/resourceGroups";
/// `type` of a management group among descendants.
pub const MANAGEMENT_GROUP_TYPE: &str = "Microsoft.Management/managementGroups";
/// `type` of a subscription among descendants.
pub const SUBSCRIPTION_TYPE: &str = "Microsoft.Management/managementGroups/subscriptions";

/// The list of a subscription's resource groups, with its api-version.
pub fn resource_groups_path(subscription: &str) -> String {
    format!(
        "/subscriptions/{subscription}/resourcegroups?api-version={RESOURCE_GROUPS_API_VERSION}"
    )
}

/// The list of a management group's descendants, with its api-version.
pub fn descendants_path(management_group: &str) -> String {
    format!(
        "/providers/Microsoft.Management/managementGroups/{management_group}/descendants?api-version={DESCENDANTS_API_VERSION}"
    )
}

/// A resource group as the list gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ArmResourceGroup {
    /// `/subscriptions/{id}/resourceGroups/{name}`.
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<ResourceGroupProperties>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ResourceGroupProperties {
    /// `Succeeded`, or `Deleting` while ARM deletes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<String>,
}

impl ArmResourceGroup {
    /// Its scope, unless ARM is deleting it (nothing can be written there any more) or its id is not one.
    pub fn scope(&self) -> Option<ArmScope> {
        let deleting = self
            .properties
            .as_ref()
            .and_then(|p| p.provisioning_state.as_deref())
            .is_some_and(|s| s.eq_ignore_ascii_case("Deleting"));
        if deleting {
            return None;
        }
        match ArmScope::parse(&self.id) {
            Ok(s @ ArmScope::ResourceGroup { .. }) => Some(s),
            _ => None,
        }
    }
}

/// One descendant of a management group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Descendant {
    /// `/providers/Microsoft.Management/managementGroups/{name}` or `/subscriptions/{id}`.
    #[serde(default)]
    pub id: String,
    #[serde(rename = "type", default)]
    pub kind: String,
    /// A management group's name, a subscription's id.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub properties: DescendantProperties,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct DescendantProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<DescendantParent>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct DescendantParent {
    /// `/providers/Microsoft.Management/managementGroups/{name}`.
    #[serde(default)]
    pub id: String,
}

impl Descendant {
    /// Its scope: a management group by its name, a subscription by its id (`name`); nothing for another type.
    pub fn scope(&self) -> Option<ArmScope> {
        let kind = self.kind.trim_start_matches('/');
        if kind.eq_ignore_ascii_case(MANAGEMENT_GROUP_TYPE) {
            ArmScope::parse(&format!(
                "/providers/Microsoft.Management/managementGroups/{}",
                self.name
            ))
            .ok()
        } else if kind.eq_ignore_ascii_case(SUBSCRIPTION_TYPE)
            || kind.eq_ignore_ascii_case("subscriptions")
        {
            ArmScope::parse(&format!("/subscriptions/{}", self.name)).ok()
        } else {
            None
        }
    }

    /// The management group directly above it.
    pub fn parent(&self) -> Option<ArmScope> {
        let p = self.properties.parent.as_ref()?;
        match ArmScope::parse(&p.id) {
            Ok(s @ ArmScope::ManagementGroup(_)) => Some(s),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::arm::ArmPage;

    #[test]
    fn microsofts_descendants_example_reads() {
        // GetDescendants.json (azure-rest-api-specs, Microsoft.Management), its response body.
        let body = r#"{"nextLink": null, "value": [
          {"name": "20000000-0001-0000-0000-000000000000", "type": "Microsoft.Management/managementGroups",
           "id": "/providers/Microsoft.Management/managementGroups/20000000-0001-0000-0000-000000000000",
           "properties": {"displayName": "Group 1", "parent": {"id": "/providers/Microsoft.Management/managementGroups/20000000-0000-0000-0000-000000000000"}}},
          {"name": "20000000-0004-0000-0000-000000000000", "type": "Microsoft.Management/managementGroups/subscriptions",
           "id": "/subscriptions/20000000-0004-0000-0000-000000000000",
           "properties": {"displayName": "Subscription 4", "parent": {"id": "/providers/Microsoft.Management/managementGroups/20000000-0000-0000-0000-000000000000"}}}]}"#;
        let page: ArmPage<Descendant> = serde_json::from_str(body).unwrap();
        assert_eq!(page.next_link, None);
        let scopes: Vec<String> = page
            .value
            .iter()
            .map(|d| d.scope().unwrap().path())
            .collect();
        assert_eq!(
            scopes,
            [
                "/providers/Microsoft.Management/managementGroups/20000000-0001-0000-0000-000000000000",
                "/subscriptions/20000000-0004-0000-0000-000000000000"
            ]
        );
        let parent = ArmScope::ManagementGroup("20000000-0000-0000-0000-000000000000".into());
        assert!(
            page.value
                .iter()
                .all(|d| d.parent() == Some(parent.clone()))
        );
    }

    #[test]
    fn a_resource_group_being_deleted_is_no_scope() {
        let rg = |state: &str| {
            ArmResourceGroup {
            id: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/my-resource-group".into(),
            name: "my-resource-group".into(),
            properties: Some(ResourceGroupProperties {
                provisioning_state: Some(state.into()),
            }),
            ..Default::default()
        }
        };
        assert!(rg("Succeeded").scope().is_some());
        assert!(rg("Deleting").scope().is_none());
    }
}
