//! The checks before any write, in one place: apply sends nothing unless the plan still describes the tenant, was
//! not edited, has no errors, and removes no protected principal. The command line only prints the refusal.

use super::{StaleObject, misdirected_writes, refused_removals, stale_objects, unrecorded_writes};
use crate::model::{DesiredState, LiveState};
use crate::plan::Plan;
use std::collections::BTreeSet;
use std::fmt;

/// Why apply refuses to send anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The plan was made for another tenant (or records none, or this one cannot be named).
    OtherTenant {
        plan: Option<crate::model::Tenant>,
        tenant: Option<crate::model::Tenant>,
    },
    /// Objects the plan recorded changed in the tenant since it was made.
    Stale(Vec<StaleObject>),
    /// The plan has errors: it cannot be applied, in part or whole.
    Errors,
    /// The plan file was edited: these writes are not the ones planned and fingerprinted.
    Edited(Vec<String>),
    /// These changes would remove a protected principal.
    Protected(Vec<String>),
}

/// The report, as `pimctl apply` prints it on stderr (one line, or a heading and one line per finding).
impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::OtherTenant { plan, tenant } => match (plan, tenant) {
                (Some(p), Some(t)) => write!(
                    f,
                    "error: this plan was made for tenant {p}, and this is tenant {t}; nothing was applied. \
                     Sign in to the plan's tenant, or make a plan for this one."
                ),
                (None, _) => write!(
                    f,
                    "error: the plan records no tenant, so it cannot be checked against this one; nothing was \
                     applied. Make a new plan."
                ),
                (Some(p), None) => write!(
                    f,
                    "error: cannot tell which tenant this is, so the plan for tenant {p} was not applied"
                ),
            },
            Refusal::Stale(stale) => {
                writeln!(
                    f,
                    "error: the tenant changed since this plan was made; nothing was applied:"
                )?;
                for s in stale {
                    match &s.changes[..] {
                        [] => writeln!(f, "  {} {}", s.object, s.what())?,
                        changes => writeln!(
                            f,
                            "  {} {} (for: {})",
                            s.object,
                            s.what(),
                            changes.join("; ")
                        )?,
                    }
                }
                write!(f, "Make a new plan and review it.")
            }
            Refusal::Errors => write!(f, "error: the plan has errors; nothing was applied"),
            Refusal::Edited(writes) => {
                writeln!(
                    f,
                    "error: the plan file was edited: these writes are not the ones planned and fingerprinted; \
                     nothing was applied:"
                )?;
                for w in writes {
                    writeln!(f, "  {w}")?;
                }
                write!(f, "Make a new plan and review it.")
            }
            Refusal::Protected(removals) => {
                write!(
                    f,
                    "error: the plan removes a protected principal; nothing was applied:"
                )?;
                for r in removals {
                    write!(f, "\n  {r}")?;
                }
                Ok(())
            }
        }
    }
}

/// The object ids apply never removes: the plan file's `protected` list, and the principals the declaration (when
/// given) protects, resolved against the tenant as read now, so that leaving one out of the file lifts nothing.
pub fn protected_ids(
    plan: &Plan,
    desired: Option<&DesiredState>,
    live: &LiveState,
) -> BTreeSet<String> {
    let mut ids: BTreeSet<String> = plan.protected.iter().map(|s| s.to_lowercase()).collect();
    for p in desired.iter().flat_map(|d| &d.protected) {
        if let Some(id) = live.id_of(&p.principal) {
            ids.insert(id.to_lowercase());
        }
    }
    ids
}

/// What the tenant read before an apply must cover when there is no declaration to read it for
/// (`--no-policy-check`): the groups and Azure roles the plan writes, as targets that manage nothing. Directory
/// roles are always read; a group, or an Azure scope, is read only when a declaration names it, so without this
/// their objects would read as gone and the plan as stale.
pub fn plan_scope(plan: &Plan) -> DesiredState {
    use crate::model::{DesiredTarget, GroupAccess, Surface, TargetRef};
    let mut scope = DesiredState::default();
    for c in &plan.changes {
        let key = c.key.target();
        let access = [GroupAccess::Member, GroupAccess::Owner]
            .into_iter()
            .find(|a| a.as_str() == key.role.0);
        let target = match (key.surface, access) {
            (Surface::Group, Some(access)) => TargetRef::Group {
                group: key.scope.clone(),
                access,
            },
            // An Azure role's scope is read through ARM only when some target names it.
            (Surface::AzureRole, _) => TargetRef::AzureRole {
                scope: key.scope.clone(),
                role: crate::model::RoleRef::CustomById {
                    id: key.role.0.clone(),
                },
            },
            _ => continue,
        };
        scope
            .targets
            .entry(key.clone())
            .or_insert_with(|| DesiredTarget::unmanaged(target));
    }
    // The fan-outs it recorded: their scopes are listed again, so that one created since makes the plan stale.
    for object in plan.fingerprints.keys() {
        let crate::plan::fingerprint::ObjectId::ScopesBelow { target, below } = object else {
            continue;
        };
        let declared = TargetRef::AzureRole {
            scope: target.scope.clone(),
            role: crate::model::RoleRef::CustomById {
                id: target.role.0.clone(),
            },
        };
        scope
            .targets
            .entry(target.clone())
            .or_insert_with(|| DesiredTarget::unmanaged(declared));
        scope.fan_outs.insert(
            target.clone(),
            crate::model::fanout::FanOut {
                below: *below,
                origin: crate::model::Origin {
                    file: Default::default(),
                    path: String::new(),
                    line: 0,
                    column: 0,
                },
            },
        );
    }
    scope
}

/// Every check before a write, in order: the tenant, stale objects, errors, edited writes (unrecorded or
/// misdirected), protected removals. `desired` is the declaration when apply has it (planning, or `--policies`).
pub fn preflight(
    plan: &Plan,
    live: &LiveState,
    desired: Option<&DesiredState>,
) -> Result<(), Refusal> {
    // First: another tenant's objects are all "changed", and saying so would hide the real mistake.
    if !matches!((&plan.tenant, &live.tenant), (Some(p), Some(t)) if p.same(t)) {
        return Err(Refusal::OtherTenant {
            plan: plan.tenant.clone(),
            tenant: live.tenant.clone(),
        });
    }
    let stale = stale_objects(plan, live);
    if !stale.is_empty() {
        return Err(Refusal::Stale(stale));
    }
    if !plan.errors.is_empty() {
        return Err(Refusal::Errors);
    }
    let mut edited = unrecorded_writes(plan);
    edited.extend(misdirected_writes(plan, live));
    if !edited.is_empty() {
        return Err(Refusal::Edited(edited));
    }
    let refused = refused_removals(plan, &protected_ids(plan, desired, live));
    if !refused.is_empty() {
        return Err(Refusal::Protected(refused));
    }
    Ok(())
}
