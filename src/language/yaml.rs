//! A YAML reader that keeps positions: events from yaml-rust2 become a tree of [`Node`]s with line and column.
//!
//! The language is deliberately a subset of YAML: one document per file, no anchors, aliases, merge keys or tags,
//! and no duplicate keys. Each of those gets its own diagnostic instead of a silent surprise.

use super::diagnostic::Code;
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, Scanner, TScalarStyle, Token, TokenType};

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Mark {
    pub line: u32,
    pub column: u32,
}

impl From<&Marker> for Mark {
    fn from(m: &Marker) -> Self {
        Mark {
            line: u32::try_from(m.line()).unwrap_or(u32::MAX),
            column: u32::try_from(m.col() + 1).unwrap_or(u32::MAX),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    /// Something already reported (an alias): decoding skips it rather than report it again.
    Invalid,
    /// A scalar's text, and whether it was plain (unquoted), which decides whether `true` is a boolean.
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub mark: Mark,
}

impl Node {
    /// What the node is, for "expected X, found Y" messages.
    pub fn describe(&self) -> String {
        match &self.value {
            Value::Null => "an empty value".into(),
            Value::Invalid => "an alias".into(),
            Value::Scalar { text, plain: true } => format!("`{}`", shorten(text)),
            Value::Scalar { text, plain: false } => {
                format!("the quoted string \"{}\"", shorten(text))
            }
            Value::Seq(_) => "a list".into(),
            Value::Map(_) => "a mapping".into(),
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s.to_string()
    }
}

/// A problem found while reading YAML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlProblem {
    pub code: Code,
    pub message: String,
    pub mark: Mark,
    pub help: Option<String>,
    /// For duplicate keys: where the key first appeared.
    pub first: Option<Mark>,
}

impl YamlProblem {
    fn new(code: Code, message: impl Into<String>, mark: Mark) -> Self {
        Self {
            code,
            message: message.into(),
            mark,
            help: None,
            first: None,
        }
    }
    fn help(mut self, h: impl Into<String>) -> Self {
        self.help = Some(h.into());
        self
    }
}

/// Reads one file's text. Returns the document (None for an empty file) and every problem found.
pub fn read(text: &str) -> (Option<Node>, Vec<YamlProblem>) {
    let mut problems = tab_indentation(text);
    if !problems.is_empty() {
        return (None, problems);
    }
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    let mut documents = 0usize;
    loop {
        match parser.next_token() {
            Ok((event, marker)) => {
                let mark = Mark::from(&marker);
                match event {
                    Event::StreamEnd => break,
                    Event::StreamStart | Event::Nothing | Event::DocumentEnd => {}
                    Event::DocumentStart => {
                        documents += 1;
                        if documents == 2 {
                            problems.push(
                                YamlProblem::new(
                                    Code::MultipleDocuments,
                                    "this file holds more than one YAML document",
                                    mark,
                                )
                                .help("split the documents into separate files; a directory of files merges into one state"),
                            );
                        }
                    }
                    other => builder.event(other, mark, &mut problems),
                }
            }
            Err(e) => {
                let marker = e.marker();
                problems.push(YamlProblem::new(
                    Code::Syntax,
                    format!("YAML syntax error: {}", e.info()),
                    Mark::from(marker),
                ));
                // Problems found before the syntax error (an anchor, say) may also sit past the end.
                for p in &mut problems {
                    p.mark = within(text, p.mark);
                }
                return (None, problems);
            }
        }
    }
    builder.place_properties(text, &mut problems);
    let document = builder.documents.into_iter().next().map(|mut d| {
        d.mark = within(text, d.mark);
        d
    });
    for p in &mut problems {
        p.mark = within(text, p.mark);
    }
    (document, problems)
}

/// The scanner puts the end of a file without a final line break on a line after the last; point at the end of
/// the last line instead, so that the position exists in the file.
fn within(text: &str, mark: Mark) -> Mark {
    let last = text.rsplit('\n').next().unwrap_or_default();
    let lines = u32::try_from(text.split('\n').count()).unwrap_or(u32::MAX);
    if mark.line > lines {
        Mark {
            line: lines,
            column: u32::try_from(last.chars().count() + 1).unwrap_or(u32::MAX),
        }
    } else {
        mark
    }
}

/// YAML forbids tabs in indentation; say so plainly rather than relay the scanner's message.
fn tab_indentation(text: &str) -> Vec<YamlProblem> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let indent: String = line
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .collect();
        if let Some(col) = indent.find('\t') {
            // A tab before any content on a line that has content is indentation.
            if line.trim().is_empty() {
                continue;
            }
            out.push(
                YamlProblem::new(
                    Code::TabIndent,
                    "a tab is used for indentation",
                    Mark {
                        line: u32::try_from(i + 1).unwrap_or(u32::MAX),
                        column: u32::try_from(col + 1).unwrap_or(u32::MAX),
                    },
                )
                .help("YAML indentation must use spaces; replace the tab with spaces"),
            );
        }
    }
    out
}

