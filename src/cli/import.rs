//! `pimctl import --out DIR`: read the tenant (the same bulk read as `plan`) and write its posture as policy files.

use super::plan::{EXIT_ERROR, fail};
use super::tenant::TenantArgs;
use crate::import::{self, Options, RoleSelection};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory to write the policy files into. It must be empty or absent, unless --force.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Which roles: `all` (default), `privileged` (the roles Microsoft labels privileged), or role names or ids,
    /// separated by commas.
    #[arg(long, value_name = "all|privileged|NAME,…", default_value = "all", value_parser = parse_roles)]
    pub roles: RoleSelection,
    /// Groups to import besides those found (display names or object ids, separated by commas). Import finds the
    /// groups that hold directory roles, that policies name as approvers, and the role-assignable groups; Graph has
    /// no list of every group under PIM for Groups, so name any other here.
    #[arg(long, value_name = "NAME,…", value_delimiter = ',')]
    pub groups: Vec<String>,
    /// Write only the policy settings that differ from Microsoft's defaults (the others stay unmanaged).
    #[arg(long)]
    pub minimal: bool,
    /// Azure scopes to adopt, as ARM paths (`/subscriptions/{id}`, `…/resourceGroups/{name}`,
    /// `/providers/Microsoft.Management/managementGroups/{name}`): their Azure resource roles are written to
    /// azure.yaml, read through Azure Resource Manager (`--arm-url`).
    #[arg(long, value_name = "SCOPE,…", value_delimiter = ',', value_parser = parse_scope)]
    pub azure: Vec<crate::graph::arm::ArmScope>,
    /// Write into a non-empty DIR, replacing files of the same names.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub tenant: TenantArgs,
}

fn parse_roles(s: &str) -> Result<RoleSelection, String> {
    match s.trim() {
        "" => Err("give `all`, `privileged` or role names".into()),
        "all" => Ok(RoleSelection::All),
        "privileged" => Ok(RoleSelection::Privileged),
        names => Ok(RoleSelection::Named(
            names
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(String::from)
                .collect(),
        )),
    }
}

