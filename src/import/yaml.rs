//! A small, deliberate YAML writer for the policy language's own style: block mappings and lists, flow style only
//! where the examples use it (`{recipients: [...]}`, `require: [mfa, justification]`), comments where a reviewer
//! needs them, and quotes only when a plain scalar would be misread.
//!
//! serde_yaml cannot write comments, and imported files need them (custom role names, settings left unmanaged,
//! break-glass candidates), so the tree is written by hand. Every file it writes is re-loaded through the language in
//! the tests.

/// A YAML value with the comments that go with it.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A string, quoted when needed.
    Str(String),
    /// A token written as is: `true`, `1h`, `2027-06-30`.
    Raw(String),
    /// A block mapping (or `{}` when empty).
    Map(Vec<Entry>),
    /// A block list (or `[]` when empty).
    Seq(Vec<Node>),
    /// A mapping or list written on one line.
    Flow(Box<Node>),
}

/// One line of a mapping: a key and its value (with an optional comment after it), or a comment line.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    Pair {
        key: String,
        value: Node,
        comment: Option<String>,
    },
    Comment(String),
    /// An empty line, between roles.
    Blank,
}

impl Entry {
    pub fn pair(key: impl Into<String>, value: Node) -> Self {
        Entry::Pair {
            key: key.into(),
            value,
            comment: None,
        }
    }
    pub fn commented(key: impl Into<String>, value: Node, comment: impl Into<String>) -> Self {
        Entry::Pair {
            key: key.into(),
            value,
            comment: Some(comment.into()),
        }
    }
}

impl Node {
    pub fn str(s: impl Into<String>) -> Self {
        Node::Str(s.into())
    }
    pub fn raw(s: impl Into<String>) -> Self {
        Node::Raw(s.into())
    }
    pub fn bool(b: bool) -> Self {
        Node::Raw(b.to_string())
    }
    pub fn flow(n: Node) -> Self {
        Node::Flow(Box::new(n))
    }
    fn is_block(&self) -> bool {
        match self {
            Node::Map(e) => !e.is_empty(),
            Node::Seq(v) => !v.is_empty(),
            _ => false,
        }
    }
}

/// Writes the entries of a top-level mapping.
pub fn write_document(entries: &[Entry]) -> String {
    let mut out = String::new();
    write_map(&mut out, entries, 0);
    out
}

/// Comment lines are wrapped to this width.
const WIDTH: usize = 118;

/// Splits a comment into lines of at most `width` characters, at spaces (a longer word stays whole).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    // Leading spaces (a commented-out list item) are kept on every line.
    let body = text.trim_start_matches(' ');
    let indent = &text[..text.len() - body.len()];
    if !indent.is_empty() {
        let width = width.saturating_sub(indent.len()).max(20);
        return wrap(body, width)
            .into_iter()
            .map(|l| format!("{indent}{l}"))
            .collect();
    }
    let mut lines = vec![];
    let mut line = String::new();
    // A `code span` is never split.
    let mut words: Vec<String> = vec![];
    let mut open = false;
    for w in text.split(' ') {
        match words.last_mut() {
            Some(last) if open => {
                last.push(' ');
                last.push_str(w);
            }
            _ => words.push(w.to_string()),
        }
        if w.matches('`').count() % 2 == 1 {
            open = !open;
        }
    }
    for word in &words {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

fn comment_suffix(out: &mut String, comment: &Option<String>) {
    if let Some(c) = comment {
        out.push_str("  # ");
        out.push_str(c);
    }
}

fn write_map(out: &mut String, entries: &[Entry], indent: usize) {
    for (i, e) in entries.iter().enumerate() {
        // The first entry of a list item continues the `- ` line.
        if i > 0 || !out.ends_with("- ") {
            pad(out, indent);
        }
        match e {
            Entry::Blank => {
                // Undo the indentation: a blank line is empty.
                out.truncate(out.trim_end_matches(' ').len());
                out.push('\n');
            }
            Entry::Comment(c) => {
                for (j, line) in wrap(c, WIDTH.saturating_sub(indent + 2).max(40))
                    .iter()
                    .enumerate()
                {
                    if j > 0 {
                        pad(out, indent);
                    }
                    if line.is_empty() {
                        out.push('#');
                    } else {
                        out.push_str("# ");
                        out.push_str(line);
                    }
                    out.push('\n');
                }
            }
            Entry::Pair {
                key,
                value,
                comment,
            } => {
                out.push_str(&scalar(key, false));
                out.push(':');
                if value.is_block() {
                    comment_suffix(out, comment);
                    out.push('\n');
                    match value {
                        Node::Map(m) => write_map(out, m, indent + 2),
                        Node::Seq(v) => write_seq(out, v, indent + 2),
                        _ => unreachable!("only collections are blocks"),
                    }
                } else {
                    out.push(' ');
                    write_inline(out, value, false);
                    comment_suffix(out, comment);
                    out.push('\n');
                }
            }
        }
    }
}

fn write_seq(out: &mut String, items: &[Node], indent: usize) {
    for item in items {
        pad(out, indent);
        out.push_str("- ");
        match item {
            Node::Map(m) if !m.is_empty() => write_map(out, m, indent + 2),
            Node::Seq(v) if !v.is_empty() => {
                out.push('\n');
                write_seq(out, v, indent + 2);
            }
            other => {
                write_inline(out, other, false);
                out.push('\n');
            }
        }
    }
}

fn write_inline(out: &mut String, n: &Node, in_flow: bool) {
    match n {
        Node::Str(s) => out.push_str(&scalar(s, in_flow)),
        Node::Raw(s) => out.push_str(s),
        Node::Flow(inner) => write_inline(out, inner, true),
        Node::Map(entries) => {
            out.push('{');
            let mut first = true;
            for e in entries {
                if let Entry::Pair { key, value, .. } = e {
                    if !first {
                        out.push_str(", ");
                    }
                    first = false;
                    out.push_str(&scalar(key, true));
                    out.push_str(": ");
                    write_inline(out, value, true);
                }
            }
            out.push('}');
        }
        Node::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_inline(out, item, true);
            }
            out.push(']');
        }
    }
}