enum Open {
    Seq(Mark, Vec<Node>),
    /// The entries so far, and a key waiting for its value (with whether it repeats an earlier key).
    Map(Mark, Vec<(Node, Node)>, Option<(Node, bool)>, KeyIndex),
}

/// Where each key of an open mapping first appeared, by its text (`None` for a null key): finding a duplicate is a
/// look-up, not a scan, so a mapping of 100,000 keys is read in linear time.
type KeyIndex = std::collections::HashMap<Option<String>, Mark>;

/// A key's identity for duplicate detection; `None` for a key that is neither a scalar nor null (never a duplicate).
fn key_id(node: &Node) -> Option<Option<String>> {
    match &node.value {
        Value::Scalar { text, .. } => Some(Some(text.clone())),
        Value::Null => Some(None),
        _ => None,
    }
}

#[derive(Default)]
struct Builder {
    stack: Vec<Open>,
    documents: Vec<Node>,
    /// Indices into the problems of the anchors and of the tags reported, in document order.
    anchors: Vec<usize>,
    tags: Vec<usize>,
}

impl Builder {
    /// Points anchor and tag problems at the `&name` or `!tag` itself. An event carries the position of its node,
    /// which for a block mapping is its first key, on a later line; the scanner's tokens carry the property's own
    /// position. Each anchored (tagged) node has exactly one anchor (tag) token, so the two lists pair up in order.
    fn place_properties(&self, text: &str, problems: &mut [YamlProblem]) {
        if self.anchors.is_empty() && self.tags.is_empty() {
            return;
        }
        let (mut anchors, mut tags) = (Vec::new(), Vec::new());
        for Token(marker, token) in Scanner::new(text.chars()) {
            match token {
                TokenType::Anchor(_) => anchors.push(Mark::from(&marker)),
                TokenType::Tag(..) => tags.push(Mark::from(&marker)),
                _ => {}
            }
        }
        for (found, reported) in [(anchors, &self.anchors), (tags, &self.tags)] {
            if found.len() == reported.len() {
                for (mark, &i) in found.into_iter().zip(reported) {
                    problems[i].mark = mark;
                }
            }
        }
    }

    fn event(&mut self, event: Event, mark: Mark, problems: &mut Vec<YamlProblem>) {
        match event {
            Event::Alias(_) => {
                problems.push(
                    YamlProblem::new(
                        Code::AnchorAlias,
                        "YAML aliases (`*name`) are not supported",
                        mark,
                    )
                    .help("write the value out, or share settings through `templates:`"),
                );
                self.value(
                    Node {
                        value: Value::Invalid,
                        mark,
                    },
                    problems,
                );
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.check_anchor_tag(anchor, tag.is_some(), mark, problems);
                let plain = matches!(style, TScalarStyle::Plain);
                let value = if plain && is_null(&text) {
                    Value::Null
                } else {
                    Value::Scalar { text, plain }
                };
                self.value(Node { value, mark }, problems);
            }
            Event::SequenceStart(anchor, tag) => {
                self.check_anchor_tag(anchor, tag.is_some(), mark, problems);
                self.stack.push(Open::Seq(mark, Vec::new()));
            }
            Event::MappingStart(anchor, tag) => {
                self.check_anchor_tag(anchor, tag.is_some(), mark, problems);
                self.stack
                    .push(Open::Map(mark, Vec::new(), None, KeyIndex::new()));
            }
            Event::SequenceEnd => {
                if let Some(Open::Seq(m, items)) = self.stack.pop() {
                    self.value(
                        Node {
                            value: Value::Seq(items),
                            mark: m,
                        },
                        problems,
                    );
                }
            }
            Event::MappingEnd => {
                if let Some(Open::Map(m, entries, _, _)) = self.stack.pop() {
                    // A block mapping's start event sits at its first `:`; its first key is where a reader looks.
                    let m = entries.first().map_or(m, |(k, _)| k.mark.min(m));
                    self.value(
                        Node {
                            value: Value::Map(entries),
                            mark: m,
                        },
                        problems,
                    );
                }
            }
            _ => {}
        }
    }

    fn check_anchor_tag(
        &mut self,
        anchor: usize,
        tagged: bool,
        mark: Mark,
        problems: &mut Vec<YamlProblem>,
    ) {
        if anchor > 0 {
            self.anchors.push(problems.len());
            problems.push(
                YamlProblem::new(
                    Code::AnchorAlias,
                    "YAML anchors (`&name`) are not supported",
                    mark,
                )
                .help("share settings through `templates:` instead of anchors and aliases"),
            );
        }
        if tagged {
            self.tags.push(problems.len());
            problems.push(
                YamlProblem::new(Code::Tag, "YAML tags (`!tag`) are not supported", mark)
                    .help("remove the tag; pimctl decides each value's type from its key"),
            );
        }
    }

