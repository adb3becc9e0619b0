//! Policy settings flattened to named fields, one rule at a time, so that two settings compare field by field and a
//! plan can show exactly the managed fields that change.
//!
//! Each field has a canonical value to compare (sets sorted, names case-folded, approvers as object ids) and a value
//! to show (approvers as names). Field names are the policy language's YAML paths.

use crate::model::{AssignmentKind, PolicySettings, PrincipalRef, Requirement, Setting, Stage};
use serde_json::{Value, json};

/// One readable or declared setting.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Field {
    pub setting: Setting,
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
    let mut push = |setting: Setting, v: Option<(Value, Value)>| {
        if let Some((cmp, show)) = v {
            out.push(Field { setting, cmp, show });
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
        Setting::ActivationMaxDuration,
        a.max_duration.as_ref().map(dur),
    );
    push(Setting::ActivationRequire, a.require.as_ref().map(reqs));
    push(
        Setting::AuthenticationContext,
        a.authentication_context
            .as_ref()
            .map(|c| same(c.as_deref().map_or(Value::Null, |c| json!(c)))),
    );
    let ap = &a.approval;
    push(
        Setting::ApprovalRequired,
        ap.required.map(|b| same(json!(b))),
    );
    push(
        Setting::ApprovalForExtension,
        ap.for_extension.map(|b| same(json!(b))),
    );
    push(
        Setting::RequestorJustification,
        ap.requestor_justification.map(|b| same(json!(b))),
    );
    if let Some(stages) = &ap.stages {
        let single = stages.len() == 1;
        if !single {
            push(Setting::ApprovalStages, Some(same(json!(stages.len()))));
        }
        for (i, st) in stages.iter().enumerate() {
            let stage = if single {
                Stage::Single
            } else {
                Stage::Index(i)
            };
            push(Setting::Approvers(stage), st.approvers.as_ref().map(people));
            push(
                Setting::StageTimeout(stage),
                st.timeout_days.map(|d| same(json!(format!("{d}d")))),
            );
            push(
                Setting::ApproverJustification(stage),
                st.approver_justification.map(|b| same(json!(b))),
            );
            push(
                Setting::EscalationAfter(stage),
                st.escalation_after_minutes
                    .map(|m| same(m.map_or(Value::Null, |m| json!(format!("{m}m"))))),
            );
            push(
                Setting::EscalationApprovers(stage),
                st.escalation_approvers.as_ref().map(people),
            );
        }
    }
    for (kind, set) in [
        (AssignmentKind::Eligible, &s.eligible_assignment),
        (AssignmentKind::Active, &s.active_assignment),
    ] {
        push(
            Setting::AllowPermanent(kind),
            set.allow_permanent.map(|b| same(json!(b))),
        );
        push(
            Setting::AssignmentMaxDuration(kind),
            set.max_duration.as_ref().map(dur),
        );
        push(
            Setting::AssignmentRequire(kind),
            set.require.as_ref().map(reqs),
        );
    }
    for ((event, recipient), n) in &s.notifications {
        let (e, r) = (*event, *recipient);
        push(
            Setting::Recipients(e, r),
            n.recipients.as_ref().map(|r| {
                let mut cmp: Vec<String> = r.iter().map(|x| x.trim().to_lowercase()).collect();
                cmp.sort();
                cmp.dedup();
                (json!(cmp), json!(r))
            }),
        );
        push(
            Setting::DefaultRecipients(e, r),
            n.default_recipients.map(|b| same(json!(b))),
        );
        push(
            Setting::CriticalOnly(e, r),
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
        let names: Vec<Setting> = f.iter().map(|f| f.setting).collect();
        assert_eq!(
            names,
            [
                Setting::ActivationMaxDuration,
                Setting::Approvers(Stage::Single)
            ]
        );
        assert_eq!(f[0].show, json!("1h"));
        assert_eq!(f[1].cmp, json!(["id-a@x", "id-b@x"]));
        assert_eq!(f[1].show, json!(["a@x", "b@x"]));
    }
}
