//! Where each setting of a role was written, for `lint`'s locations.

use super::ParsedFile;
use super::templates::TemplateDef;
use crate::model::*;
use std::collections::BTreeMap;
use std::path::Path;

/// Where each setting of a role was written: the role's own key, else the nearest template (in a user's file) that
/// set it. Keyed by the setting's path under the role (`activation.max_duration`); `template` is the role's
/// `template:` key.
pub(super) fn setting_origins(
    f: &ParsedFile,
    role_path: &str,
    chain: &[String],
    templates: &BTreeMap<String, TemplateDef>,
) -> BTreeMap<String, Origin> {
    let origin = |file: &Path, path: String, mark: crate::language::yaml::Mark| Origin {
        file: file.to_path_buf(),
        path,
        line: mark.line,
        column: mark.column,
    };
    let mut out = BTreeMap::new();
    for setting in origin_paths() {
        let own = join_setting(role_path, &setting);
        if let Some(mark) = f.ctx.mark(&own) {
            out.insert(setting, origin(&f.path, own, mark));
            continue;
        }
        if setting == "template" || setting == "eligible" || setting == "active" {
            continue;
        }
        for name in chain {
            let Some(def) = templates.get(name) else {
                continue;
            };
            if def.file == Path::new(crate::language::BUILTIN_TEMPLATES_PATH) {
                continue;
            }
            let path = join_setting(&def.name_sp.path, &setting);
            if let Some(mark) = def.ctx.mark(&path) {
                out.insert(setting, origin(def.file, path, mark));
                break;
            }
        }
    }
    out
}

fn join_setting(base: &str, setting: &str) -> String {
    setting.split('.').fold(base.to_string(), |p, key| {
        crate::language::de::join(&p, key)
    })
}

/// The setting paths whose origin is recorded.
fn origin_paths() -> Vec<String> {
    let mut out: Vec<String> = [
        "template",
        "eligible",
        "active",
        "activation",
        "activation.max_duration",
        "activation.require",
        "activation.authentication_context",
        "activation.approval",
        "activation.approval.required",
        "activation.approval.approvers",
        "activation.approval.stages",
        "eligible_assignment",
        "eligible_assignment.allow_permanent",
        "active_assignment",
        "active_assignment.allow_permanent",
        "notifications",
        "access_review",
        "access_review.every",
        "access_review.duration",
        "access_review.reviewers",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for e in NotificationEvent::ALL {
        out.push(format!("notifications.{}", e.as_str()));
        for r in Recipient::ALL {
            let base = format!("notifications.{}.{}", e.as_str(), r.as_str());
            out.push(format!("{base}.recipients"));
            out.push(format!("{base}.default_recipients"));
            out.push(base);
        }
    }
    out
}
