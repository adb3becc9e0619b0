//! Policy settings: one template's or role's `activation`, `eligible_assignment`, `active_assignment`,
//! `notifications` and `access_review` keys lowered to a [`Layer`], and the values they are made of (durations,
//! whole days, minutes, requirements).

use super::principals::is_email;
use super::templates::Layer;
use super::{Lowerer, loc, loc_of};
use crate::duration::Duration;
use crate::language::de::Sp;
use crate::language::diagnostic::{Code, Location};
use crate::language::document::*;
use crate::model::*;
use std::collections::BTreeSet;
use std::path::Path;

/// The longest duration the language accepts: far beyond any policy Entra enforces, and far enough from the end of
/// the calendar that "now plus the duration" is always a date.
pub(super) const MAX_DURATION: Duration = Duration::from_days(36_500);

/// The five settings keys, as a template or a role writes them.
pub(super) struct SettingsRef<'a> {
    pub(super) activation: &'a Option<Sp<ActivationDecl>>,
    pub(super) eligible_assignment: &'a Option<Sp<AssignmentDecl>>,
    pub(super) active_assignment: &'a Option<Sp<AssignmentDecl>>,
    pub(super) notifications: &'a Option<Sp<NotificationsDecl>>,
    pub(super) access_review: &'a Option<Sp<ReviewDecl>>,
}

impl Lowerer {
    pub(super) fn lower_settings(&mut self, file: &Path, s: &SettingsRef) -> Layer {
        let mut layer = Layer::default();
        if let Some(a) = s.activation.as_ref().and_then(Sp::get) {
            self.activation_settings(file, a, &mut layer.policy);
        }
        for (decl, target, what) in [
            (s.eligible_assignment, 0, "eligible assignments"),
            (s.active_assignment, 1, "active assignments"),
        ] {
            let Some(a) = decl.as_ref().and_then(Sp::get) else {
                continue;
            };
            let mut out = AssignmentSettings {
                allow_permanent: a.allow_permanent.as_ref().and_then(|x| x.get().copied()),
                ..Default::default()
            };
            if let Some(d) = self.duration(file, &a.max_duration) {
                if d.as_secs() == 0 {
                    let at = a
                        .max_duration
                        .as_ref()
                        .map(|x| loc(file, x))
                        .unwrap_or_default_loc(file);
                    self.err(
                        Code::OutOfRange,
                        format!("the maximum duration of {what} must be more than zero"),
                        at,
                        None,
                    );
                } else {
                    out.max_duration = Some(d);
                }
            }
            out.require = self.requirements(file, &a.require, false, what);
            if target == 0 {
                layer.policy.eligible_assignment = out;
            } else {
                layer.policy.active_assignment = out;
            }
        }
        if let Some(n) = s.notifications.as_ref().and_then(Sp::get) {
            self.notification_settings(file, n, &mut layer.policy);
        }
        if let Some(rv_sp) = s.access_review
            && let Some(rv) = rv_sp.get()
        {
            layer.review = match rv {
                ReviewDecl::Review(rv) => self.access_review(file, rv_sp, rv),
                ReviewDecl::None => super::templates::ReviewPartial {
                    none: Some(super::origin_of(&loc(file, rv_sp))),
                    ..Default::default()
                },
            };
        }
        layer
    }

    fn notification_settings(
        &mut self,
        file: &Path,
        n: &NotificationsDecl,
        p: &mut PolicySettings,
    ) {
        for (event, targets) in [
            (NotificationEvent::EligibleAssigned, &n.eligible_assigned),
            (NotificationEvent::ActiveAssigned, &n.active_assigned),
            (NotificationEvent::Activated, &n.activated),
        ] {
            let Some(t) = targets.as_ref().and_then(Sp::get) else {
                continue;
            };
            for (recipient, decl) in [
                (Recipient::Admin, &t.admin),
                (Recipient::Requestor, &t.requestor),
                (Recipient::Approver, &t.approver),
            ] {
                let Some(d) = decl.as_ref().and_then(Sp::get) else {
                    continue;
                };
                let mut out = NotificationSettings {
                    default_recipients: d
                        .default_recipients
                        .as_ref()
                        .and_then(|x| x.get().copied()),
                    critical_only: d.critical_only.as_ref().and_then(|x| x.get().copied()),
                    recipients: None,
                };
                if let Some(list) = d.recipients.as_ref().and_then(Sp::get) {
                    let mut emails = Vec::new();
                    for r in list {
                        let Some(e) = r.get() else { continue };
                        if is_email(e) {
                            if !emails.iter().any(|x: &String| x.eq_ignore_ascii_case(e)) {
                                emails.push(e.trim().to_string());
                            }
                        } else {
                            self.err(Code::BadEmail, format!("`{e}` is not an email address"), loc(file, r), Some("notification recipients are email addresses, e.g. `pim-alerts@contoso.com`".into()));
                        }
                    }
                    out.recipients = Some(emails);
                }
                p.notifications.insert((event, recipient), out);
            }
        }
    }

