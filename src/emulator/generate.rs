//! Generated tenants, for benchmarks and tests at scale: an emulator seed and the policy directory that declares it,
//! with a controlled amount of drift between the two.
//!
//! Everything is a function of the [`Options`]: the same options give the same files, byte for byte. The layout of
//! assignments is arithmetic (each role's principals are a run of consecutive principals, so no principal holds a
//! role twice at one level); only the choice of *which* assignments and policies drift is drawn, from a ChaCha8
//! generator seeded with [`Options::rng_seed`] (ChaCha8 gives the same stream on every platform and release).
//!
//! The drift is exact, and [`Generated::expected`] says what a plan of the policies against the seed must find:
//! - `missing`: declared, absent from the tenant (the plan creates them);
//! - `extra`: in the tenant, not declared (the plan removes them);
//! - `changed`: in both, ending at another date in the tenant (the plan updates them);
//! - `policies`: roles whose live activation limit differs from the declaration (one `update_rule` each).

use crate::catalog;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::fmt::Write;
use std::path::Path;

/// The tenant's clock: every generated date is relative to it.
pub const NOW: &str = "2026-11-21T09:00:00Z";
const ELIGIBLE_UNTIL: &str = "2027-06-30T23:59:59Z";
const ELIGIBLE_UNTIL_DRIFTED: &str = "2027-03-31T23:59:59Z";
const ACTIVE_UNTIL: &str = "2026-12-31T23:59:59Z";
const ACTIVE_UNTIL_DRIFTED: &str = "2026-12-15T23:59:59Z";
const DOMAIN: &str = "fabrikam.com";

/// The sizes the benchmarks use (issue #8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// 10 roles, 100 assignments.
    S,
    /// 50 roles, 1,000 assignments.
    M,
    /// A large directory: 130 roles with policies, 5,000 eligible, 1,000 active, 500 activations, 2,000 principals.
    LDir,
    /// 100,000 assignments, for CPU and memory.
    XL,
}

impl Size {
    pub const ALL: [Size; 4] = [Size::S, Size::M, Size::LDir, Size::XL];

    pub fn name(self) -> &'static str {
        match self {
            Size::S => "S",
            Size::M => "M",
            Size::LDir => "L-dir",
            Size::XL => "XL",
        }
    }

    pub fn shape(self) -> Shape {
        let (roles, eligible, active, activations, users, groups, service_principals) = match self {
            Size::S => (10, 80, 20, 10, 90, 8, 2),
            Size::M => (50, 800, 200, 50, 450, 40, 10),
            Size::LDir => (130, 5_000, 1_000, 500, 1_850, 100, 50),
            Size::XL => (130, 80_000, 20_000, 1_000, 19_000, 800, 200),
        };
        Shape {
            roles,
            eligible,
            active,
            activations,
            users,
            groups,
            service_principals,
            policies: true,
        }
    }

    /// 2 % of the assignments (split between missing, extra and changed) and 10 policies (fewer if there are fewer
    /// roles), as the issue suggests.
    pub fn default_drift(self) -> Drift {
        let shape = self.shape();
        Drift::share(&shape, 0.02, 10.min(shape.roles))
    }
}

impl std::str::FromStr for Size {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "s" => Ok(Size::S),
            "m" => Ok(Size::M),
            "l-dir" | "ldir" | "l" => Ok(Size::LDir),
            "xl" => Ok(Size::XL),
            _ => Err(format!("unknown size '{s}': expected S, M, L-dir or XL")),
        }
    }
}

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What the tenant holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    /// Built-in roles first (in the catalogue's order), then custom roles `Generated Role N`.
    pub roles: usize,
    pub eligible: usize,
    pub active: usize,
    /// Activations in progress, of users' eligibilities (at most one per eligible user assignment).
    pub activations: usize,
    pub users: usize,
    /// Role-assignable groups; they hold eligible and active assignments like users.
    pub groups: usize,
    /// They hold only active, time-bound assignments: every tenth active assignment of a role goes to one.
    pub service_principals: usize,
    /// Declare policy settings for every role (two templates, by Microsoft's privileged label) and seed the live
    /// policies to match. Without it, no policy setting is managed and `Drift::policies` is ignored.
    pub policies: bool,
}

