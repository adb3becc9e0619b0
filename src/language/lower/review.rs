//! `access_review:`: the cadence, duration and reviewers as one layer declares them, and the review they make once
//! the template chain is merged (`finish_review`).

use super::templates::ReviewPartial;
use super::{Lowerer, loc, origin_of};
use crate::duration::Duration;
use crate::language::de::Sp;
use crate::language::diagnostic::{Code, Location};
use crate::language::document::*;
use crate::model::*;
use std::path::Path;

impl Lowerer {
    pub(super) fn access_review(
        &mut self,
        file: &Path,
        rv_sp: &Sp<ReviewDecl>,
        rv: &AccessReviewDecl,
    ) -> ReviewPartial {
        let mut review = ReviewPartial::default();
        let at = loc(file, rv_sp);
        let r = &mut review;
        r.origin = Some(origin_of(&at));
        r.every_written = rv.every.is_some();
        // A list whose every entry was invalid (and reported) is not a missing list.
        r.reviewers_written = rv
            .reviewers
            .as_ref()
            .is_some_and(|l| l.get().is_none_or(|items| !items.is_empty()));
        if let Some(e) = &rv.every
            && let Some(text) = e.get()
        {
            match parse_cadence(text) {
                Ok(c) => r.every = Some(c),
                Err(msg) => {
                    self.err(Code::BadCadence, msg, loc(file, e), Some("write `1 week`, `2 weeks`, `1 month`, `3 months`, `monthly`, `quarterly`, `semiannually` or `annually`".into()));
                }
            }
        }
        if let Some(d) = self.duration(file, &rv.duration) {
            let at = rv
                .duration
                .as_ref()
                .map(|x| loc(file, x))
                .unwrap_or_else(|| at.clone());
            match d.whole_days() {
                Some(n) if n >= 1 => r.duration = Some(d),
                _ => self.err(
                    Code::BadReviewDuration,
                    format!("a review duration of {d} is not a whole number of days, at least 1"),
                    at,
                    Some("write e.g. `3d` or `4d`".into()),
                ),
            }
        }
        if let Some(list) = rv.reviewers.as_ref().and_then(Sp::get) {
            let mut out = Vec::new();
            for item in list {
                let Some(e) = item.get() else { continue };
                let flags = [
                    (&e.self_review, Reviewer::SelfReview),
                    (&e.managers, Reviewer::Managers),
                ];
                let set_flags: Vec<_> = flags.iter().filter(|(v, _)| v.is_some()).collect();
                let principal_given = e.user.is_some() || e.group.is_some();
                if set_flags.len() + usize::from(principal_given) > 1
                    || (set_flags.is_empty() && !principal_given)
                {
                    self.err(Code::PrincipalKind, "a reviewer entry must give exactly one of `user`, `group`, `self` or `managers`", loc(file, item), None);
                    continue;
                }
                if let Some((v, reviewer)) = set_flags.first() {
                    match v.as_ref().and_then(|x| x.get()) {
                        Some(true) => out.push(reviewer.clone()),
                        Some(false) => self.err(
                            Code::InvalidValue,
                            "`self: false` / `managers: false` names no reviewer; remove the entry",
                            loc(file, item),
                            None,
                        ),
                        None => {}
                    }
                } else if let Some(p) = self.principal(
                    file,
                    item,
                    &[
                        (PrincipalKind::User, &e.user),
                        (PrincipalKind::Group, &e.group),
                    ],
                ) {
                    out.push(Reviewer::Principal(p));
                }
            }
            r.reviewers = Some(out);
        }
        r.default_decision = rv
            .default_decision
            .as_ref()
            .and_then(|x| x.get())
            .map(|d| match d {
                DefaultDecisionName::None => DefaultDecision::None,
                DefaultDecisionName::Approve => DefaultDecision::Approve,
                DefaultDecisionName::Deny => DefaultDecision::Deny,
                DefaultDecisionName::Recommendation => DefaultDecision::Recommendation,
            });
        r.auto_apply = rv.auto_apply.as_ref().and_then(|x| x.get().copied());
        r.assignments = rv
            .assignments
            .as_ref()
            .and_then(|x| x.get())
            .map(|a| match a {
                ReviewedAssignmentsName::Eligible => ReviewedAssignments::Eligible,
                ReviewedAssignmentsName::Active => ReviewedAssignments::Active,
                ReviewedAssignmentsName::Both => ReviewedAssignments::Both,
            });
        r.fallback_reviewers = self.approvers(file, &rv.fallback_reviewers);
        let flag = |x: &Option<Sp<bool>>| x.as_ref().and_then(|x| x.get().copied());
        r.justification = flag(&rv.justification);
        r.recommendations = flag(&rv.recommendations);
        if let Some(n) = rv.notifications.as_ref().and_then(Sp::get) {
            r.mail = flag(&n.mail);
            r.reminders = flag(&n.reminders);
        }
        if let Some(list) = &r.reviewers {
            let alone = |x: &Reviewer| matches!(x, Reviewer::SelfReview);
            if list.iter().any(alone) && list.len() > 1 {
                let at = rv
                    .reviewers
                    .as_ref()
                    .map_or_else(|| at.clone(), |l| loc(file, l));
                self.err(
                    Code::ReviewNotAvailable,
                    "`self: true` is a review by the members themselves: it cannot go with other reviewers",
                    at,
                    Some("keep `self: true` alone, or name the reviewers".into()),
                );
            }
        }
        review
    }

