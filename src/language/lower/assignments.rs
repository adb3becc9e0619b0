//! `eligible:` and `active:` lists: each entry's principal and end date, checked against the role's merged policy
//! (permanent allowed? within the maximum?) and against the rules for service principals and protected principals.

use super::{Lowerer, ParsedFile, loc, origin_of};
use crate::language::de::Sp;
use crate::language::diagnostic::{Code, Diagnostic, Location};
use crate::language::document::AssignmentEntry;
use crate::model::*;
use chrono::{DateTime, NaiveDate, Utc};

impl Lowerer {
    pub(super) fn lower_assignments(
        &mut self,
        f: &ParsedFile,
        label: &str,
        list: &Option<Sp<Vec<Sp<AssignmentEntry>>>>,
        kind: AssignmentKind,
        policy: &PolicySettings,
        protected: &dyn Fn(&PrincipalRef) -> bool,
    ) -> Option<Vec<DesiredAssignment>> {
        let key = kind.as_str();
        let Some(list_sp) = list else {
            // Present with an empty value (`eligible:`) is a mistake, not "unmanaged".
            return None;
        };
        let items = list_sp.get()?;
        let rules = match kind {
            AssignmentKind::Eligible => &policy.eligible_assignment,
            AssignmentKind::Active => &policy.active_assignment,
        };
        let mut out: Vec<DesiredAssignment> = Vec::new();
        // Where each principal is in `out`: duplicates are found in one pass, not by a scan per entry.
        let mut listed: std::collections::HashMap<PrincipalRef, usize> =
            std::collections::HashMap::new();
        for item_sp in items {
            let Some(item) = item_sp.get() else { continue };
            let at = loc(&f.path, item_sp);
            let Some(p) = self.principal(&f.path, item_sp, &item.principal_fields()) else {
                continue;
            };
            if let Some(first) = listed.get(&p).map(|&i| &out[i]) {
                let d = Diagnostic::new(
                    Code::DuplicatePrincipal,
                    format!("{p} is listed twice in `{key}` of `{}`", label),
                    at,
                )
                .with_related(
                    "first listed here",
                    Location {
                        file: first.origin.file.clone(),
                        path: first.origin.path.clone(),
                        line: Some(first.origin.line),
                        column: Some(first.origin.column),
                    },
                );
                self.diags.push(d);
                continue;
            }
            let until = match &item.until {
                None => None,
                Some(u) => match u.get() {
                    None => continue,
                    Some(text) => match parse_until(text) {
                        Ok(t) => Some(t),
                        Err(msg) => {
                            self.err(Code::BadDate, msg, loc(&f.path, u), Some("write a date (`2027-06-30`) or an RFC 3339 timestamp (`2027-06-30T17:00:00Z`)".into()));
                            continue;
                        }
                    },
                },
            };
            let until_at = item
                .until
                .as_ref()
                .map(|u| loc(&f.path, u))
                .unwrap_or_else(|| at.clone());
            if p.kind == PrincipalKind::ServicePrincipal && kind == AssignmentKind::Eligible {
                self.err(
                    Code::ServicePrincipalEligible,
                    format!("service principal `{}` is declared eligible for `{}`", p.name, label),
                    at.clone(),
                    Some("service principals can't activate roles; give them a time-bound `active:` assignment".into()),
                );
                continue;
            }
            if p.kind == PrincipalKind::ServicePrincipal && until.is_none() && !protected(&p) {
                self.err(
                    Code::ServicePrincipalPermanent,
                    format!(
                        "service principal `{}` holds a permanent active assignment to `{}`",
                        p.name, label
                    ),
                    at.clone(),
                    Some(
                        "add `until:`; service principals hold active, time-bound assignments only"
                            .into(),
                    ),
                );
                continue;
            }
            if let Some(t) = until
                && t <= self.now
            {
                self.err(
                    Code::UntilInPast,
                    format!(
                        "{p}'s `{key}` assignment to `{}` ended on {}; the entry is ignored",
                        label,
                        t.format("%Y-%m-%d %H:%M UTC")
                    ),
                    until_at,
                    Some("remove the entry, or renew it with a later `until`".into()),
                );
                continue;
            }
            if !protected(&p) && rules.allow_permanent == Some(false) {
                match until {
                    None => {
                        let max = rules
                            .max_duration
                            .map(|d| format!(" within {d}"))
                            .unwrap_or_default();
                        self.err(
                            Code::PermanentNotAllowed,
                            format!("{p} has a permanent `{key}` assignment to `{}`, but its policy requires an end date", label),
                            at.clone(),
                            Some(format!("add `until:`{max}, or set `{key}_assignment.allow_permanent: true`")),
                        );
                        continue;
                    }
                    Some(t) => {
                        // A limit past the last date chrono represents is no limit any date can exceed.
                        if let Some(max) = rules.max_duration
                            && let Some(limit) = max.after(self.now)
                            && t > limit
                        {
                            // A date means the end of that day, so the last date that fits may be the day before
                            // the limit; saying "ends 2027-11-21 … end it by 2027-11-21" would contradict itself.
                            let last_day = if parse_until(&limit.format("%Y-%m-%d").to_string())
                                .is_ok_and(|end_of_day| end_of_day <= limit)
                            {
                                limit.date_naive()
                            } else {
                                limit.date_naive().pred_opt().unwrap_or(limit.date_naive())
                            };
                            self.err(
                                Code::UntilBeyondMaximum,
                                format!(
                                    "{p}'s `{key}` assignment to `{}` ends {}, beyond the policy maximum of {max} from now",
                                    label,
                                    t.format("%Y-%m-%d %H:%M UTC")
                                ),
                                until_at,
                                Some(format!(
                                    "end it by {} (or at {} at the latest), or raise `{key}_assignment.max_duration`",
                                    last_day.format("%Y-%m-%d"),
                                    limit.format("%Y-%m-%dT%H:%M:%SZ")
                                )),
                            );
                            continue;
                        }
                    }
                }
            }
            let condition = match self.condition(f, item, &at) {
                Ok(c) => c,
                Err(()) => continue,
            };
            listed.insert(p.clone(), out.len());
            out.push(DesiredAssignment {
                principal: p,
                until,
                condition,
                origin: origin_of(&at),
            });
        }
        Some(out)
    }
}

