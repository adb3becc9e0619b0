//! A live policy as the language can declare it: settings the language cannot express are left unmanaged (with a
//! note saying what the tenant has), `--minimal` drops the settings that equal Microsoft's defaults, and the result
//! becomes YAML nodes.

use super::names::Namer;
use super::yaml::{Entry, Node};
use crate::duration::Duration;
use crate::graph::defaults::default_rules;
use crate::model::{
    ApprovalStage, AssignmentSettings, NotificationEvent, NotificationSettings, PolicySettings,
    PrincipalKind, PrincipalRef, Recipient, Requirement,
};
use crate::observe::rules::observed_settings;

/// Microsoft's untouched policy, as settings.
pub fn microsoft_defaults() -> PolicySettings {
    observed_settings(&default_rules())
}

/// Leaves unmanaged whatever the language can't declare, and says so.
pub fn declarable(live: &PolicySettings, namer: &Namer<'_>) -> (PolicySettings, Vec<String>) {
    let mut s = live.clone();
    let mut notes = vec![];
    let a = &mut s.activation;
    if let Some(d) = a.max_duration
        && (d < Duration::from_minutes(30) || d > Duration::from_hours(24))
    {
        notes.push(format!(
            "activation.max_duration is {d} in the tenant, outside the 30m to 24h the language accepts: left unmanaged"
        ));
        a.max_duration = None;
    }
    if let Some(Some(c)) = &a.authentication_context
        && !is_context_id(c)
    {
        notes.push(format!(
            "activation.authentication_context is `{c}` in the tenant, not a c1…c99 id: left unmanaged"
        ));
        a.authentication_context = None;
    }
    let ap = &mut a.approval;
    if let Some(stages) = &ap.stages
        && stages.len() != 1
    {
        notes.push(format!(
            "the tenant's approval has {} stages; Entra roles take one: the stages are left unmanaged",
            stages.len()
        ));
        ap.stages = None;
    }
    if let Some([stage]) = ap.stages.as_deref_mut() {
        if stage.timeout_days == Some(0) {
            stage.timeout_days = None;
        }
        // Escalation can be declared on (`escalation_after`), not off: off stays unmanaged.
        if !matches!(stage.escalation_after_minutes, Some(Some(m)) if m >= 1) {
            stage.escalation_after_minutes = None;
        }
        for list in [&mut stage.approvers, &mut stage.escalation_approvers] {
            if let Some(v) = list {
                let mut seen = std::collections::BTreeSet::new();
                v.retain(|p| seen.insert(p.name.to_lowercase()));
                if v.iter().any(|p| !namer.principal(&p.name).known) {
                    notes.push("an approver the directory does not know (deleted?) is named: that approver list is left unmanaged".into());
                    *list = None;
                }
            }
        }
    }
    if ap.required == Some(true)
        && !ap
            .stages
            .as_deref()
            .is_some_and(|s| !s.is_empty() && s.iter().all(ApprovalStage::has_approvers))
    {
        notes.push("approval is required in the tenant but names no approver (Entra falls back to Privileged Role and Global Administrators); the language refuses that, so `activation.approval.required` is left unmanaged: name approvers, then declare it".into());
        ap.required = None;
    }
    for (what, set) in [
        ("eligible_assignment", &mut s.eligible_assignment),
        ("active_assignment", &mut s.active_assignment),
    ] {
        if set.max_duration.is_some_and(|d| d.as_secs() == 0) {
            set.max_duration = None;
        }
        if set
            .require
            .as_ref()
            .is_some_and(|r| r.contains(&Requirement::Ticket))
        {
            notes.push(format!(
                "{what}.require includes a ticket in the tenant, which the language does not accept there: left unmanaged"
            ));
            set.require = None;
        }
    }
    for ((event, recipient), n) in s.notifications.iter_mut() {
        if let Some(r) = &n.recipients
            && r.iter().any(|e| !looks_like_email(e))
        {
            notes.push(format!(
                "notifications.{}.{}.recipients holds a value that is not an email address: left unmanaged",
                event.as_str(),
                recipient.as_str()
            ));
            n.recipients = None;
        }
    }
    (s, notes)
}

