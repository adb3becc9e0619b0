//! Diagnostics: a severity, a stable code, a message, and where (file, YAML path, line and column).
//!
//! Rendered as text in the style of rustc (through codespan-reporting) or as JSON.

use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $name:ident = $code:literal, $sev:ident, $title:literal; )*) => {
        /// Every diagnostic code. Codes are stable: never renumbered, never reused.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $( $(#[$doc])* $name, )* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$name),*];
            /// The stable code, e.g. `E0107`.
            pub fn as_str(self) -> &'static str { match self { $(Code::$name => $code,)* } }
            /// The severity this code is reported with.
            pub fn severity(self) -> Severity { match self { $(Code::$name => Severity::$sev,)* } }
            /// A one-line title, used in the documentation.
            pub fn title(self) -> &'static str { match self { $(Code::$name => $title,)* } }
        }
    };
}

codes! {
    ReadFailed = "E0001", Error, "a file or directory cannot be read";
    NotUtf8 = "E0002", Error, "a file is not valid UTF-8";
    NoYamlFiles = "E0003", Error, "a directory holds no `*.yaml` or `*.yml` file";
    Syntax = "E0100", Error, "YAML syntax error";
    DuplicateKey = "E0101", Error, "a key appears twice in one mapping";
    AnchorAlias = "E0102", Error, "YAML anchors and aliases are not supported";
    MergeKey = "E0103", Error, "YAML merge keys (`<<`) are not supported";
    MultipleDocuments = "E0104", Error, "a file holds more than one YAML document";
    TabIndent = "E0105", Error, "a tab is used for indentation";
    EmptyFile = "E0106", Error, "a file is empty";
    Tag = "E0107", Error, "YAML tags are not supported";
    UnknownKey = "E0110", Error, "unknown key";
    MissingKey = "E0111", Error, "a required key is missing";
    WrongType = "E0112", Error, "a value has the wrong type";
    UnknownVersion = "E0113", Error, "unknown `version`";
    InvalidValue = "E0114", Error, "a value is not one of the allowed values";
    OutOfRange = "E0115", Error, "a number is out of range";
    EmptyValue = "E0116", Error, "a key has no value";
    BadDuration = "E0120", Error, "a duration cannot be parsed";
    BadDate = "E0121", Error, "a date cannot be parsed";
    UndefinedTemplate = "E0130", Error, "a template is not defined";
    TemplateCycle = "E0131", Error, "templates extend each other in a cycle";
    TemplateTwice = "E0132", Error, "a template is defined twice";
    ReservedTemplateName = "E0133", Error, "a template name uses the reserved `builtin:` prefix";
    RoleTwice = "E0140", Error, "a role is declared twice";
    UnknownRole = "E0141", Error, "a role name is not a built-in Entra role";
    DuplicatePrincipal = "E0142", Error, "a principal appears twice in one list";
    PrincipalKind = "E0143", Error, "a principal entry must name exactly one of `user`, `group` or `service_principal`";
    BadPrincipal = "E0144", Error, "a principal name is malformed or not allowed here";
    CustomBuiltin = "E0145", Error, "`custom: true` on the name of a built-in role";
    GroupTwice = "E0146", Error, "a group is declared twice";
    ApprovalWithoutApprovers = "E0150", Error, "approval is required but no approver is named";
    ActivationOutOfRange = "E0151", Error, "the activation maximum is outside 30 minutes to 24 hours";
    PermanentNotAllowed = "E0152", Error, "a permanent assignment where the policy requires an end date";
    UntilBeyondMaximum = "E0153", Error, "an assignment ends later than the policy's maximum duration allows";
    ServicePrincipalEligible = "E0154", Error, "a service principal is declared eligible";
    ServicePrincipalPermanent = "E0155", Error, "a service principal holds a permanent active assignment";
    BadEmail = "E0156", Error, "a notification recipient is not an email address";
    BadCadence = "E0157", Error, "an access review cadence is meaningless";
    BadReviewDuration = "E0158", Error, "an access review duration is meaningless";
    ProtectedEligible = "E0159", Error, "a protected principal is eligible for a role in which it is active";
    BadAuthContext = "E0160", Error, "an authentication context is not `c1` to `c99` or `off`";
    RequirementNotAllowed = "E0161", Error, "a requirement is not available for this kind of assignment";
    MustSet = "E0162", Error, "a template requires a setting that the role does not give";
    UnknownSetting = "E0163", Error, "`must_set` names a setting that does not exist";
    ReviewNotAvailable = "E0170", Error, "an access review this target cannot have, or reviewers that cannot go together";
    ReviewRemovesProtected = "E0171", Error, "an access review would remove a protected principal nobody reviewed";
    BadScope = "E0180", Error, "an Azure scope is not an ARM scope";
    ScopeTwice = "E0181", Error, "an Azure scope is declared twice";
    UnknownAzureRole = "E0182", Error, "a role name is not a built-in Azure role";
    BadCondition = "E0183", Error, "an ABAC condition is malformed or not allowed here";
    BadFanOut = "E0189", Error, "`below` where it cannot fan out";
    UntilInPast = "W0201", Warning, "an assignment's `until` lies in the past; the entry is ignored";
    EligibleAndActive = "W0202", Warning, "a principal is both eligible and active in one role";
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A place in a file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    pub file: PathBuf,
    /// The YAML path, e.g. `directory_roles."Global Administrator".eligible[2].until`. Empty for the whole file.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
}