pub fn run(args: Args) -> ExitCode {
    if let Err(message) = check_out_dir(&args.out, args.force) {
        return fail(message);
    }
    if matches!(args.tenant.emulator, Some(None)) {
        return fail(
            "import has no policies beside which to find a tenant file: give it (--emulator examples/contoso/tenant.yaml)"
                .into(),
        );
    }
    // The files are staged in a directory beside the target, made before the tenant is read (so that a place that
    // cannot be written is found in a moment, not after the whole read) and renamed into place once every file is
    // written: the result is all or nothing. On any failure the staging directory goes, the target untouched.
    let staged = match crate::files::StagedDir::new(&args.out) {
        Ok(s) => s,
        Err(e) => return fail(format!("cannot create {}: {e}", args.out.display())),
    };
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => return fail(format!("cannot start the runtime: {e}")),
    };
    let imported = rt.block_on(async {
        let tenant = args.tenant.connect(Path::new(".")).await.map_err(fail)?;
        let outcome = async {
            // `--azure`: those scopes' Azure resource roles too, through ARM (as `plan` reads a declaration's).
            let scopes = crate::observe::azure::reading(&args.azure);
            let mut live = tenant
                .read(&[&scopes])
                .await
                .map_err(|e| fail(e.to_string()))?;
            // Reviews too: import writes each managed target's review (one more list, and its reviewers).
            crate::observe::reviews::read_with_reviewers(&tenant.client, &mut live)
                .await
                .map_err(|e| fail(e.to_string()))?;
            let named: Vec<String> = args
                .groups
                .iter()
                .map(|g| g.trim().to_string())
                .filter(|g| !g.is_empty())
                .collect();
            let groups = crate::observe::discover_groups(&tenant.client, &mut live, &named)
                .await
                .map_err(|e| fail(e.to_string()))?;
            let mut ambiguous = crate::observe::ambiguous_names(&tenant.client, &live)
                .await
                .map_err(|e| fail(e.to_string()))?;
            ambiguous.extend(groups.ambiguous.iter().cloned());
            let tenant_name = match &tenant.emulator {
                Some(e) => Some(e.with_state(|s| s.tenant_id.clone())),
                None => args.tenant.graph.tenant.clone(),
            };
            let options = Options {
                roles: args.roles.clone(),
                minimal: args.minimal,
                tenant: tenant_name,
                groups_named: groups.named(),
                azure: args.azure.clone(),
            };
            import::import(&live, &ambiguous, &options).map_err(|e| fail(e.to_string()))
        }
        .await;
        tenant.close().await;
        outcome
    });
    let imported = match imported {
        Ok(i) => i,
        Err(code) => return code,
    };
    for f in &imported.files {
        if let Err(e) = staged.write(&f.name, &f.text) {
            return fail(format!(
                "cannot write {}: {e}; nothing was written",
                args.out.join(&f.name).display()
            ));
        }
    }
    if let Err(e) = staged.commit() {
        return fail(format!(
            "cannot put the files in {}: {e}",
            args.out.display()
        ));
    }
    let s = &imported.summary;
    let files: Vec<&str> = imported.files.iter().map(|f| f.name.as_str()).collect();
    let groups = if s.groups > 0 {
        format!(", {}", count(s.groups, "group", "groups"))
    } else {
        String::new()
    };
    let groups = if s.azure_roles > 0 {
        format!(
            "{groups}, {}",
            count(s.azure_roles, "Azure role", "Azure roles")
        )
    } else {
        groups
    };
    let reviews = if s.reviews > 0 {
        format!(", {}", count(s.reviews, "access review", "access reviews"))
    } else {
        String::new()
    };
    let text = format!(
        "Imported {}{groups} ({}, {} eligible and {} active assignments{reviews}) into {}: {}.\n",
        count(s.roles, "role", "roles"),
        count(s.templates, "template", "templates"),
        s.eligible,
        s.active,
        args.out.display(),
        files.join(", ")
    );
    if super::write_stdout(&text).is_err() {
        return ExitCode::from(EXIT_ERROR);
    }
    let mut notes = vec![];
    if s.break_glass_candidates > 0 {
        notes.push(format!(
            "{} proposed as break-glass accounts in protected.yaml, commented out: confirm them",
            count(
                s.break_glass_candidates,
                "permanent active Global Administrator is",
                "permanent active Global Administrators are"
            )
        ));
    }
    if s.notes > 0 {
        notes.push(format!(
            "{} left unmanaged, because the language can't declare them as the tenant has them: see the comments",
            count(s.notes, "setting or list is", "settings or lists are")
        ));
    }
    if s.groups_untouched > 0 {
        notes.push(format!(
            "{} nobody assigned and Microsoft's untouched policies (not under PIM for Groups): not written; name them with --groups to manage them",
            count(s.groups_untouched, "group found has", "groups found have")
        ));
    }
    if s.activations > 0 {
        notes.push(format!(
            "{} just in time, not imported as assignments",
            count(
                s.activations,
                "activation in progress is",
                "activations in progress are"
            )
        ));
    }
    if s.expired > 0 {
        notes.push(format!(
            "{} not imported",
            count(
                s.expired,
                "assignment that already ended is",
                "assignments that already ended are"
            )
        ));
    }
    if s.indirect > 0 {
        notes.push(format!(
            "{} not declared",
            count(
                s.indirect,
                "assignment through a group, inherited or below the tenant scope is",
                "assignments through groups, inherited or below the tenant scope are"
            )
        ));
    }
    for n in notes {
        eprintln!("note: {n}");
    }
    // The command to run next, against the same tenant: with --emulator, the same seed.
    let against = match &args.tenant.emulator {
        Some(Some(seed)) => format!(" --emulator {}", seed.display()),
        _ => String::new(),
    };
    eprintln!(
        "next: review the files, then `pimctl plan {}{against}` should show no changes (docs/adoption.md)",
        args.out.display()
    );
    ExitCode::SUCCESS
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The output directory must be absent or empty, unless `force`.
fn check_out_dir(dir: &Path, force: bool) -> Result<(), String> {
    if dir.exists() && !dir.is_dir() {
        return Err(format!("{} exists and is not a directory", dir.display()));
    }
    if force || !dir.exists() {
        return Ok(());
    }
    let mut entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    if entries.next().is_some() {
        return Err(format!(
            "{} is not empty; import writes into an empty directory (--force writes over it)",
            dir.display()
        ));
    }
    Ok(())
}

/// One `--azure` scope: an ARM path, checked before anything is read.
fn parse_scope(s: &str) -> Result<crate::graph::arm::ArmScope, String> {
    crate::graph::arm::ArmScope::parse(s.trim())
        .map_err(|e| format!("`{s}` is not an Azure scope: {e}"))
}