/// An Azure role's assignment maximum where assignments need not expire: ARM keeps one (Microsoft's own example
/// policy reads `isExpirationRequired: false, maximumDuration: P90D`), it has no effect, and ARM refuses it in a write
/// (EasyPIM#272), so the language refuses it beside `allow_permanent: true` (E0114). Left unmanaged, and said so.
pub fn without_idle_maxima(s: &mut PolicySettings) -> Vec<String> {
    let mut notes = vec![];
    for (what, set) in [
        ("eligible_assignment", &mut s.eligible_assignment),
        ("active_assignment", &mut s.active_assignment),
    ] {
        if set.allow_permanent == Some(true)
            && let Some(d) = set.max_duration.take()
        {
            notes.push(format!(
                "{what}.max_duration is {d} in the tenant, with no effect while assignments need not expire (ARM refuses it in a write then): left unmanaged"
            ));
        }
    }
    notes
}

fn is_context_id(c: &str) -> bool {
    c.strip_prefix('c')
        .and_then(|n| n.parse::<u32>().ok())
        .is_some_and(|n| (1..=99).contains(&n) && !c[1..].starts_with('0') && c == c.trim())
}

fn looks_like_email(s: &str) -> bool {
    let mut parts = s.trim().split('@');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some(l), Some(d), None) if !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
    ) && !s.trim().contains(char::is_whitespace)
}

/// Only what differs from Microsoft's defaults (`--minimal`).
pub fn minimal(s: &PolicySettings, defaults: &PolicySettings) -> PolicySettings {
    fn keep<T: PartialEq + Clone>(v: &Option<T>, d: &Option<T>) -> Option<T> {
        if v == d { None } else { v.clone() }
    }
    let a = &s.activation;
    let da = &defaults.activation;
    let mut out = PolicySettings::default();
    out.activation.max_duration = keep(&a.max_duration, &da.max_duration);
    out.activation.require = keep(&a.require, &da.require);
    out.activation.authentication_context =
        keep(&a.authentication_context, &da.authentication_context);
    let (ap, dap) = (&a.approval, &da.approval);
    out.activation.approval.required = keep(&ap.required, &dap.required);
    out.activation.approval.for_extension = keep(&ap.for_extension, &dap.for_extension);
    out.activation.approval.requestor_justification =
        keep(&ap.requestor_justification, &dap.requestor_justification);
    out.activation.approval.stages = match (&ap.stages, &dap.stages) {
        (Some(v), Some(d)) if v.len() == 1 && d.len() == 1 => {
            let (st, ds) = (&v[0], &d[0]);
            let stage = ApprovalStage {
                approvers: keep(&st.approvers, &ds.approvers),
                timeout_days: keep(&st.timeout_days, &ds.timeout_days),
                approver_justification: keep(
                    &st.approver_justification,
                    &ds.approver_justification,
                ),
                escalation_after_minutes: keep(
                    &st.escalation_after_minutes,
                    &ds.escalation_after_minutes,
                ),
                escalation_approvers: keep(&st.escalation_approvers, &ds.escalation_approvers),
            };
            (stage != ApprovalStage::default()).then(|| vec![stage])
        }
        (v, d) => keep(v, d),
    };
    let assignment = |v: &AssignmentSettings, d: &AssignmentSettings| AssignmentSettings {
        allow_permanent: keep(&v.allow_permanent, &d.allow_permanent),
        max_duration: keep(&v.max_duration, &d.max_duration),
        require: keep(&v.require, &d.require),
    };
    out.eligible_assignment = assignment(&s.eligible_assignment, &defaults.eligible_assignment);
    out.active_assignment = assignment(&s.active_assignment, &defaults.active_assignment);
    for (k, n) in &s.notifications {
        let d = defaults.notifications.get(k).cloned().unwrap_or_default();
        let m = NotificationSettings {
            recipients: keep(&n.recipients, &d.recipients),
            default_recipients: keep(&n.default_recipients, &d.default_recipients),
            critical_only: keep(&n.critical_only, &d.critical_only),
        };
        if m != NotificationSettings::default() {
            out.notifications.insert(*k, m);
        }
    }
    out
}

