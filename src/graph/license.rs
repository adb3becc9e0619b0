//! `subscribedSku` (`GET /subscribedSkus`): the commercial subscriptions a tenant holds, for licence checks (for
//! example, that Microsoft Entra ID P2, which PIM needs, is bought for the people it governs). Field names and order
//! follow Microsoft's published list answer (microsoft-graph-docs-contrib api-reference/v1.0/api/subscribedsku-list.md).

use serde::{Deserialize, Serialize};

/// `subscribedSku`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscribedSku {
    #[serde(default)]
    pub account_name: Option<String>,
    #[serde(default)]
    pub account_id: Option<String>,
    /// `User` or `Company`; only `User` SKUs are assignable.
    #[serde(default)]
    pub applies_to: Option<String>,
    /// `Enabled`, `Warning`, `Suspended`, `Deleted`, `LockedOut`.
    #[serde(default)]
    pub capability_status: Option<String>,
    /// Licences assigned.
    #[serde(default)]
    pub consumed_units: Option<i64>,
    pub id: String,
    #[serde(default)]
    pub prepaid_units: Option<LicenseUnitsDetail>,
    #[serde(default)]
    pub service_plans: Vec<ServicePlanInfo>,
    #[serde(default)]
    pub sku_id: Option<String>,
    /// The SKU's part number, e.g. `AAD_PREMIUM_P2`.
    #[serde(default)]
    pub sku_part_number: Option<String>,
    #[serde(default)]
    pub subscription_ids: Vec<String>,
}

/// `licenseUnitsDetail`: prepaid licences by state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LicenseUnitsDetail {
    #[serde(default)]
    pub enabled: Option<i64>,
    #[serde(default)]
    pub locked_out: Option<i64>,
    #[serde(default)]
    pub suspended: Option<i64>,
    #[serde(default)]
    pub warning: Option<i64>,
}

/// `servicePlanInfo`: a service plan within a SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePlanInfo {
    #[serde(default)]
    pub service_plan_id: Option<String>,
    #[serde(default)]
    pub service_plan_name: Option<String>,
    /// `Success`, `Disabled`, `Error`, `PendingInput`, `PendingActivation`, `PendingProvisioning`.
    #[serde(default)]
    pub provisioning_status: Option<String>,
    #[serde(default)]
    pub applies_to: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_list_reads_and_writes_back_field_for_field() {
        let text = include_str!(
            "../../tests/fixtures/graph-reference/examples/subscribedSku-list-response.json"
        );
        let published: serde_json::Value = serde_json::from_str(text).unwrap();
        let items = published["value"].as_array().unwrap();
        assert_eq!(items.len(), 2);
        for item in items {
            let sku: SubscribedSku = serde_json::from_value(item.clone()).unwrap();
            assert_eq!(&serde_json::to_value(&sku).unwrap(), item);
        }
    }
}
