//! Posting pimctl's output where a team reads it: one pull-request comment per policy path and command, edited on
//! every push (GitHub issue comments, Azure DevOps pull-request threads), and one GitHub issue for drift, opened,
//! updated and closed with the tenant.
//!
//! This module composes the bodies (a hidden marker that finds the comment again, the Markdown cut cleanly under the
//! platforms' limit with a link to the whole plan) and speaks the two REST APIs through [`http::Api`]: bounded
//! timeouts and retries, tokens only ever in a sensitive header. It renders nothing itself: the Markdown comes
//! from `render::markdown` (or any Markdown file the caller gives).

pub mod azure;
pub mod github;
pub mod http;

use std::fmt;

/// GitHub refuses an issue or comment body longer than this (characters; counted here in UTF-16 code units, which
/// is never fewer). Azure DevOps accepts more; the same limit keeps one behaviour.
pub const BODY_LIMIT: usize = 65_536;

/// What is posted: the command whose output it is, and the key (the policy path) that tells apart several
/// comments of one command on one pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    pub command: String,
    pub key: String,
}

impl Marker {
    pub fn new(command: impl Into<String>, key: impl Into<String>) -> Self {
        Self {
            command: command.into(),
            key: key.into(),
        }
    }

    /// The hidden first line of every body pimctl posts: `<!-- pimctl:plan:policies -->`. Everything but ASCII
    /// letters, digits, `.`, `_` and `/` is percent-encoded, so no key can end the HTML comment (`-->`) or
    /// contain `--`, which HTML comments may not.
    pub fn html(&self) -> String {
        format!(
            "<!-- pimctl:{}:{} -->",
            encode(&self.command),
            encode(&self.key)
        )
    }

    /// Whether `body` was posted for this marker: it starts with the marker (a quote of it in a reply does not).
    pub fn marks(&self, body: &str) -> bool {
        body.trim_start_matches('\u{feff}')
            .starts_with(&self.html())
    }
}

fn encode(s: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'.')
        .remove(b'_')
        .remove(b'/');
    percent_encoding::utf8_percent_encode(s, KEEP).to_string()
}

/// The length GitHub counts, at most: UTF-16 code units (a character outside the BMP is two).
pub fn length(s: &str) -> usize {
    s.encode_utf16().count()
}

/// A body to post: the marker, the Markdown (cut if it must be), and a footer line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    pub text: String,
    /// Whether the Markdown was cut to fit.
    pub truncated: bool,
}

impl fmt::Display for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Builds the body for `marker`: the Markdown whole when it fits in `limit`, else cut at a block boundary with its
/// open `<details>` and code fences closed and a note that links to `link` (the plan artifact or the run) for
/// the rest. `footer` (one line, may be empty) ends the body either way.
pub fn compose(
    marker: &Marker,
    markdown: &str,
    footer: &str,
    link: Option<&str>,
    limit: usize,
) -> Body {
    let head = format!("{}\n", marker.html());
    let tail = if footer.is_empty() {
        String::new()
    } else {
        format!("\n---\n{footer}\n")
    };
    let markdown = markdown.trim_end();
    let whole = format!("{head}{markdown}\n{tail}");
    if length(&whole) <= limit {
        return Body {
            text: whole,
            truncated: false,
        };
    }
    let total = markdown.chars().count();
    let note = |shown: usize| truncation_note(shown, total, link);
    // A first guess that leaves room for the note (at its longest) and a few closing lines; shrunk by the excess
    // if what the cut left open needs more. Each round keeps less, so the loop ends (at worst with nothing kept).
    let mut budget =
        limit.saturating_sub(length(&head) + length(&tail) + length(&note(total)) + 64);
    loop {
        let (kept, closers) = cut(markdown, budget);
        let text = format!(
            "{head}{kept}{closers}\n\n{}\n{tail}",
            note(kept.chars().count())
        );
        let excess = length(&text).saturating_sub(limit);
        if excess == 0 || budget == 0 {
            return Body {
                text,
                truncated: true,
            };
        }
        budget = budget.saturating_sub(excess);
    }
}

fn truncation_note(shown: usize, total: usize, link: Option<&str>) -> String {
    let whole = match link {
        Some(l) => format!("[the full plan]({l})"),
        None => "the run's artifacts".to_string(),
    };
    format!(
        "> [!NOTE]\n> **Truncated:** this comment shows the first {shown} of {total} characters, cut to fit the \
         comment limit. The whole output is in {whole}."
    )
}

/// The longest prefix of `markdown` within `budget` (UTF-16 units) that ends at a block boundary (a blank line in
/// the last half; else a line end), and the lines that close the code fence and `<details>` it leaves open.
fn cut(markdown: &str, budget: usize) -> (&str, String) {
    let mut units = 0;
    let mut end = markdown.len();
    for (i, c) in markdown.char_indices() {
        units += c.len_utf16();
        if units > budget {
            end = i;
            break;
        }
    }
    let window = &markdown[..end];
    let at = match window.rfind("\n\n") {
        Some(i) if i >= end / 2 => i,
        _ => window.rfind('\n').unwrap_or(0),
    };
    let kept = &markdown[..at];
    let (fence, details) = open_blocks(kept);
    let mut closers = String::new();
    if fence {
        closers.push_str("\n```");
    }
    closers.push_str(&"\n\n</details>".repeat(details));
    (kept, closers)
}

