//! GitHub's REST API (`GITHUB_API_URL`): the pull request's comment, found by its marker among the issue comments
//! and edited in place; and the drift issue, found by its label and marker among the open issues, opened, updated
//! and closed.
//!
//! Endpoints (GitHub REST, `X-GitHub-Api-Version: 2022-11-28`): `GET /repos/{owner}/{repo}/issues/{n}/comments`
//! (paged by `Link: rel="next"`), `POST` the same, `PATCH /repos/{owner}/{repo}/issues/comments/{id}`;
//! `GET /repos/{owner}/{repo}/issues?state=open&labels=L`, `POST /repos/{owner}/{repo}/issues`,
//! `PATCH /repos/{owner}/{repo}/issues/{n}`, `POST /repos/{owner}/{repo}/issues/{n}/comments`.

use super::http::{Answer, Api};
use super::{Marker, Outcome, PostError};
use crate::graph::client::auth::BearerToken;
use crate::graph::client::retry::RetryConfig;
use reqwest::Method;
use serde_json::{Value, json};

/// At most this many pages of 100 are read when looking for the marked comment or issue.
const MAX_PAGES: usize = 50;

/// A repository on a GitHub API.
#[derive(Debug)]
pub struct GitHub {
    api: Api,
    repo: String,
}

/// What the drift check found, for the drift issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    /// Drift: the issue is opened, or updated, with this title and body (the body starts with the marker).
    Found { title: String, body: String },
    /// The tenant matches the declaration: an open issue gets this comment and is closed.
    Clean { comment: String },
    /// The plan has errors: it says nothing about drift, and the issue is left as it is.
    Unknown,
}

impl GitHub {
    /// `api_url` is `GITHUB_API_URL` (`https://api.github.com`, or `https://HOST/api/v3` on GitHub Enterprise
    /// Server); `repo` is `owner/name`.
    pub fn new(
        api_url: &str,
        repo: &str,
        token: BearerToken,
        retry: RetryConfig,
    ) -> Result<Self, PostError> {
        let valid = |s: &str| {
            !s.is_empty()
                && s != "."
                && s != ".."
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        };
        match repo.split_once('/') {
            Some((owner, name)) if valid(owner) && valid(name) => {}
            _ => {
                return Err(PostError::Config(format!(
                    "`{repo}` is not a repository (owner/name)"
                )));
            }
        }
        let api = Api::new(
            api_url,
            token,
            &[("x-github-api-version", "2022-11-28")],
            retry,
        )?;
        Ok(Self {
            api,
            repo: repo.to_string(),
        })
    }

    fn path(&self, rest: &str) -> String {
        format!("repos/{}/{rest}", self.repo)
    }

    /// Every item of a paged list (an array per page), following `rel="next"` up to [`MAX_PAGES`] pages.
    async fn list(&self, path: &str, query: &[(&str, &str)]) -> Result<Vec<Value>, PostError> {
        let mut q = vec![("per_page", "100")];
        q.extend_from_slice(query);
        let mut url = Some(self.api.url(path, &q)?);
        let mut items = Vec::new();
        let mut pages = 0;
        while let Some(u) = url.take() {
            pages += 1;
            let Answer { headers, json, .. } = self.api.send(Method::GET, u, None).await?;
            match json {
                Value::Array(page) => items.extend(page),
                other => {
                    return Err(PostError::Decode {
                        method: "GET".into(),
                        path: path.to_string(),
                        message: format!("expected a list, got {}", kind(&other)),
                    });
                }
            }
            if pages < MAX_PAGES {
                url = self.api.next_link(&headers);
            }
        }
        Ok(items)
    }

    async fn send(&self, method: Method, path: &str, body: Value) -> Result<Value, PostError> {
        let url = self.api.url(path, &[])?;
        Ok(self.api.send(method, url, Some(&body)).await?.json)
    }