/// The settings as entries of a template or role: `activation`, `eligible_assignment`, `active_assignment`,
/// `notifications`, each only when it has something.
pub fn entries(s: &PolicySettings, namer: &Namer<'_>) -> Vec<Entry> {
    let mut out = vec![];
    let a = &s.activation;
    let mut act = vec![];
    if let Some(d) = a.max_duration {
        act.push(Entry::pair("max_duration", Node::raw(d.to_string())));
    }
    if let Some(r) = &a.require {
        act.push(Entry::pair("require", requirements(r)));
    }
    if let Some(c) = &a.authentication_context {
        act.push(Entry::pair(
            "authentication_context",
            Node::raw(c.clone().unwrap_or_else(|| "off".into())),
        ));
    }
    let ap = &a.approval;
    let mut appr = vec![];
    if let Some(b) = ap.required {
        appr.push(Entry::pair("required", Node::bool(b)));
    }
    if let Some([st]) = ap.stages.as_deref() {
        if let Some(p) = &st.approvers {
            appr.push(Entry::pair("approvers", approvers(p, namer)));
        }
        if let Some(d) = st.timeout_days {
            appr.push(Entry::pair("stage_timeout", Node::raw(format!("{d}d"))));
        }
        if let Some(b) = st.approver_justification {
            appr.push(Entry::pair("approver_justification", Node::bool(b)));
        }
        if let Some(Some(m)) = st.escalation_after_minutes {
            let d = Duration::from_minutes(u64::from(m));
            appr.push(Entry::pair("escalation_after", Node::raw(d.to_string())));
        }
        if let Some(p) = &st.escalation_approvers {
            appr.push(Entry::pair("escalation_approvers", approvers(p, namer)));
        }
    }
    if let Some(b) = ap.for_extension {
        appr.push(Entry::pair("for_extension", Node::bool(b)));
    }
    if let Some(b) = ap.requestor_justification {
        appr.push(Entry::pair("requestor_justification", Node::bool(b)));
    }
    if !appr.is_empty() {
        act.push(Entry::pair("approval", Node::Map(appr)));
    }
    if !act.is_empty() {
        out.push(Entry::pair("activation", Node::Map(act)));
    }
    for (key, set) in [
        ("eligible_assignment", &s.eligible_assignment),
        ("active_assignment", &s.active_assignment),
    ] {
        let mut e = vec![];
        if let Some(b) = set.allow_permanent {
            e.push(Entry::pair("allow_permanent", Node::bool(b)));
        }
        if let Some(d) = set.max_duration {
            e.push(Entry::pair("max_duration", Node::raw(d.to_string())));
        }
        if let Some(r) = &set.require {
            e.push(Entry::pair("require", requirements(r)));
        }
        if !e.is_empty() {
            out.push(Entry::pair(key, Node::Map(e)));
        }
    }
    let mut events = vec![];
    for event in NotificationEvent::ALL {
        let mut targets = vec![];
        for recipient in Recipient::ALL {
            let Some(n) = s.notifications.get(&(event, recipient)) else {
                continue;
            };
            let mut e = vec![];
            if let Some(r) = &n.recipients {
                let list = r.iter().map(|x| Node::str(x.trim())).collect();
                e.push(Entry::pair("recipients", Node::Seq(list)));
            }
            if let Some(b) = n.default_recipients {
                e.push(Entry::pair("default_recipients", Node::bool(b)));
            }
            if let Some(b) = n.critical_only {
                e.push(Entry::pair("critical_only", Node::bool(b)));
            }
            if !e.is_empty() {
                targets.push(Entry::pair(recipient.as_str(), Node::flow(Node::Map(e))));
            }
        }
        if !targets.is_empty() {
            events.push(Entry::pair(event.as_str(), Node::Map(targets)));
        }
    }
    if !events.is_empty() {
        out.push(Entry::pair("notifications", Node::Map(events)));
    }
    out
}

fn requirements(r: &std::collections::BTreeSet<Requirement>) -> Node {
    let names = r
        .iter()
        .map(|x| {
            Node::raw(match x {
                Requirement::Mfa => "mfa",
                Requirement::Justification => "justification",
                Requirement::Ticket => "ticket",
            })
        })
        .collect();
    Node::flow(Node::Seq(names))
}

/// Approvers as the examples write them: one `- group: ...` or `- user: ...` per line, sorted by kind and name.
pub(super) fn approvers(list: &[PrincipalRef], namer: &Namer<'_>) -> Node {
    let mut named: Vec<_> = list
        .iter()
        .map(|p| {
            let mut n = namer.principal(&p.name);
            // The policy says which kind it is, even when the directory did not name the object.
            n.kind = p.kind;
            n
        })
        .collect();
    // Groups first, as the examples write approvers.
    named.sort_by_key(|a| {
        (
            a.kind != PrincipalKind::Group,
            a.kind,
            a.name.to_lowercase(),
            a.name.clone(),
        )
    });
    if named.is_empty() {
        return Node::Seq(vec![]);
    }
    Node::Seq(
        named
            .into_iter()
            .map(|n| {
                Node::Map(vec![match n.comment {
                    Some(c) => Entry::commented(n.kind.as_str(), Node::str(n.name), c),
                    None => Entry::pair(n.kind.as_str(), Node::str(n.name)),
                }])
            })
            .collect(),
    )
}
