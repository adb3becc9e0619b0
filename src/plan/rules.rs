//! Policy rule updates: one change per rule whose managed fields differ.

use super::fields::{Field, fields};
use super::{Action, Change, ChangeKey, Context, FieldChange, fingerprint, posture};
use crate::model::{PrincipalRef, RuleId, Setting};
use crate::observe::rules::updated_rule;
use serde_json::Value;
use std::collections::BTreeMap;

pub(crate) fn plan_rules(cx: &mut Context<'_>) {
    let mut out = vec![];
    let mut prints = vec![];
    for (key, role) in &cx.desired.targets {
        if role.policy.is_empty() {
            continue;
        }
        let Some(found) = cx.plannable(key) else {
            continue;
        };
        let Some(policy) = cx.live.policies.get(&found.key) else {
            continue;
        };
        let desired_view = |p: &PrincipalRef| match cx.live.id_of(p) {
            Some(id) => (id.to_lowercase(), cx.live.label(id).to_string()),
            None => (
                format!("unresolved:{}", p.name.to_lowercase()),
                p.name.clone(),
            ),
        };
        let live_view =
            |p: &PrincipalRef| (p.name.to_lowercase(), cx.live.label(&p.name).to_string());
        let want = fields(&role.policy, &desired_view);
        let have: BTreeMap<Setting, Field> = fields(&policy.settings, &live_view)
            .into_iter()
            .map(|f| (f.setting, f))
            .collect();
        let mut by_rule: BTreeMap<RuleId, Vec<FieldChange>> = BTreeMap::new();
        for f in want {
            let Some(rule) = f.setting.rule() else {
                continue;
            };
            let before = have.get(&f.setting);
            if before.is_some_and(|b| b.cmp == f.cmp) {
                continue;
            }
            by_rule.entry(rule).or_default().push(FieldChange {
                field: f.setting,
                before: before.map_or(Value::Null, |b| b.show.clone()),
                after: f.show,
            });
        }
        let approver_id = |p: &PrincipalRef| cx.live.id_of(p).map(str::to_string);
        for (rule_id, changed) in by_rule {
            let Some(live_rule) = policy.rules.iter().find(|r| r.id() == rule_id.as_str()) else {
                continue;
            };
            // Unresolved approvers are plan errors already; the change can't be computed without them.
            let Ok(Some(body)) = updated_rule(live_rule, &role.policy, &approver_id) else {
                continue;
            };
            let is_ga = found.is_global_admin;
            let posture = posture::of_rule(is_ga, &changed);
            let drift_posture = posture::of_rule(is_ga, &FieldChange::reversed(&changed));
            let (before, after) = FieldChange::sides(&changed);
            prints.push((
                fingerprint::ObjectId::Rule {
                    target: found.key.clone(),
                    rule: rule_id,
                },
                fingerprint::rule(&policy.id, live_rule),
            ));
            out.push(Change {
                action: Action::UpdateRule,
                key: ChangeKey::Rule {
                    target: found.key.clone(),
                    rule: rule_id,
                },
                role_name: found.name.clone(),
                principal: None,
                before,
                after,
                reason: if changed.len() == 1 {
                    format!("{} differs from the declaration", changed[0].field)
                } else {
                    format!(
                        "{} managed settings differ from the declaration",
                        changed.len()
                    )
                },
                fields: changed,
                posture,
                drift_posture,
                cause: None,
                origin: Some(role.origin.clone()),
                operations: vec![super::wire::patch_rule(&found, rule_id, &policy.id, &body)],
            });
        }
    }
    cx.changes.extend(out);
    cx.fingerprints.extend(prints);
}