    pub(super) fn duration(&mut self, file: &Path, sp: &Option<Sp<String>>) -> Option<Duration> {
        let sp = sp.as_ref()?;
        let text = sp.get()?;
        match Duration::parse(text) {
            Ok(d) if d > MAX_DURATION => {
                self.err(
                    Code::OutOfRange,
                    format!("`{}` is out of range: durations are at most {MAX_DURATION} (100 years)", text.trim()),
                    loc(file, sp),
                    Some("Entra's own limits are far shorter: 24h for an activation, a year or so for an assignment".into()),
                );
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                self.err(
                    Code::BadDuration,
                    e.to_string(),
                    loc(file, sp),
                    Some("durations look like `30m`, `8h`, `90d` or `PT8H`".into()),
                );
                None
            }
        }
    }

    pub(super) fn whole_days(
        &mut self,
        file: &Path,
        sp: &Option<Sp<String>>,
        what: &str,
    ) -> Option<u32> {
        let d = self.duration(file, sp)?;
        match d
            .whole_days()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n >= 1)
        {
            Some(n) => Some(n),
            None => {
                let at = sp.as_ref().map(|s| loc(file, s))?;
                self.err(
                    Code::OutOfRange,
                    format!("{what} must be a whole number of days, at least 1; found {d}"),
                    at,
                    Some("write e.g. `1d` or `3d`".into()),
                );
                None
            }
        }
    }

    pub(super) fn minutes(&mut self, file: &Path, sp: &Option<Sp<String>>) -> Option<u32> {
        let d = self.duration(file, sp)?;
        let at = sp.as_ref().map(|s| loc(file, s))?;
        if !d.as_secs().is_multiple_of(60) || d.as_secs() == 0 {
            self.err(
                Code::OutOfRange,
                format!("escalation must be a whole number of minutes, at least 1; found {d}"),
                at,
                None,
            );
            return None;
        }
        u32::try_from(d.as_secs() / 60).ok()
    }

    pub(super) fn requirements(
        &mut self,
        file: &Path,
        list: &Option<Sp<Vec<Sp<RequirementName>>>>,
        allow_ticket: bool,
        what: &str,
    ) -> Option<BTreeSet<Requirement>> {
        let items = list.as_ref()?.get()?;
        let mut out = BTreeSet::new();
        for r in items {
            let Some(name) = r.get() else { continue };
            let req = match name {
                RequirementName::Mfa => Requirement::Mfa,
                RequirementName::Justification => Requirement::Justification,
                RequirementName::Ticket => Requirement::Ticket,
            };
            if req == Requirement::Ticket && !allow_ticket {
                self.err(
                    Code::RequirementNotAllowed,
                    format!("`ticket` can't be required for {what}"),
                    loc(file, r),
                    Some("tickets apply to activation only (`activation.require`)".into()),
                );
                continue;
            }
            out.insert(req);
        }
        Some(out)
    }
}

pub(super) trait OrFileLoc {
    fn unwrap_or_default_loc(self, file: &Path) -> Location;
}
impl OrFileLoc for Option<Location> {
    fn unwrap_or_default_loc(self, file: &Path) -> Location {
        self.unwrap_or_else(|| loc_of(file, "", Default::default()))
    }
}

pub(super) fn parse_auth_context(v: &str) -> Option<Option<String>> {
    let v = v.trim();
    if v.eq_ignore_ascii_case("off") {
        return Some(None);
    }
    let n: u32 = v.strip_prefix('c')?.parse().ok()?;
    ((1..=99).contains(&n) && !v[1..].starts_with('0')).then(|| Some(format!("c{n}")))
}