/// A secondary location with its own message ("first declared here").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Related {
    pub message: String,
    #[serde(flatten)]
    pub location: Location,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    #[serde(flatten)]
    pub location: Location,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
}

impl Diagnostic {
    pub fn new(code: Code, message: impl Into<String>, location: Location) -> Self {
        Self {
            severity: code.severity(),
            code,
            message: message.into(),
            location,
            help: None,
            related: Vec::new(),
        }
    }
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    pub fn with_related(mut self, message: impl Into<String>, location: Location) -> Self {
        self.related.push(Related {
            message: message.into(),
            location,
        });
        self
    }
}

/// How many diagnostics a run keeps, and renders; the rest are only counted ("… and 99,000 more"). A pathological
/// file (100,000 unknown keys, a million `null` items) then costs memory and output in proportion to this bound,
/// not to its size.
pub const MAX_DIAGNOSTICS: usize = 1_000;

/// Every diagnostic of a run (the first [`MAX_DIAGNOSTICS`], and a count of the rest), with the sources needed to
/// render them.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
    sources: BTreeMap<PathBuf, String>,
    /// Diagnostics past the bound, by severity: counted, not kept.
    omitted_errors: usize,
    omitted_warnings: usize,
}

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        if self.items.len() < MAX_DIAGNOSTICS {
            self.items.push(d);
        } else {
            self.omit(d.severity, 1);
        }
    }
    pub fn extend(&mut self, ds: impl IntoIterator<Item = Diagnostic>) {
        for d in ds {
            self.push(d);
        }
    }
    /// Takes in another run's diagnostics, its omitted ones included.
    pub fn absorb(&mut self, other: Diagnostics) {
        self.omit(Severity::Error, other.omitted_errors);
        self.omit(Severity::Warning, other.omitted_warnings);
        self.extend(other.items);
        self.sources.extend(other.sources);
    }
    /// Counts `n` diagnostics of `severity` that were found but not kept.
    pub fn omit(&mut self, severity: Severity, n: usize) {
        match severity {
            Severity::Error => self.omitted_errors += n,
            Severity::Warning => self.omitted_warnings += n,
        }
    }
    /// Diagnostics counted but not kept (past [`MAX_DIAGNOSTICS`]).
    pub fn omitted(&self) -> usize {
        self.omitted_errors + self.omitted_warnings
    }
    pub fn add_source(&mut self, file: &Path, text: &str) {
        self.sources.insert(file.to_path_buf(), text.to_string());
    }
    pub fn items(&self) -> &[Diagnostic] {
        &self.items
    }
    /// Errors found, those past the bound included.
    pub fn error_count(&self) -> usize {
        self.items
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
            + self.omitted_errors
    }
    /// Warnings found, those past the bound included.
    pub fn warning_count(&self) -> usize {
        self.items
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count()
            + self.omitted_warnings
    }
    pub fn has_errors(&self) -> bool {
        self.error_count() > 0
    }
    /// Orders diagnostics by file, line, column and code, and drops exact duplicates.
    pub fn sort(&mut self) {
        self.items.sort_by(|a, b| {
            (
                &a.location.file,
                a.location.line,
                a.location.column,
                a.code,
                &a.message,
            )
                .cmp(&(
                    &b.location.file,
                    b.location.line,
                    b.location.column,
                    b.code,
                    &b.message,
                ))
        });
        self.items.dedup();
    }

    /// Renders as text in the style of rustc, with source excerpts where the file is known.
    pub fn render_text(&self, color: bool) -> String {
        render::text(self, color)
    }

    /// Renders as a JSON document: `{"diagnostics": [...], "errors": n, "warnings": n}`, and `"omitted": n` when
    /// more were found than are kept (the counts include them).
    pub fn render_json(&self) -> String {
        let mut doc = serde_json::json!({
            "diagnostics": self.items,
            "errors": self.error_count(),
            "warnings": self.warning_count(),
        });
        if self.omitted() > 0 {
            doc["omitted"] = self.omitted().into();
        }
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    }

    pub(crate) fn source(&self, file: &Path) -> Option<&str> {
        self.sources.get(file).map(String::as_str)
    }
}

