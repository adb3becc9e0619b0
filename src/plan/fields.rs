//! Policy settings flattened to named fields, one rule at a time, so that two settings compare field by field and a
//! plan can show exactly the managed fields that change.
//!
//! Each field has a canonical value to compare (sets sorted, names case-folded, approvers as object ids) and a value
//! to show (approvers as names). Field names are the policy language's YAML paths.

use crate::model::{PolicySettings, PrincipalRef, Requirement, RuleId};
use serde_json::{Value, json};

/// One readable or declared setting.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Field {
    pub rule: RuleId,
    pub name: String,
    /// For comparison.
    pub cmp: Value,
    /// For people.
    pub show: Value,
}

/// How approvers compare and show: an object id (or a marker of an unresolved name) and a label.
pub(crate) type ApproverView<'a> = &'a dyn Fn(&PrincipalRef) -> (String, String);

/// Every field `s` sets (unmanaged fields are left out).
pub(crate) fn fields(s: &PolicySettings, approver: ApproverView<'_>) -> Vec<Field> {
    let mut out = vec![];
    let mut push = |rule: RuleId, name: String, v: Option<(Value, Value)>| {
        if let Some((cmp, show)) = v {
            out.push(Field {
                rule,
                name,
                cmp,
                show,
            });
        }
    };
    let same = |v: Value| (v.clone(), v);
    let dur = |d: &crate::duration::Duration| same(json!(d.to_string()));
    let reqs = |r: &std::collections::BTreeSet<Requirement>| {
        same(Value::Array(
            r.iter().map(|x| json!(requirement_name(*x))).collect(),
        ))
    };
    let people = |ps: &Vec<PrincipalRef>| {
        let mut v: Vec<(String, String)> = ps.iter().map(approver).collect();
        v.sort();
        v.dedup();
        (
            json!(v.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>()),
            json!(v.iter().map(|(_, label)| label.clone()).collect::<Vec<_>>()),
        )
    };

    let a = &s.activation;
    push(
        RuleId::ExpirationEndUserAssignment,
        "activation.max_duration".into(),
        a.max_duration.as_ref().map(dur),
    );
    push(
        RuleId::EnablementEndUserAssignment,
        "activation.require".into(),
        a.require.as_ref().map(reqs),
    );
    push(
        RuleId::AuthenticationContextEndUserAssignment,
        "activation.authentication_context".into(),
        a.authentication_context
            .as_ref()
            .map(|c| same(c.as_deref().map_or(Value::Null, |c| json!(c)))),
    );
    let ap = &a.approval;
    let approval = RuleId::ApprovalEndUserAssignment;
    push(
        approval,
        "activation.approval.required".into(),
        ap.required.map(|b| same(json!(b))),
    );
    push(
        approval,
        "activation.approval.for_extension".into(),
        ap.for_extension.map(|b| same(json!(b))),
    );
    push(
        approval,
        "activation.approval.requestor_justification".into(),
        ap.requestor_justification.map(|b| same(json!(b))),
    );
    if let Some(stages) = &ap.stages {
        let single = stages.len() == 1;
        if !single {
            push(
                approval,
                "activation.approval.stages".into(),
                Some(same(json!(stages.len()))),
            );
        }
        for (i, st) in stages.iter().enumerate() {
            let base = if single {
                "activation.approval".to_string()
            } else {
                format!("activation.approval.stages[{i}]")
            };
            push(
                approval,
                format!("{base}.approvers"),
                st.approvers.as_ref().map(people),
            );
            push(
                approval,
                format!("{base}.stage_timeout"),
                st.timeout_days.map(|d| same(json!(format!("{d}d")))),
            );
            push(
                approval,
                format!("{base}.approver_justification"),
                st.approver_justification.map(|b| same(json!(b))),
            );
            push(
                approval,
                format!("{base}.escalation_after"),
                st.escalation_after_minutes
                    .map(|m| same(m.map_or(Value::Null, |m| json!(format!("{m}m"))))),
            );
            push(
                approval,
                format!("{base}.escalation_approvers"),
                st.escalation_approvers.as_ref().map(people),
            );
        }
    }
    for (prefix, set, exp, enable) in [
        (
            "eligible_assignment",
            &s.eligible_assignment,
            RuleId::ExpirationAdminEligibility,
            RuleId::EnablementAdminEligibility,
        ),
        (
            "active_assignment",
            &s.active_assignment,
            RuleId::ExpirationAdminAssignment,
            RuleId::EnablementAdminAssignment,
        ),
    ] {
        push(
            exp,
            format!("{prefix}.allow_permanent"),
            set.allow_permanent.map(|b| same(json!(b))),
        );
        push(
            exp,
            format!("{prefix}.max_duration"),
            set.max_duration.as_ref().map(dur),
        );
        push(
            enable,
            format!("{prefix}.require"),
            set.require.as_ref().map(reqs),
        );
    }
    for ((event, recipient), n) in &s.notifications {
        let rule = RuleId::notification(*event, *recipient);
        let base = format!("notifications.{}.{}", event.as_str(), recipient.as_str());
        push(
            rule,
            format!("{base}.recipients"),
            n.recipients.as_ref().map(|r| {
                let mut cmp: Vec<String> = r.iter().map(|x| x.trim().to_lowercase()).collect();
                cmp.sort();
                cmp.dedup();
                (json!(cmp), json!(r))
            }),
        );
        push(
            rule,
            format!("{base}.default_recipients"),
            n.default_recipients.map(|b| same(json!(b))),
        );
        push(
            rule,
            format!("{base}.critical_only"),
            n.critical_only.map(|b| same(json!(b))),
        );
    }
    out
}

/// The policy language's name of a requirement.
pub(crate) fn requirement_name(r: Requirement) -> &'static str {
    match r {
        Requirement::Mfa => "mfa",
        Requirement::Justification => "justification",
        Requirement::Ticket => "ticket",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duration::Duration;
    use crate::model::PrincipalKind;

    #[test]
    fn only_managed_fields_appear_and_approvers_compare_by_id() {
        let mut s = PolicySettings::default();
        s.activation.max_duration = Some(Duration::from_hours(1));
        s.activation.approval.stages = Some(vec![crate::model::ApprovalStage {
            approvers: Some(vec![
                PrincipalRef::new(PrincipalKind::User, "b@x"),
                PrincipalRef::new(PrincipalKind::User, "a@x"),
            ]),
            ..Default::default()
        }]);
        let view = |p: &PrincipalRef| (format!("id-{}", p.name), p.name.clone());
        let f = fields(&s, &view);
        let names: Vec<&str> = f.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            ["activation.max_duration", "activation.approval.approvers"]
        );
        assert_eq!(f[0].show, json!("1h"));
        assert_eq!(f[1].cmp, json!(["id-a@x", "id-b@x"]));
        assert_eq!(f[1].show, json!(["a@x", "b@x"]));
    }
}