/// Whether `text` ends inside a code fence, and how many `<details>` it leaves open (outside fences).
fn open_blocks(text: &str) -> (bool, usize) {
    let mut fence = false;
    let mut depth: usize = 0;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            fence = !fence;
            continue;
        }
        if fence {
            continue;
        }
        depth += t.matches("<details").count();
        depth = depth.saturating_sub(t.matches("</details>").count());
    }
    (fence, depth)
}

/// What a post did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new comment, thread or issue, with its id (or number) and, where the API gives one, its web address.
    Created { id: u64, url: Option<String> },
    /// The existing one was edited in place.
    Updated { id: u64, url: Option<String> },
    /// The drift issue was closed: the tenant is back in line.
    Closed { id: u64, url: Option<String> },
    /// Nothing to do (no drift and no open issue; or a plan with errors, which says nothing about drift).
    Unchanged,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (verb, id, url) = match self {
            Outcome::Created { id, url } => ("created", id, url),
            Outcome::Updated { id, url } => ("updated", id, url),
            Outcome::Closed { id, url } => ("closed", id, url),
            Outcome::Unchanged => return f.write_str("nothing to change"),
        };
        write!(f, "{verb} {id}")?;
        if let Some(u) = url {
            write!(f, " ({u})")?;
        }
        Ok(())
    }
}

/// Why a post failed. Messages name the request (method and path) and the service's own message; never a token.
#[derive(Debug, thiserror::Error)]
pub enum PostError {
    #[error("{0}")]
    Config(String),
    #[error("{method} {path}: {status} {message}")]
    Status {
        method: String,
        path: String,
        status: u16,
        message: String,
    },
    #[error("{method} {path}: {message}")]
    Network {
        method: String,
        path: String,
        message: String,
    },
    #[error("{method} {path}: unexpected answer: {message}")]
    Decode {
        method: String,
        path: String,
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marker() -> Marker {
        Marker::new("plan", "policies")
    }

    #[test]
    fn the_marker_is_hidden_and_cannot_be_broken_out_of() {
        assert_eq!(marker().html(), "<!-- pimctl:plan:policies -->");
        let odd = Marker::new("plan", "a b--> <x>/c");
        assert_eq!(
            odd.html(),
            "<!-- pimctl:plan:a%20b%2D%2D%3E%20%3Cx%3E/c -->"
        );
        assert!(odd.marks(&format!("{}\nbody", odd.html())));
        assert!(!odd.marks(&format!("> {}\nquoted", odd.html())));
        assert!(!Marker::new("drift", "policies").marks(&marker().html()));
    }

    #[test]
    fn a_short_body_is_kept_whole() {
        let b = compose(
            &marker(),
            "### pimctl plan\n\n**No changes.**\n",
            "run 7",
            None,
            BODY_LIMIT,
        );
        assert!(!b.truncated);
        assert_eq!(
            b.text,
            "<!-- pimctl:plan:policies -->\n### pimctl plan\n\n**No changes.**\n\n---\nrun 7\n"
        );
    }

    #[test]
    fn a_long_body_is_cut_at_a_block_boundary_with_details_and_fences_closed() {
        let mut md = String::from("### pimctl plan\n\n<details><summary>Details</summary>\n\n");
        for i in 0..5_000 {
            md.push_str(&format!("| row {i} | ✓ 🔒 |\n"));
            if i % 50 == 0 {
                md.push_str("\n```\ncode\n");
                md.push_str("```\n\n");
            }
        }
        md.push_str("\n</details>\n");
        let b = compose(&marker(), &md, "footer", Some("https://x/artifact"), 20_000);
        assert!(b.truncated);
        assert!(length(&b.text) <= 20_000, "{}", length(&b.text));
        assert!(b.text.starts_with(&marker().html()));
        assert!(b.text.contains("[the full plan](https://x/artifact)"));
        assert!(b.text.ends_with("\n---\nfooter\n"));
        let (fence, details) = open_blocks(&b.text);
        assert!(!fence);
        assert_eq!(details, 0);
        // Cut at a line end: no half row.
        assert!(
            b.text
                .lines()
                .filter(|l| l.starts_with("| row"))
                .all(|l| l.ends_with('|'))
        );
    }

    #[test]
    fn a_cut_inside_a_fence_closes_it() {
        let md = format!("```\n{}", "line\n".repeat(10_000));
        let b = compose(&marker(), &md, "", None, 4_000);
        assert!(length(&b.text) <= 4_000);
        assert!(!open_blocks(&b.text).0);
        assert!(b.text.contains("the run's artifacts"));
    }
}