impl Shape {
    pub fn assignments(&self) -> usize {
        self.eligible + self.active
    }
    pub fn principals(&self) -> usize {
        self.users + self.groups + self.service_principals
    }
}

/// How far the tenant is from the declaration; see the module documentation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Drift {
    pub missing: usize,
    pub extra: usize,
    pub changed: usize,
    pub policies: usize,
}

impl Drift {
    /// `fraction` of the shape's assignments drift, split as evenly as possible between missing, extra and changed;
    /// `policies` roles' policies drift.
    pub fn share(shape: &Shape, fraction: f64, policies: usize) -> Drift {
        let n = (shape.assignments() as f64 * fraction.clamp(0.0, 1.0)).round() as usize;
        Drift {
            missing: n.div_ceil(3),
            extra: (n - n.div_ceil(3)).div_ceil(2),
            changed: n - n.div_ceil(3) - (n - n.div_ceil(3)).div_ceil(2),
            policies,
        }
    }
    pub fn assignments(&self) -> usize {
        self.missing + self.extra + self.changed
    }
}

/// How the policy directory is split into files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Layout {
    /// `policies.yaml`, everything in it.
    OneFile,
    /// `templates.yaml` (when the shape declares policies) and `roles/NNN-<role>.yaml`, one file per role.
    #[default]
    FilePerRole,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub shape: Shape,
    pub drift: Drift,
    pub layout: Layout,
    /// Chooses which assignments and policies drift.
    pub rng_seed: u64,
}

impl Options {
    /// A size with its default drift, one file per role.
    pub fn size(size: Size) -> Options {
        Options {
            shape: size.shape(),
            drift: size.default_drift(),
            layout: Layout::FilePerRole,
            rng_seed: 0,
        }
    }
}

/// What a plan of the generated policies against the generated seed contains.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Expected {
    pub creates: usize,
    pub removes: usize,
    pub updates: usize,
    pub rule_updates: usize,
}

impl Expected {
    pub fn changes(&self) -> usize {
        self.creates + self.removes + self.updates + self.rule_updates
    }
}

/// A generated tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// The emulator seed (YAML).
    pub seed: String,
    /// The policy files: path relative to the policy directory, YAML text.
    pub policies: Vec<(String, String)>,
    pub expected: Expected,
}

impl Generated {
    /// Writes `DIR/tenant.yaml` (the seed) and `DIR/policies/...`; creates the directories.
    pub fn write_to(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("tenant.yaml"), &self.seed)?;
        self.write_policies(&dir.join("policies"))
    }

    /// Writes only the policy files, under `dir`.
    pub fn write_policies(&self, dir: &Path) -> std::io::Result<()> {
        for (rel, text) in &self.policies {
            let path = dir.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(path, text)?;
        }
        Ok(())
    }
}

/// The shape cannot be laid out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot generate this tenant: {0}")]
pub struct GenerateError(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Eligible,
    Active,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    User(usize),
    Group(usize),
    Sp(usize),
}

/// What the drift does to one assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Same,
    Missing,
    Extra,
    Changed,
}

struct Assignment {
    kind: Kind,
    role: usize,
    who: Who,
}