impl Lowerer {
    /// An entry's ABAC condition: both keys or neither, version `2.0` (whether the target takes one is checked with
    /// the target, in `target.rs`).
    fn condition(
        &mut self,
        f: &ParsedFile,
        item: &AssignmentEntry,
        at: &Location,
    ) -> Result<Option<AbacCondition>, ()> {
        let text = |v: &Option<Sp<String>>| {
            v.as_ref()
                .and_then(|s| s.get())
                .map(|s| s.trim().to_string())
        };
        match (text(&item.condition), text(&item.condition_version)) {
            (None, None) => Ok(None),
            (Some(c), Some(v)) if !c.is_empty() && v == "2.0" => Ok(Some(AbacCondition {
                condition: c,
                version: v,
            })),
            (Some(c), Some(v)) if !c.is_empty() => {
                let at = item
                    .condition_version
                    .as_ref()
                    .map(|s| loc(&f.path, s))
                    .unwrap_or_else(|| at.clone());
                self.err(
                    Code::BadCondition,
                    format!("condition version `{v}` is not one ARM accepts"),
                    at,
                    Some("write `condition_version: \"2.0\"`".into()),
                );
                Err(())
            }
            (c, _) => {
                let at = item
                    .condition
                    .as_ref()
                    .or(item.condition_version.as_ref())
                    .map(|s| loc(&f.path, s))
                    .unwrap_or_else(|| at.clone());
                let msg = if c.as_ref().is_some_and(|c| c.is_empty()) {
                    "the condition is empty"
                } else if c.is_some() {
                    "a condition needs `condition_version`"
                } else {
                    "`condition_version` without a `condition`"
                };
                self.err(
                    Code::BadCondition,
                    msg,
                    at,
                    Some(
                        "give both `condition` and `condition_version: \"2.0\"`, or neither".into(),
                    ),
                );
                Err(())
            }
        }
    }
}

/// A date means the end of that day, UTC; RFC 3339 timestamps are taken as written.
pub fn parse_until(text: &str) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return d
            .and_hms_opt(23, 59, 59)
            .map(|dt| dt.and_utc())
            .ok_or_else(|| format!("`{t}` is not a valid date"));
    }
    let date_shaped = t.len() == 10
        && t.char_indices().all(|(i, c)| {
            if i == 4 || i == 7 {
                c == '-'
            } else {
                c.is_ascii_digit()
            }
        });
    if date_shaped {
        return Err(format!("`{t}` is not a day of the calendar"));
    }
    DateTime::parse_from_rfc3339(t)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| format!("`{t}` is not a date or an RFC 3339 timestamp"))
}
