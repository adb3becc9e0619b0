//! What `--explain` prints, and `docs/rules.md`, both generated from the rule registry.

use super::{Meta, Reads, Rule, rules};

/// The baseline ids the rules cite, and where each comes from (`pim-baselines.md` §0 lists the snapshots read).
pub const SOURCES: &[(&str, &str)] = &[
    (
        "MS.AAD.7.x / MS.AAD.3.6",
        "CISA SCuBA Microsoft Entra ID baseline (`cisagov/ScubaGear`, `baselines/aad.md`), checked in `AADConfig.rego`",
    ),
    (
        "CIS x.y.z",
        "CIS Microsoft 365 Foundations Benchmark v3.1 to v6.0.1 (read through public renderings; see `pim-baselines.md` §7)",
    ),
    (
        "ZTA nnnnn",
        "Microsoft Zero Trust Assessment tests (`microsoft/zerotrustassessment`, `Test-Assessment.<id>.ps1`)",
    ),
    ("MT.nnnn", "Maester tests (`maester365/maester`)"),
    (
        "MSL-RBAC-BPn",
        "Microsoft Learn, best practices for Microsoft Entra roles (`best-practices.md` §n)",
    ),
    (
        "MSL-PIM-DP-n",
        "Microsoft Learn, PIM deployment plan (`pim-deployment-plan.md`)",
    ),
    (
        "MSL-PIM-APPROVAL",
        "Microsoft Learn, approve or deny requests in PIM (`pim-approval-workflow.md`): approvers cannot approve their own requests",
    ),
    (
        "MSL-PIM-CFG-RANGE",
        "Microsoft Learn, configure role settings in PIM (`pim-how-to-change-default-settings.md`): activation of 1 to 24 hours",
    ),
    (
        "MSL-CFG-n",
        "Microsoft Learn, configure role settings in PIM (`pim-how-to-change-default-settings.md`)",
    ),
    (
        "MSL-SECOPS-n",
        "Microsoft Learn, security operations guide for PIM (`security-operations-privileged-identity-management.md`)",
    ),
    (
        "MSL-EA",
        "Microsoft Learn, manage emergency access accounts (`security-emergency-access.md`)",
    ),
    (
        "MSL-PIM-GROUPS",
        "Microsoft Learn, PIM for Groups (`concept-pim-for-groups.md`): who can change the credentials of a role-assignable group's members",
    ),
    (
        "ScubaGear#2072",
        "CISA ScubaGear issue 2072: password-reset escalation through eligible members of a PIM-for-Groups group (see also MicrosoftDocs/entra-docs#2049)",
    ),
    (
        "PIM InvalidLicenseAlert",
        "PIM's built-in security alert for a tenant without Microsoft Entra ID P2 or ID Governance (`pim-baselines.md` §5, PIM-099); ScubaGear fails MS.AAD.7.4 to 7.9 without P2 (`Aad2P2Licenses`)",
    ),
    (
        "PIM NoMfaOnRoleActivationAlert",
        "PIM's built-in security alert \"roles don't require MFA for activation\"",
    ),
];

fn reads(r: Reads) -> &'static str {
    match r {
        Reads::Declared => "the declaration",
        Reads::Live => "the tenant (`--live`)",
        Reads::Both => "the declaration, and the tenant with `--live`",
    }
}

/// `pimctl lint --explain ID`.
pub fn explain(m: &Meta) -> String {
    let baselines = if m.baselines.is_empty() {
        "none (pimctl's own)".to_string()
    } else {
        m.baselines.join(", ")
    };
    format!(
        "{id} ({name}): {title}\n\nSeverity: {sev}\nReads: {reads}\nBaselines: {baselines}\n\nWhy\n{why}\n\nHow to fix\n{fix}\n\nTo waive it for one role or principal, with a reason and an end date:\n  lint:\n    exceptions:\n      - {{rule: {id}, user: someone@example.com, reason: \"...\", until: 2027-06-30}}\n",
        id = m.id,
        name = m.name,
        title = m.title,
        sev = m.severity.as_str(),
        reads = reads(m.reads),
        why = wrap(m.rationale),
        fix = wrap(m.fix),
    )
}

/// A list of every rule, for `--explain` without an id.
pub fn list() -> String {
    let mut s = String::new();
    for r in rules::ALL {
        s.push_str(&format!(
            "{}  {:<8} {:<30} {}\n",
            r.meta.id,
            r.meta.severity.as_str(),
            r.meta.name,
            r.meta.title
        ));
    }
    s
}

fn wrap(text: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + word.len() + 1 > 100 {
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out
}

/// `docs/rules.md`.
pub fn markdown() -> String {
    let mut s = String::from(
        "# pimctl lint rules\n\n\
         <!-- Generated from the rule registry (src/lint/rules/): `cargo run -- lint --rules-markdown > docs/rules.md`. \
         A test fails when this file is stale. -->\n\n\
         `pimctl lint` checks the declared posture, and with `--live` the tenant as it is, against the CISA SCuBA, CIS \
         and Microsoft baselines ([lint.md](lint.md) tells how to run it). Each rule has a stable id; `pimctl lint --explain \
         <ID>` prints its entry.\n\n\
         | id | name | severity | reads | title | baselines |\n|---|---|---|---|---|---|\n",
    );
    for r in rules::ALL {
        let m = &r.meta;
        s.push_str(&format!(
            "| [{id}](#{anchor}) | `{name}` | {sev} | {reads} | {title} | {b} |\n",
            id = m.id,
            anchor = m.id.to_lowercase(),
            name = m.name,
            sev = m.severity.as_str(),
            reads = reads(m.reads),
            title = m.title.replace('|', "\\|"),
            b = m.baselines.join(", "),
        ));
    }
    s.push_str("\n## Profiles\n\nWhere the baselines disagree, `--profile` chooses (default `cisa`):\n\n\
| | microsoft | cisa | cis |\n|---|---|---|---|\n\
| PIM010 Global Administrators | 2 to 4 (fewer than 5) | 2 to 8 | 2 to 4 |\n\
| PIM033 a single approver | warning | warning | error |\n\
| PIM070 access reviews | warning | warning | error |\n\n\
`--notifications strict` (default; ScubaGear and Maester) counts only additional recipients; `--notifications \
lenient` (Microsoft's Zero Trust Assessment) also counts default recipients.\n\n");
    for r in rules::ALL {
        s.push_str(&section(r));
    }
    s.push_str("## Sources\n\n| id | source |\n|---|---|\n");
    for (id, src) in SOURCES {
        s.push_str(&format!("| {id} | {src} |\n"));
    }
    s
}

fn section(r: &Rule) -> String {
    let m = &r.meta;
    format!(
        "## {id}\n\n**{name}**: {title}\n\n- Severity: {sev}\n- Reads: {reads}\n- Baselines: {b}\n\n{why}\n\n**Fix.** {fix}\n\n",
        id = m.id,
        name = m.name,
        title = m.title,
        sev = m.severity.as_str(),
        reads = reads(m.reads),
        b = if m.baselines.is_empty() {
            "none (pimctl's own)".to_string()
        } else {
            m.baselines.join(", ")
        },
        why = m.rationale,
        fix = m.fix,
    )
}
