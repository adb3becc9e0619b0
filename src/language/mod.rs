//! The policy language: YAML files → validated [`crate::model::DesiredState`], with diagnostics.
//!
//! Pipeline: [`source`] finds and reads files → [`yaml`] builds a positioned tree → [`de`] decodes it into the
//! [`document`] types, collecting problems → [`lower`] resolves templates, merges, and checks everything against the
//! role catalogue and the policy. No network, no tenant.

pub mod de;
pub mod diagnostic;
pub mod document;
pub mod lower;
pub mod source;
pub mod yaml;

use chrono::{DateTime, Utc};
use diagnostic::Diagnostics;
use std::path::Path;

pub use diagnostic::{Code, Diagnostic, Location, MAX_DIAGNOSTICS, Severity};

/// The language version every file declares.
pub const VERSION: &str = "pimctl/v1";

/// The built-in tier templates, as shipped under `policies/`.
pub const BUILTIN_TEMPLATES: &str = include_str!("../../policies/builtin-tiers.yaml");
/// The name under which the embedded templates appear in diagnostics.
pub const BUILTIN_TEMPLATES_PATH: &str = "<builtin>/policies/builtin-tiers.yaml";

/// Options of a load.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// "Now", for checks on end dates. Injected so that results are reproducible.
    pub now: DateTime<Utc>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self { now: Utc::now() }
    }
}

/// The outcome of a load: the desired state (meaningful only without errors) and every diagnostic.
#[derive(Debug)]
pub struct Loaded {
    pub state: crate::model::DesiredState,
    pub diagnostics: Diagnostics,
}

impl Loaded {
    /// The state, if the input had no errors.
    pub fn ok(self) -> Result<crate::model::DesiredState, Diagnostics> {
        if self.diagnostics.has_errors() {
            Err(self.diagnostics)
        } else {
            Ok(self.state)
        }
    }
}

/// Loads a file, or a directory searched recursively for `*.yaml` and `*.yml`, into one desired state.
pub fn load(path: &Path, options: &LoadOptions) -> Loaded {
    let mut diagnostics = Diagnostics::default();
    let inputs = source::collect(path, &mut diagnostics);
    load_inputs(&inputs, diagnostics, options)
}

/// Loads exactly these files into one desired state: the policy files a saved plan recorded, which `apply` checks
/// the plan against.
pub fn load_files(paths: &[std::path::PathBuf], options: &LoadOptions) -> Loaded {
    let mut diagnostics = Diagnostics::default();
    let inputs = source::read_files(paths.to_vec(), &mut diagnostics);
    load_inputs(&inputs, diagnostics, options)
}

fn load_inputs(
    inputs: &[source::Input],
    mut diagnostics: Diagnostics,
    options: &LoadOptions,
) -> Loaded {
    let mut files = Vec::new();
    let user_has_builtin = inputs.iter().any(|i| i.text == BUILTIN_TEMPLATES);
    if !user_has_builtin {
        let builtin = source::Input {
            path: BUILTIN_TEMPLATES_PATH.into(),
            text: BUILTIN_TEMPLATES.to_string(),
        };
        files.extend(source::parse(&builtin, true, &mut diagnostics));
    }
    for input in inputs {
        let builtin = input.text == BUILTIN_TEMPLATES;
        files.extend(source::parse(input, builtin, &mut diagnostics));
    }
    let mut lowerer = lower::Lowerer::new(options.now);
    let state = lowerer.lower(&files);
    diagnostics.absorb(lowerer.diags);
    diagnostics.sort();
    Loaded { state, diagnostics }
}

/// Loads YAML text as if it were one file named `name` (for tests and tools).
pub fn load_str(name: &str, text: &str, options: &LoadOptions) -> Loaded {
    let mut diagnostics = Diagnostics::default();
    let mut files = Vec::new();
    let builtin = source::Input {
        path: BUILTIN_TEMPLATES_PATH.into(),
        text: BUILTIN_TEMPLATES.to_string(),
    };
    files.extend(source::parse(&builtin, true, &mut diagnostics));
    let input = source::Input {
        path: name.into(),
        text: text.to_string(),
    };
    files.extend(source::parse(&input, false, &mut diagnostics));
    let mut lowerer = lower::Lowerer::new(options.now);
    let state = lowerer.lower(&files);
    diagnostics.absorb(lowerer.diags);
    diagnostics.sort();
    Loaded { state, diagnostics }
}

/// The JSON Schema of the language, generated from the document types.
pub fn json_schema() -> schemars::Schema {
    let mut schema = schemars::schema_for!(document::Document);
    schema.insert("$id".into(), "urn:pimctl:policy:v1".into());
    schema
}

/// The JSON Schema of the language, pretty-printed.
pub fn json_schema_string() -> String {
    serde_json::to_string_pretty(&json_schema()).unwrap_or_default()
}