/// The span of a source excerpt to underline for a 1-based line and column: the token there (shared with `lint`).
pub(crate) fn excerpt_span(text: &str, line: u32, column: u32) -> Option<std::ops::Range<usize>> {
    render::span(text, line, column)
}

mod render {
    use super::*;
    use codespan_reporting::diagnostic::{Diagnostic as CsDiag, Label};
    use codespan_reporting::files::SimpleFiles;
    use codespan_reporting::term::{self, Config};

    /// The byte offset where each line starts.
    fn line_starts(text: &str) -> Vec<usize> {
        std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .filter(|&i| i < text.len())
            .collect()
    }

    /// Byte offset of a 1-based line and column (in characters), given the file's line starts.
    fn offset(text: &str, starts: &[usize], line: u32, column: u32) -> Option<usize> {
        let start = *starts.get((line as usize).checked_sub(1)?)?;
        let end = starts.get(line as usize).copied().unwrap_or(text.len());
        let l = &text[start..end];
        let col = column.saturating_sub(1) as usize;
        let within = l
            .char_indices()
            .nth(col)
            .map(|(b, _)| b)
            .unwrap_or(l.trim_end_matches('\n').len());
        Some(start + within)
    }

    /// The span to underline: from the location to the end of the token on that line.
    pub(super) fn span(text: &str, line: u32, column: u32) -> Option<std::ops::Range<usize>> {
        span_in(text, &line_starts(text), line, column)
    }

