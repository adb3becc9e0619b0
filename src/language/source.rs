//! Finding and reading policy files.

use super::de::{self, Ctx};
use super::diagnostic::{Code, Diagnostic, Diagnostics, Location, Severity};
use super::lower::ParsedFile;
use super::yaml::{self, Value};
use std::path::{Path, PathBuf};

/// A file's text.
pub struct Input {
    pub path: PathBuf,
    pub text: String,
}

/// Names that hold an emulator seed rather than policies; skipped when a directory is searched.
pub const SEED_FILE_NAMES: &[&str] = &["tenant.yaml", "tenant.yml"];

fn at_file(path: &Path) -> Location {
    Location {
        file: path.to_path_buf(),
        path: String::new(),
        line: None,
        column: None,
    }
}

/// Reads `path` (a file, or a directory searched recursively for `*.yaml` / `*.yml`, in sorted order, skipping
/// hidden entries and emulator seeds named `tenant.yaml`).
pub fn collect(path: &Path, diags: &mut Diagnostics) -> Vec<Input> {
    let mut paths = Vec::new();
    match std::fs::metadata(path) {
        Err(e) => {
            diags.push(
                Diagnostic::new(
                    Code::ReadFailed,
                    format!("cannot read `{}`: {e}", path.display()),
                    at_file(path),
                )
                .with_help("give a policy file or a directory of them"),
            );
            return Vec::new();
        }
        Ok(m) if m.is_dir() => {
            walk(path, &mut paths, diags);
            paths.sort();
            if paths.is_empty() {
                diags.push(
                    Diagnostic::new(
                        Code::NoYamlFiles,
                        format!("`{}` holds no `*.yaml` or `*.yml` file", path.display()),
                        at_file(path),
                    )
                    .with_help("point pimctl at the directory that holds your policy files"),
                );
            }
        }
        Ok(_) => paths.push(path.to_path_buf()),
    }
    read_files(paths, diags)
}

/// Reads exactly these files (a saved plan's recorded policy files), in the order given.
pub fn read_files(paths: Vec<PathBuf>, diags: &mut Diagnostics) -> Vec<Input> {
    let mut out = Vec::new();
    for p in paths {
        // Anything but a regular file (a FIFO would block the read forever, a device never end) is named, not read.
        if let Some(kind) = crate::files::not_a_regular_file(&p) {
            diags.push(
                Diagnostic::new(
                    Code::ReadFailed,
                    format!("`{}` is {kind}, not a regular file; it is not read", p.display()),
                    at_file(&p),
                )
                .with_help("policy files are regular files; remove it or rename it so that it does not end in `.yaml`"),
            );
            continue;
        }
        match std::fs::read(&p) {
            Err(e) => diags.push(Diagnostic::new(
                Code::ReadFailed,
                format!("cannot read `{}`: {e}", p.display()),
                at_file(&p),
            )),
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => out.push(Input {
                    path: p,
                    text: crate::files::without_bom(&text).to_string(),
                }),
                Err(e) => {
                    let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
                    let text = String::from_utf8_lossy(valid);
                    let line = text.matches('\n').count() + 1;
                    let column = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                    diags.push(
                        Diagnostic::new(
                            Code::NotUtf8,
                            format!("`{}` is not valid UTF-8", p.display()),
                            Location {
                                file: p.clone(),
                                path: String::new(),
                                line: u32::try_from(line).ok(),
                                column: u32::try_from(column).ok(),
                            },
                        )
                        .with_help("save the file as UTF-8"),
                    );
                }
            },
        }
    }
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, diags: &mut Diagnostics) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            diags.push(Diagnostic::new(
                Code::ReadFailed,
                format!("cannot read directory `{}`: {e}", dir.display()),
                at_file(dir),
            ));
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_dir() {
            walk(&path, out, diags);
        } else if (name.ends_with(".yaml") || name.ends_with(".yml"))
            && !SEED_FILE_NAMES.contains(&name.as_str())
        {
            out.push(path);
        }
    }
}

/// Parses and decodes one file. YAML problems become diagnostics; the document is decoded when the YAML is usable.
pub fn parse(input: &Input, builtin: bool, diags: &mut Diagnostics) -> Option<ParsedFile> {
    diags.add_source(&input.path, &input.text);
    let (node, problems) = yaml::read(&input.text);
    let fatal = problems
        .iter()
        .any(|p| matches!(p.code, Code::Syntax | Code::TabIndent));
    for p in problems {
        let at = Location {
            file: input.path.clone(),
            path: String::new(),
            line: Some(p.mark.line),
            column: Some(p.mark.column),
        };
        let mut d = Diagnostic::new(p.code, p.message, at.clone());
        d.help = p.help;
        if let Some(first) = p.first {
            d = d.with_related(
                "first here",
                Location {
                    line: Some(first.line),
                    column: Some(first.column),
                    ..at
                },
            );
        }
        diags.push(d);
    }
    if fatal {
        return None;
    }
    let Some(node) = node else {
        diags.push(
            Diagnostic::new(
                Code::EmptyFile,
                format!("`{}` is empty", input.path.display()),
                at_file(&input.path),
            )
            .with_help("start the file with `version: pimctl/v1`, or delete it"),
        );
        return None;
    };
    if !matches!(node.value, Value::Map(_)) {
        diags.push(
            Diagnostic::new(
                Code::WrongType,
                format!(
                    "expected a mapping at the top of the file, found {}",
                    node.describe()
                ),
                Location {
                    file: input.path.clone(),
                    path: String::new(),
                    line: Some(node.mark.line),
                    column: Some(node.mark.column),
                },
            )
            .with_help("a policy file is a mapping that starts with `version: pimctl/v1`"),
        );
        return None;
    }
    let ctx = Ctx::default();
    let doc = de::decode::<super::document::Document>(&node, "", &ctx);
    for p in ctx.problems.borrow().iter() {
        let mut d = Diagnostic::new(
            p.code,
            p.message.clone(),
            Location {
                file: input.path.clone(),
                path: p.path.clone(),
                line: Some(p.mark.line),
                column: Some(p.mark.column),
            },
        );
        d.help = p.help.clone();
        diags.push(d);
    }
    let (errors, warnings) = ctx.omitted.get();
    diags.omit(Severity::Error, errors);
    diags.omit(Severity::Warning, warnings);
    Some(ParsedFile {
        path: input.path.clone(),
        doc: doc?,
        ctx,
        builtin,
    })
}