    fn value(&mut self, node: Node, problems: &mut Vec<YamlProblem>) {
        match self.stack.last_mut() {
            None => self.documents.push(node),
            Some(Open::Seq(_, items)) => items.push(node),
            Some(Open::Map(_, entries, pending, seen)) => match pending.take() {
                None => {
                    if let Value::Scalar { text, plain: true } = &node.value
                        && text == "<<"
                    {
                        problems.push(
                            YamlProblem::new(
                                Code::MergeKey,
                                "YAML merge keys (`<<`) are not supported",
                                node.mark,
                            )
                            .help("use a template with `extends:` to share settings"),
                        );
                    }
                    let first = match key_id(&node) {
                        None => None,
                        Some(id) => match seen.entry(id) {
                            std::collections::hash_map::Entry::Occupied(e) => Some(*e.get()),
                            std::collections::hash_map::Entry::Vacant(e) => {
                                e.insert(node.mark);
                                None
                            }
                        },
                    };
                    if let Some(first) = first {
                        let mut p = YamlProblem::new(
                            Code::DuplicateKey,
                            format!("duplicate key {}", node.describe()),
                            node.mark,
                        )
                        .help("each key may appear once in a mapping; merge the two entries");
                        p.first = Some(first);
                        problems.push(p);
                    }
                    *pending = Some((node, first.is_some()));
                }
                // A duplicate key (reported above) keeps its first value: the decoder must not see it twice.
                Some((key, duplicate)) => {
                    if !duplicate {
                        entries.push((key, node));
                    }
                }
            },
        }
    }
}

/// YAML 1.2 core schema nulls.
fn is_null(s: &str) -> bool {
    matches!(s, "" | "~" | "null" | "Null" | "NULL")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_before_a_syntax_error_stay_inside_the_file() {
        // Found by the property test: an anchor at the very end of a one-line file, then a syntax error.
        let text = "[&\u{1F300}";
        let (_, problems) = read(text);
        assert!(!problems.is_empty());
        assert!(problems.iter().all(|p| p.mark.line == 1), "{problems:?}");
    }

    #[test]
    fn keeps_positions() {
        let (doc, problems) = read("version: pimctl/v1\nroles:\n  - a\n  - b\n");
        assert!(problems.is_empty());
        let Value::Map(entries) = doc.unwrap().value else {
            panic!("not a map")
        };
        assert_eq!(entries[1].0.mark, Mark { line: 2, column: 1 });
        let Value::Seq(items) = &entries[1].1.value else {
            panic!("not a seq")
        };
        assert_eq!(items[1].mark, Mark { line: 4, column: 5 });
    }

    #[test]
    fn reports_yaml_features_we_refuse() {
        let (_, p) = read("a: &x 1\nb: *x\n");
        assert_eq!(p.iter().filter(|p| p.code == Code::AnchorAlias).count(), 2);
        // Anchors and tags are reported where they are written, even on a block mapping that starts a line later.
        let (_, p) = read("a: &m\n  b: 1\nc: !!map\n  d: 2\ne: [!!str x, &y z]\n");
        let at: Vec<_> = p
            .iter()
            .map(|p| (p.code, p.mark.line, p.mark.column))
            .collect();
        assert_eq!(
            at,
            vec![
                (Code::AnchorAlias, 1, 4),
                (Code::Tag, 3, 4),
                (Code::Tag, 5, 5),
                (Code::AnchorAlias, 5, 14),
            ]
        );
        let (doc, p) = read("a: 1\na: 2\n");
        assert_eq!(p[0].code, Code::DuplicateKey);
        assert_eq!(p[0].first, Some(Mark { line: 1, column: 1 }));
        let Some(Value::Map(entries)) = doc.map(|d| d.value) else {
            panic!("not a map")
        };
        assert_eq!(
            entries.len(),
            1,
            "the duplicate is dropped, the first value kept"
        );
        let (_, p) = read("a:\n\tb: 1\n");
        assert_eq!(p[0].code, Code::TabIndent);
        let (_, p) = read("a: [1\n");
        assert_eq!(p[0].code, Code::Syntax);
        // Without a final line break, the end of the file is the end of its last line.
        let (_, p) = read("a: [1");
        assert_eq!(
            (p[0].code, p[0].mark),
            (Code::Syntax, Mark { line: 1, column: 6 })
        );
        let (_, p) = read("a: 1\n---\nb: 2\n");
        assert_eq!(p[0].code, Code::MultipleDocuments);
        let (doc, p) = read("");
        assert!(doc.is_none() && p.is_empty());
    }
}