    /// Creates the pull request's comment for `marker`, or edits the one already there (the first whose body
    /// starts with the marker). `body` must start with the marker.
    pub async fn upsert_comment(
        &self,
        pr: u64,
        marker: &Marker,
        body: &str,
    ) -> Result<Outcome, PostError> {
        let comments = self
            .list(&self.path(&format!("issues/{pr}/comments")), &[])
            .await?;
        let existing = comments
            .iter()
            .find(|c| c["body"].as_str().is_some_and(|b| marker.marks(b)))
            .and_then(|c| c["id"].as_u64());
        let body = json!({ "body": body });
        match existing {
            Some(id) => {
                let answer = self
                    .send(
                        Method::PATCH,
                        &self.path(&format!("issues/comments/{id}")),
                        body,
                    )
                    .await?;
                Ok(Outcome::Updated {
                    id,
                    url: html_url(&answer),
                })
            }
            None => {
                let answer = self
                    .send(
                        Method::POST,
                        &self.path(&format!("issues/{pr}/comments")),
                        body,
                    )
                    .await?;
                Ok(Outcome::Created {
                    id: number(&answer, "id")?,
                    url: html_url(&answer),
                })
            }
        }
    }

    /// Brings the drift issue in line with `drift`: the open issue labelled `label` whose body starts with the
    /// marker is updated or closed; without one, drift opens it (labelled, so that the next run finds it).
    pub async fn sync_drift_issue(
        &self,
        marker: &Marker,
        label: &str,
        drift: &Drift,
    ) -> Result<Outcome, PostError> {
        if *drift == Drift::Unknown {
            return Ok(Outcome::Unchanged);
        }
        let issues = self
            .list(
                &self.path("issues"),
                &[("state", "open"), ("labels", label)],
            )
            .await?;
        let open = issues
            .iter()
            // The issues list holds pull requests too; they carry a `pull_request` key.
            .filter(|i| i.get("pull_request").is_none())
            .find(|i| i["body"].as_str().is_some_and(|b| marker.marks(b)))
            .and_then(|i| i["number"].as_u64());
        match (drift, open) {
            (Drift::Found { title, body }, Some(n)) => {
                let answer = self
                    .send(
                        Method::PATCH,
                        &self.path(&format!("issues/{n}")),
                        json!({ "title": title, "body": body }),
                    )
                    .await?;
                Ok(Outcome::Updated {
                    id: n,
                    url: html_url(&answer),
                })
            }
            (Drift::Found { title, body }, None) => {
                let answer = self
                    .send(
                        Method::POST,
                        &self.path("issues"),
                        json!({ "title": title, "body": body, "labels": [label] }),
                    )
                    .await?;
                Ok(Outcome::Created {
                    id: number(&answer, "number")?,
                    url: html_url(&answer),
                })
            }
            (Drift::Clean { comment }, Some(n)) => {
                self.send(
                    Method::POST,
                    &self.path(&format!("issues/{n}/comments")),
                    json!({ "body": comment }),
                )
                .await?;
                let answer = self
                    .send(
                        Method::PATCH,
                        &self.path(&format!("issues/{n}")),
                        json!({ "state": "closed", "state_reason": "completed" }),
                    )
                    .await?;
                Ok(Outcome::Closed {
                    id: n,
                    url: html_url(&answer),
                })
            }
            (Drift::Clean { .. }, None) | (Drift::Unknown, _) => Ok(Outcome::Unchanged),
        }
    }
}

fn html_url(v: &Value) -> Option<String> {
    v["html_url"].as_str().map(str::to_string)
}

fn number(v: &Value, key: &str) -> Result<u64, PostError> {
    v[key].as_u64().ok_or_else(|| PostError::Decode {
        method: "POST".into(),
        path: String::new(),
        message: format!("the answer has no `{key}`"),
    })
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repository_must_be_owner_slash_name() {
        let mk = |r: &str| {
            GitHub::new(
                "https://api.github.com",
                r,
                BearerToken::new("t"),
                super::super::http::default_retry(),
            )
        };
        assert!(mk("octo/pim-policies").is_ok());
        for bad in ["octo", "octo/", "/x", "o/../x", "o/x?y", "o/x/y", "../x"] {
            assert!(mk(bad).is_err(), "{bad}");
        }
    }
}