/// Generates the tenant.
pub fn generate(o: &Options) -> Result<Generated, GenerateError> {
    let s = &o.shape;
    let fail = |m: String| Err(GenerateError(m));
    if s.roles == 0 {
        return fail("at least one role is needed".into());
    }
    let pool = s.users + s.groups;
    let per_role = s.eligible.div_ceil(s.roles) + s.active.div_ceil(s.roles);
    if per_role > pool {
        return fail(format!(
            "{per_role} assignments per role need as many users and groups, there are {pool}"
        ));
    }
    let sp_per_role = s.active.div_ceil(s.roles).div_ceil(10);
    if s.service_principals > 0 && sp_per_role > s.service_principals {
        return fail(format!(
            "{sp_per_role} service principals per role are needed, there are {}",
            s.service_principals
        ));
    }
    let names = role_names(s.roles);
    let privileged: Vec<bool> = (0..s.roles)
        .map(|r| {
            catalog::builtin_roles()
                .get(r)
                .is_some_and(|b| b.is_privileged)
        })
        .collect();

    // The layout: role r's principals are the run starting at r * stride in the pool (eligible first, then active).
    let stride = (pool / s.roles).max(1);
    let pool_who = |k: usize| {
        let k = k % pool;
        if k < s.groups {
            Who::Group(k)
        } else {
            Who::User(k - s.groups)
        }
    };
    let mut all = Vec::with_capacity(s.assignments());
    for i in 0..s.eligible {
        let (r, n) = (i % s.roles, i / s.roles);
        all.push(Assignment {
            kind: Kind::Eligible,
            role: r,
            who: pool_who(r * stride + n),
        });
    }
    let first_active = s.eligible.div_ceil(s.roles);
    for j in 0..s.active {
        let (r, n) = (j % s.roles, j / s.roles);
        let who = if s.service_principals > 0 && n % 10 == 9 {
            Who::Sp((n / 10 + r) % s.service_principals)
        } else {
            pool_who(r * stride + first_active + n)
        };
        all.push(Assignment {
            kind: Kind::Active,
            role: r,
            who,
        });
    }

    // The drift, drawn without replacement from all assignments.
    let d = &o.drift;
    if d.assignments() > all.len() {
        return fail(format!(
            "{} drifting assignments asked, there are {}",
            d.assignments(),
            all.len()
        ));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(o.rng_seed);
    let drawn = rand::seq::index::sample(&mut rng, all.len(), d.assignments()).into_vec();
    let mut fate = vec![Fate::Same; all.len()];
    for (n, &i) in drawn.iter().enumerate() {
        fate[i] = if n < d.missing {
            Fate::Missing
        } else if n < d.missing + d.extra {
            Fate::Extra
        } else {
            Fate::Changed
        };
    }
    let policy_drift = if s.policies {
        d.policies.min(s.roles)
    } else {
        0
    };
    let mut drifted_roles = vec![false; s.roles];
    for r in rand::seq::index::sample(&mut rng, s.roles, policy_drift) {
        drifted_roles[r] = true;
    }

    // Activations: users' eligibilities that the tenant holds unchanged, spread evenly.
    let candidates: Vec<usize> = (0..s.eligible)
        .filter(|&i| fate[i] == Fate::Same && matches!(all[i].who, Who::User(_)))
        .collect();
    if s.activations > candidates.len() {
        return fail(format!(
            "{} activations asked, there are {} eligible users",
            s.activations,
            candidates.len()
        ));
    }
    let activated: Vec<usize> = (0..s.activations)
        .map(|k| candidates[k * candidates.len() / s.activations.max(1)])
        .collect();

    let seed = seed_yaml(
        s,
        &names,
        &all,
        &fate,
        &activated,
        &privileged,
        &drifted_roles,
    );
    let in_declaration = |i: usize| fate[i] != Fate::Extra;
    let mut by_role: Vec<Vec<usize>> = vec![vec![]; s.roles];
    for (i, a) in all.iter().enumerate() {
        if in_declaration(i) {
            by_role[a.role].push(i);
        }
    }
    let role_yaml = |r: usize| {
        let mut y = String::new();
        writeln!(y, "  {}:", q(&names[r])).unwrap();
        if r >= catalog::builtin_roles().len() {
            y.push_str("    custom: true\n");
        }
        if s.policies {
            let t = if privileged[r] {
                "generated-privileged"
            } else {
                "generated-standard"
            };
            writeln!(y, "    template: {t}").unwrap();
        }
        for kind in [Kind::Eligible, Kind::Active] {
            let list: Vec<usize> = by_role[r]
                .iter()
                .copied()
                .filter(|&i| all[i].kind == kind)
                .collect();
            let key = if kind == Kind::Eligible {
                "eligible"
            } else {
                "active"
            };
            if list.is_empty() {
                writeln!(y, "    {key}: []").unwrap();
                continue;
            }
            writeln!(y, "    {key}:").unwrap();
            let until = if kind == Kind::Eligible {
                ELIGIBLE_UNTIL
            } else {
                ACTIVE_UNTIL
            };
            for i in list {
                let (k, name) = principal(all[i].who);
                writeln!(y, "      - {{{k}: {}, until: {until}}}", q(&name)).unwrap();
            }
        }
        y
    };
    let header = "version: pimctl/v1\n";
    let templates = if s.policies { TEMPLATES } else { "" };
    let policies = match o.layout {
        Layout::OneFile => {
            let mut y = format!("{header}{templates}directory_roles:\n");
            (0..s.roles).for_each(|r| y.push_str(&role_yaml(r)));
            vec![("policies.yaml".to_string(), y)]
        }
        Layout::FilePerRole => {
            let mut files = vec![];
            if s.policies {
                files.push(("templates.yaml".to_string(), format!("{header}{templates}")));
            }
            for (r, name) in names.iter().enumerate() {
                files.push((
                    format!("roles/{r:03}-{}.yaml", slug(name)),
                    format!("{header}directory_roles:\n{}", role_yaml(r)),
                ));
            }
            files
        }
    };
    Ok(Generated {
        seed,
        policies,
        expected: Expected {
            creates: d.missing,
            removes: d.extra,
            updates: d.changed,
            rule_updates: policy_drift,
        },
    })
}

/// The two templates of a shape with policies; the seed's policies match them (see `seed_rules`).
const TEMPLATES: &str = "templates:
  generated-privileged:
    activation: {max_duration: 4h, require: [mfa, justification, ticket]}
    eligible_assignment: {allow_permanent: false, max_duration: 365d}
    active_assignment: {allow_permanent: false, max_duration: 180d}
  generated-standard:
    activation: {max_duration: 8h, require: [mfa, justification]}
    eligible_assignment: {allow_permanent: false, max_duration: 365d}
    active_assignment: {allow_permanent: false, max_duration: 180d}
";

/// The live rules that match the templates; a drifted role's activation limit is 10 hours instead.
fn seed_rules(y: &mut String, privileged: bool, drifted: bool) {
    let max = match (drifted, privileged) {
        (true, _) => "PT10H",
        (false, true) => "PT4H",
        (false, false) => "PT8H",
    };
    let enabled = if privileged {
        "[MultiFactorAuthentication, Justification, Ticketing]"
    } else {
        "[MultiFactorAuthentication, Justification]"
    };
    writeln!(
        y,
        "    Expiration_EndUser_Assignment: {{isExpirationRequired: true, maximumDuration: {max}}}"
    )
    .unwrap();
    writeln!(
        y,
        "    Enablement_EndUser_Assignment: {{enabledRules: {enabled}}}"
    )
    .unwrap();
    y.push_str(
        "    Expiration_Admin_Eligibility: {isExpirationRequired: true, maximumDuration: P365D}\n",
    );
    y.push_str(
        "    Expiration_Admin_Assignment: {isExpirationRequired: true, maximumDuration: P180D}\n",
    );
}

#[allow(clippy::too_many_arguments)]
fn seed_yaml(
    s: &Shape,
    names: &[String],
    all: &[Assignment],
    fate: &[Fate],
    activated: &[usize],
    privileged: &[bool],
    drifted_roles: &[bool],
) -> String {
    let mut y = String::with_capacity(64 * (s.assignments() + s.principals()));
    writeln!(
        y,
        "# Generated by pimctl (emulator::generate): {} roles, {} eligible, {} active, {} activations.",
        s.roles, s.eligible, s.active, s.activations
    )
    .unwrap();
    writeln!(
        y,
        "tenant: {{id: 11111111-2222-4333-8444-555555555555, domain: {DOMAIN}}}\nnow: {NOW}"
    )
    .unwrap();
    y.push_str("users:\n");
    for u in 0..s.users {
        writeln!(y, "  - {{upn: u{u}@{DOMAIN}, display_name: User {u}}}").unwrap();
    }
    if s.users == 0 {
        y.push_str("  []\n");
    }
    y.push_str("groups:\n");
    for g in 0..s.groups {
        writeln!(
            y,
            "  - {{name: {}, role_assignable: true}}",
            q(&group_name(g))
        )
        .unwrap();
    }
    if s.groups == 0 {
        y.push_str("  []\n");
    }
    y.push_str("service_principals:\n");
    for p in 0..s.service_principals {
        writeln!(y, "  - {{name: {}}}", q(&sp_name(p))).unwrap();
    }
    if s.service_principals == 0 {
        y.push_str("  []\n");
    }
    let builtin = catalog::builtin_roles().len();
    if s.roles > builtin {
        y.push_str("custom_roles:\n");
        for name in &names[builtin..] {
            writeln!(y, "  - {{name: {}}}", q(name)).unwrap();
        }
    }
    if s.policies {
        y.push_str("policies:\n");
        for r in 0..s.roles {
            writeln!(y, "  {}:", q(&names[r])).unwrap();
            seed_rules(&mut y, privileged[r], drifted_roles[r]);
        }
    }
    for (key, kind) in [("eligible", Kind::Eligible), ("active", Kind::Active)] {
        writeln!(y, "{key}:").unwrap();
        let mut any = false;
        for (i, a) in all.iter().enumerate() {
            if a.kind != kind || fate[i] == Fate::Missing {
                continue;
            }
            any = true;
            let until = match (kind, fate[i] == Fate::Changed) {
                (Kind::Eligible, false) => ELIGIBLE_UNTIL,
                (Kind::Eligible, true) => ELIGIBLE_UNTIL_DRIFTED,
                (Kind::Active, false) => ACTIVE_UNTIL,
                (Kind::Active, true) => ACTIVE_UNTIL_DRIFTED,
            };
            let (k, name) = principal(a.who);
            writeln!(
                y,
                "  - {{role: {}, {k}: {}, until: {until}}}",
                q(&names[a.role]),
                q(&name)
            )
            .unwrap();
        }
        if !any {
            y.push_str("  []\n");
        }
    }
    y.push_str("activations:\n");
    for &i in activated {
        let (k, name) = principal(all[i].who);
        writeln!(
            y,
            "  - {{role: {}, {k}: {}, start: 2026-11-21T08:30:00Z, duration: PT2H}}",
            q(&names[all[i].role]),
            q(&name)
        )
        .unwrap();
    }
    if activated.is_empty() {
        y.push_str("  []\n");
    }
    y
}

fn role_names(n: usize) -> Vec<String> {
    let builtin = catalog::builtin_roles();
    (0..n)
        .map(|r| match builtin.get(r) {
            Some(b) => b.display_name.clone(),
            None => format!("Generated Role {}", r - builtin.len() + 1),
        })
        .collect()
}

fn group_name(g: usize) -> String {
    format!("PIM Group {g}")
}

fn sp_name(p: usize) -> String {
    format!("Automation App {p}")
}

/// The declaration's key and the principal's name.
fn principal(w: Who) -> (&'static str, String) {
    match w {
        Who::User(u) => ("user", format!("u{u}@{DOMAIN}")),
        Who::Group(g) => ("group", group_name(g)),
        Who::Sp(p) => ("service_principal", sp_name(p)),
    }
}

/// A YAML scalar that reads back as `s` (JSON strings are YAML flow scalars).
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_options_give_the_same_files_and_another_rng_seed_other_drift() {
        let o = Options::size(Size::S);
        let a = generate(&o).unwrap();
        assert_eq!(a, generate(&o).unwrap());
        let b = generate(&Options { rng_seed: 1, ..o }).unwrap();
        assert_ne!(a.seed, b.seed);
        assert_eq!(a.expected, b.expected);
    }

    #[test]
    fn drift_is_two_percent_split_three_ways() {
        let d = Size::LDir.default_drift();
        assert_eq!(d.assignments(), 120);
        assert_eq!(
            (d.missing, d.extra, d.changed, d.policies),
            (40, 40, 40, 10)
        );
        let d = Size::S.default_drift();
        assert_eq!((d.missing, d.extra, d.changed, d.policies), (1, 1, 0, 10));
    }

    #[test]
    fn one_file_per_role_and_the_templates() {
        let g = generate(&Options::size(Size::M)).unwrap();
        assert_eq!(g.policies.len(), 51);
        assert_eq!(g.policies[0].0, "templates.yaml");
        assert_eq!(g.policies[1].0, "roles/000-ai-administrator.yaml");
    }

    #[test]
    fn shapes_that_cannot_be_laid_out_are_refused() {
        let mut o = Options::size(Size::S);
        o.shape.users = 2;
        o.shape.groups = 0;
        assert!(generate(&o).unwrap_err().to_string().contains("per role"));
        let mut o = Options::size(Size::S);
        o.drift.missing = 1_000;
        assert!(generate(&o).is_err());
    }

    #[test]
    fn sizes_parse_case_insensitively() {
        assert_eq!("l-dir".parse::<Size>(), Ok(Size::LDir));
        assert_eq!("xl".parse::<Size>(), Ok(Size::XL));
        assert!("huge".parse::<Size>().is_err());
    }
}
