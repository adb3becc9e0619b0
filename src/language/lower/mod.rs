//! Lowering: parsed documents → the validated desired state.
//!
//! Each file's [`Document`] is checked value by value (durations, dates, names, ranges), templates are resolved
//! through `extends:`, settings merge key by key (template chain first, then the role), and assignments are checked
//! against the merged policy. Every problem becomes a diagnostic; nothing stops at the first.

use super::de::{Ctx, Sp};
use super::diagnostic::{Code, Diagnostic, Diagnostics, Location};
use super::document::*;
use crate::model::*;
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};

mod activation;
mod assignments;
mod azure;
mod groups;
mod lint;
mod origins;
mod principals;
mod review;
mod roles;
mod settings;
mod target;
mod templates;

pub use assignments::parse_until;
pub use templates::SETTING_PATHS;

/// One decoded file.
pub struct ParsedFile {
    pub path: PathBuf,
    pub doc: Document,
    pub ctx: Ctx,
    /// Whether this is pimctl's own embedded file (the built-in templates), allowed to use `builtin:` names.
    pub builtin: bool,
}

/// The checker for one load: the diagnostics sink and "now".
pub struct Lowerer {
    pub diags: Diagnostics,
    now: DateTime<Utc>,
}

fn loc_of(file: &Path, path: &str, mark: super::yaml::Mark) -> Location {
    Location {
        file: file.to_path_buf(),
        path: path.to_string(),
        line: (mark.line > 0).then_some(mark.line),
        column: (mark.column > 0).then_some(mark.column),
    }
}

fn loc<T>(file: &Path, sp: &Sp<T>) -> Location {
    loc_of(file, &sp.path, sp.mark)
}

fn origin_of(l: &Location) -> Origin {
    Origin {
        file: l.file.clone(),
        path: l.path.clone(),
        line: l.line.unwrap_or(0),
        column: l.column.unwrap_or(0),
    }
}

impl Lowerer {
    pub fn new(now: DateTime<Utc>) -> Self {
        Self {
            diags: Diagnostics::default(),
            now,
        }
    }

    fn err(&mut self, code: Code, msg: impl Into<String>, at: Location, help: Option<String>) {
        let mut d = Diagnostic::new(code, msg, at);
        d.help = help;
        self.diags.push(d);
    }

    /// Lowers every parsed file into one desired state. Returns the state even when there are errors (callers decide
    /// from the diagnostics); it is only meaningful when there are none.
    pub fn lower(&mut self, files: &[ParsedFile]) -> DesiredState {
        let mut state = DesiredState {
            files: files
                .iter()
                .filter(|f| f.path != Path::new(super::BUILTIN_TEMPLATES_PATH))
                .map(|f| f.path.clone())
                .collect(),
            ..Default::default()
        };

        for f in files {
            self.check_version(f);
        }
        let templates = self.collect_templates(files);
        let resolved = self.resolve_templates(&templates);
        state.protected = self.lower_protected(files);
        self.lower_roles(files, &templates, &resolved, &mut state);
        self.lower_groups(files, &templates, &resolved, &mut state);
        self.lower_azure_roles(files, &templates, &resolved, &mut state);
        state.lint = self.lower_lint(files);
        self.diags.sort();
        state
    }

    fn check_version(&mut self, f: &ParsedFile) {
        match &f.doc.version {
            None => self.err(
                Code::MissingKey,
                "missing required key `version`",
                Location {
                    file: f.path.clone(),
                    path: String::new(),
                    line: Some(1),
                    column: Some(1),
                },
                Some("start the file with `version: pimctl/v1`".into()),
            ),
            Some(sp) => {
                if let Some(v) = sp.get()
                    && v != super::VERSION
                {
                    self.err(
                        Code::UnknownVersion,
                        format!("unknown version `{v}`"),
                        loc(&f.path, sp),
                        Some(format!("this pimctl reads `version: {}`", super::VERSION)),
                    );
                }
            }
        }
    }
}