/// A string as a YAML scalar: plain when it reads back as the same string, double-quoted otherwise.
pub fn scalar(s: &str, in_flow: bool) -> String {
    if is_plain_safe(s, in_flow) {
        s.to_string()
    } else {
        // A JSON string is a valid YAML double-quoted scalar with the same escapes.
        serde_json::to_string(s).unwrap_or_else(|_| format!("\"{}\"", s.escape_default()))
    }
}

fn is_plain_safe(s: &str, in_flow: bool) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if s.trim() != s || s.contains(['\n', '\r', '\t']) || s.chars().any(char::is_control) {
        return false;
    }
    // Indicators that can't start a plain scalar.
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return false;
    }
    if in_flow && s.contains([',', '[', ']', '{', '}']) {
        return false;
    }
    // Values the core schema (or YAML 1.1 readers) would take as something other than a string.
    let lower = s.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "true" | "false" | "null" | "~" | "yes" | "no" | "on" | "off" | "y" | "n"
    ) {
        return false;
    }
    if looks_numeric(s) {
        return false;
    }
    true
}

fn looks_numeric(s: &str) -> bool {
    let t = s.strip_prefix(['+', '-']).unwrap_or(s);
    t.parse::<f64>().is_ok()
        || t.starts_with("0x")
        || t.starts_with("0o")
        || t.eq_ignore_ascii_case(".inf")
        || t.eq_ignore_ascii_case(".nan")
        || (t
            .chars()
            .all(|c| c.is_ascii_digit() || c == '_' || c == ':' || c == '.')
            && t.chars().any(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_only_when_it_reads_back_the_same() {
        assert_eq!(
            scalar("Global Administrator", false),
            "Global Administrator"
        );
        assert_eq!(scalar("alice@contoso.com", true), "alice@contoso.com");
        assert_eq!(scalar("a: b", false), "\"a: b\"");
        assert_eq!(scalar("Ops, EU", true), "\"Ops, EU\"");
        assert_eq!(scalar("Ops, EU", false), "Ops, EU");
        assert_eq!(scalar("yes", false), "\"yes\"");
        assert_eq!(scalar("2024", false), "\"2024\"");
        assert_eq!(scalar(" padded", false), "\" padded\"");
        assert_eq!(scalar("#ops", false), "\"#ops\"");
        assert_eq!(scalar("", false), "\"\"");
    }

    #[test]
    fn comments_wrap_at_spaces_but_not_inside_code() {
        assert_eq!(
            wrap("then declare `allow_permanent: false` again", 20),
            ["then declare", "`allow_permanent: false`", "again"]
        );
        assert_eq!(wrap("  - user: a@b.c", 40), ["  - user: a@b.c"]);
    }

    #[test]
    fn blocks_lists_and_flow_in_the_examples_style() {
        let doc = vec![
            Entry::pair("version", Node::str("pimctl/v1")),
            Entry::pair(
                "directory_roles",
                Node::Map(vec![Entry::commented(
                    "Global Administrator",
                    Node::Map(vec![
                        Entry::pair(
                            "eligible",
                            Node::Seq(vec![Node::Map(vec![
                                Entry::pair("user", Node::str("alice@contoso.com")),
                                Entry::pair("until", Node::raw("2027-09-30")),
                            ])]),
                        ),
                        Entry::pair("active", Node::Seq(vec![])),
                        Entry::Comment("a note".into()),
                        Entry::pair(
                            "admin",
                            Node::flow(Node::Map(vec![Entry::pair(
                                "recipients",
                                Node::Seq(vec![Node::str("a@x.com")]),
                            )])),
                        ),
                    ]),
                    "tier 0",
                )]),
            ),
        ];
        assert_eq!(
            write_document(&doc),
            "version: pimctl/v1\ndirectory_roles:\n  Global Administrator:  # tier 0\n    eligible:\n      - user: alice@contoso.com\n        until: 2027-09-30\n    active: []\n    # a note\n    admin: {recipients: [a@x.com]}\n"
        );
    }
}
