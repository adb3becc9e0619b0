//! `activation:`: the maximum duration, requirements, authentication context and approval (the `approvers`
//! shorthand for one stage, or `stages`).

use super::settings::{OrFileLoc, parse_auth_context};
use super::{Lowerer, loc, loc_of};
use crate::duration::Duration;
use crate::language::de::Sp;
use crate::language::diagnostic::Code;
use crate::language::document::ActivationDecl;
use crate::model::*;
use std::path::Path;

impl Lowerer {
    pub(super) fn activation_settings(
        &mut self,
        file: &Path,
        a: &ActivationDecl,
        p: &mut PolicySettings,
    ) {
        if let Some(d) = self.duration(file, &a.max_duration) {
            if d < Duration::from_minutes(30) || d > Duration::from_hours(24) {
                let at = a
                    .max_duration
                    .as_ref()
                    .map(|x| loc(file, x))
                    .unwrap_or_else(|| loc_of(file, "", Default::default()));
                self.err(Code::ActivationOutOfRange, format!(
                        "an activation maximum of `{}` is outside 30 minutes to 24 hours",
                        a.max_duration.as_ref().and_then(Sp::get).map_or(String::new(), |t| t.to_string())
                    ), at, Some("Entra accepts activations from 30m to 24h; tier-0 roles usually use 1h or 2h".into()));
            } else {
                p.activation.max_duration = Some(d);
            }
        }
        p.activation.require = self.requirements(file, &a.require, true, "activation");
        if let Some(ctx_sp) = &a.authentication_context
            && let Some(v) = ctx_sp.get()
        {
            match parse_auth_context(v) {
                Some(c) => p.activation.authentication_context = Some(c),
                None => self.err(Code::BadAuthContext, format!("`{v}` is not an authentication context"), loc(file, ctx_sp), Some("use a Conditional Access authentication context id, `c1` to `c99`, or `off`".into())),
            }
        }
        if let Some(ap) = a.approval.as_ref().and_then(Sp::get) {
            let appr = &mut p.activation.approval;
            appr.required = ap.required.as_ref().and_then(|x| x.get().copied());
            appr.for_extension = ap.for_extension.as_ref().and_then(|x| x.get().copied());
            appr.requestor_justification = ap
                .requestor_justification
                .as_ref()
                .and_then(|x| x.get().copied());
            let shorthand = ap.approvers.is_some()
                || ap.stage_timeout.is_some()
                || ap.approver_justification.is_some()
                || ap.escalation_after.is_some()
                || ap.escalation_approvers.is_some();
            if shorthand && ap.stages.is_some() {
                let at = ap
                    .stages
                    .as_ref()
                    .map(|x| loc(file, x))
                    .unwrap_or_default_loc(file);
                self.err(
                    Code::InvalidValue,
                    "give either `approvers` (one stage) or `stages`, not both",
                    at,
                    Some("move the single-stage settings into the first entry of `stages`".into()),
                );
            }
            // On a conflict, `stages` still applies, so that later checks don't claim that no approver is named.
            if shorthand && ap.stages.is_none() {
                let stage = ApprovalStage {
                    approvers: self.approvers(file, &ap.approvers),
                    timeout_days: self.whole_days(file, &ap.stage_timeout, "`stage_timeout`"),
                    approver_justification: ap
                        .approver_justification
                        .as_ref()
                        .and_then(|x| x.get().copied()),
                    escalation_after_minutes: self.minutes(file, &ap.escalation_after).map(Some),
                    escalation_approvers: self.approvers(file, &ap.escalation_approvers),
                };
                p.activation.approval.stages = Some(vec![stage]);
            } else if let Some(stages) = ap.stages.as_ref().and_then(Sp::get) {
                if stages.len() > 1 {
                    let at = ap
                        .stages
                        .as_ref()
                        .map(|x| loc(file, x))
                        .unwrap_or_default_loc(file);
                    self.err(
                        Code::OutOfRange,
                        format!(
                            "{} approval stages: Entra roles support a single approval stage",
                            stages.len()
                        ),
                        at,
                        Some("keep one stage; add approvers to it instead".into()),
                    );
                }
                let mut out = Vec::new();
                for st in stages {
                    let Some(st) = st.get() else { continue };
                    out.push(ApprovalStage {
                        approvers: self.approvers(file, &st.approvers),
                        timeout_days: self.whole_days(file, &st.timeout, "`timeout`"),
                        approver_justification: st
                            .approver_justification
                            .as_ref()
                            .and_then(|x| x.get().copied()),
                        escalation_after_minutes: self
                            .minutes(file, &st.escalation_after)
                            .map(Some),
                        escalation_approvers: self.approvers(file, &st.escalation_approvers),
                    });
                }
                p.activation.approval.stages = Some(out);
            }
        }
    }
}