    fn span_in(
        text: &str,
        starts: &[usize],
        line: u32,
        column: u32,
    ) -> Option<std::ops::Range<usize>> {
        let start = offset(text, starts, line, column)?;
        // Only the rest of this line: searching the rest of the file would make each excerpt cost the file's size.
        let full = &text[start..];
        let rest = &full[..full.find('\n').unwrap_or(full.len())];
        let len = [
            rest.find(['\n', '\r', ',', ']', '}']),
            rest.find(": "),
            rest.find(" #"),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(rest.len());
        let len = rest[..len].trim_end().len();
        Some(start..start + len.max(if full.is_empty() { 0 } else { 1 }))
    }

    pub(super) fn text(diags: &Diagnostics, color: bool) -> String {
        let mut files = SimpleFiles::new();
        let mut ids = BTreeMap::new();
        for (path, text) in &diags.sources {
            ids.insert(
                path.clone(),
                (
                    files.add(path.display().to_string(), text.clone()),
                    line_starts(text),
                ),
            );
        }
        let label_for = |loc: &Location, msg: String, primary: bool| -> Option<Label<usize>> {
            let (id, starts) = ids.get(&loc.file)?;
            let id = *id;
            let text = diags.source(&loc.file)?;
            let range = span_in(text, starts, loc.line?, loc.column.unwrap_or(1))?;
            Some(if primary {
                Label::primary(id, range).with_message(msg)
            } else {
                Label::secondary(id, range).with_message(msg)
            })
        };
        let mut out = Vec::new();
        let config = Config::default();
        for d in &diags.items {
            let sev = match d.severity {
                Severity::Error => codespan_reporting::diagnostic::Severity::Error,
                Severity::Warning => codespan_reporting::diagnostic::Severity::Warning,
            };
            let mut cs = CsDiag::new(sev)
                .with_code(d.code.as_str())
                .with_message(&d.message);
            let mut labels = Vec::new();
            let mut notes = Vec::new();
            match label_for(&d.location, String::new(), true) {
                Some(l) => labels.push(l),
                None => notes.push(format!("in {}", describe(&d.location))),
            }
            for r in &d.related {
                match label_for(&r.location, r.message.clone(), false) {
                    Some(l) => labels.push(l),
                    None => notes.push(format!("{}: {}", r.message, describe(&r.location))),
                }
            }
            if !d.location.path.is_empty() {
                notes.push(format!("at: {}", d.location.path));
            }
            if let Some(h) = &d.help {
                notes.push(format!("help: {h}"));
            }
            cs = cs.with_labels(labels).with_notes(notes);
            let mut buf = if color {
                codespan_reporting::term::termcolor::Buffer::ansi()
            } else {
                codespan_reporting::term::termcolor::Buffer::no_color()
            };
            if term::emit_to_write_style(&mut buf, &config, &files, &cs).is_err() {
                // Fall back to a plain line if the excerpt cannot be rendered.
                buf = codespan_reporting::term::termcolor::Buffer::no_color();
                let _ = std::io::Write::write_all(
                    &mut buf,
                    format!(
                        "{}[{}]: {} ({})\n",
                        sev_word(d.severity),
                        d.code,
                        d.message,
                        describe(&d.location)
                    )
                    .as_bytes(),
                );
            }
            out.extend_from_slice(buf.as_slice());
        }
        if diags.omitted() > 0 {
            out.extend_from_slice(
                format!(
                    "… and {} more (only the first {} are shown)\n\n",
                    thousands(diags.omitted()),
                    thousands(MAX_DIAGNOSTICS)
                )
                .as_bytes(),
            );
        }
        let (e, w) = (diags.error_count(), diags.warning_count());
        let summary = match (e, w) {
            (0, 0) => "no problems found".to_string(),
            _ => format!("{} error{}, {} warning{}", e, plural(e), w, plural(w)),
        };
        out.extend_from_slice(summary.as_bytes());
        out.push(b'\n');
        String::from_utf8_lossy(&out).into_owned()
    }

    /// `99000` as `99,000`.
    fn thousands(n: usize) -> String {
        let digits = n.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    }

    fn plural(n: usize) -> &'static str {
        if n == 1 { "" } else { "s" }
    }

    fn sev_word(s: Severity) -> &'static str {
        match s {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }

    fn describe(loc: &Location) -> String {
        match (loc.line, loc.column) {
            (Some(l), Some(c)) => format!("{}:{l}:{c}", loc.file.display()),
            (Some(l), None) => format!("{}:{l}", loc.file.display()),
            _ => loc.file.display().to_string(),
        }
    }
}