    pub(super) fn finish_review(&mut self, r: &ReviewPartial) -> Option<AccessReview> {
        if r.none.is_some() {
            return None;
        }
        let origin = r.origin.clone()?;
        let at = Location {
            file: origin.file.clone(),
            path: origin.path.clone(),
            line: Some(origin.line),
            column: Some(origin.column),
        };
        let mut ok = true;
        if r.every.is_none() {
            if !r.every_written {
                self.err(
                    Code::MissingKey,
                    "the access review has no `every:`",
                    at.clone(),
                    Some("add `every: 1 month` (or `quarterly`, `2 weeks`, …)".into()),
                );
            }
            ok = false;
        }
        if r.reviewers.as_ref().is_none_or(|v| v.is_empty()) {
            if !r.reviewers_written {
                self.err(
                    Code::MissingKey,
                    "the access review names no reviewers",
                    at.clone(),
                    Some("add `reviewers: [{group: ...}]`".into()),
                );
            }
            ok = false;
        }
        let every = r.every?;
        let duration = r.duration.unwrap_or(Duration::from_days(3));
        if let Some(days) = duration.whole_days()
            && days >= every.min_days()
        {
            self.err(
                Code::BadReviewDuration,
                format!("each review lasts {duration}, as long as the cadence ({every}) or longer"),
                at.clone(),
                Some("a review must close before the next one starts; shorten `duration`".into()),
            );
            ok = false;
        }
        let reviewers = r.reviewers.clone().unwrap_or_default();
        let fallback_reviewers = r.fallback_reviewers.clone().unwrap_or_default();
        let managers = reviewers.iter().any(|x| matches!(x, Reviewer::Managers));
        if managers && fallback_reviewers.is_empty() {
            self.err(
                Code::ReviewNotAvailable,
                "a review by managers names no `fallback_reviewers`: members without a manager would go unreviewed",
                at.clone(),
                Some("add `fallback_reviewers: [{group: ...}]`".into()),
            );
            ok = false;
        } else if !managers && !fallback_reviewers.is_empty() {
            self.err(
                Code::ReviewNotAvailable,
                "`fallback_reviewers` review members who have no manager: they apply only with `managers: true`",
                at.clone(),
                Some("remove `fallback_reviewers`, or add `{managers: true}` to `reviewers`".into()),
            );
            ok = false;
        }
        ok.then(|| AccessReview {
            every,
            duration,
            assignments: r.assignments.unwrap_or(ReviewedAssignments::Both),
            reviewers,
            fallback_reviewers,
            default_decision: r.default_decision.unwrap_or(DefaultDecision::None),
            auto_apply: r.auto_apply.unwrap_or(false),
            justification: r.justification.unwrap_or(true),
            recommendations: r.recommendations.unwrap_or(true),
            mail: r.mail.unwrap_or(true),
            reminders: r.reminders.unwrap_or(true),
            origin,
        })
    }
}

fn parse_cadence(text: &str) -> Result<Cadence, String> {
    let t = text.trim().to_lowercase();
    let named = match t.as_str() {
        "weekly" => Some((1, CadenceUnit::Week)),
        "monthly" => Some((1, CadenceUnit::Month)),
        "quarterly" => Some((3, CadenceUnit::Month)),
        "semiannually" => Some((6, CadenceUnit::Month)),
        "annually" | "yearly" => Some((12, CadenceUnit::Month)),
        _ => None,
    };
    let (interval, unit) = match named {
        Some(x) => x,
        None => {
            let mut parts = t.split_whitespace();
            let (Some(n), Some(u), None) = (parts.next(), parts.next(), parts.next()) else {
                return Err(format!("`{text}` is not a review cadence"));
            };
            let n: u32 = n
                .parse()
                .map_err(|_| format!("`{text}` is not a review cadence"))?;
            let unit = match u {
                "week" | "weeks" => CadenceUnit::Week,
                "month" | "months" => CadenceUnit::Month,
                "year" | "years" => {
                    return Ok(Cadence {
                        interval: n.saturating_mul(12),
                        unit: CadenceUnit::Month,
                    })
                    .and_then(|c| check_cadence(c, text));
                }
                _ => {
                    return Err(format!(
                        "`{text}` is not a review cadence: the unit must be weeks or months"
                    ));
                }
            };
            (n, unit)
        }
    };
    check_cadence(Cadence { interval, unit }, text)
}

fn check_cadence(c: Cadence, text: &str) -> Result<Cadence, String> {
    let max = match c.unit {
        CadenceUnit::Week => 52,
        CadenceUnit::Month => 12,
    };
    if c.interval == 0 || c.interval > max {
        return Err(format!(
            "`{text}` is not a meaningful review cadence: reviews recur every 1 to 52 weeks or 1 to 12 months"
        ));
    }
    Ok(c)
}
