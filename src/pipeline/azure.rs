//! Azure DevOps' pull-request threads API: one thread per marker, its first comment edited in place; the thread is
//! active while there are changes to review and closed when there are none.
//!
//! Endpoints (Azure DevOps REST 7.1, under `{collection}{project}/_apis/git/repositories/{repository}/pullRequests/
//! {pr}`): `GET threads`, `POST threads` (`comments: [{parentCommentId: 0, content, commentType: 1}]`,
//! `status`), `PATCH threads/{thread}/comments/{comment}` (`content`), `PATCH threads/{thread}` (`status`).

use super::http::Api;
use super::{Marker, Outcome, PostError};
use crate::graph::client::auth::BearerToken;
use crate::graph::client::retry::RetryConfig;
use reqwest::Method;
use serde_json::{Value, json};

const API_VERSION: &str = "7.1";

/// `CommentThreadStatus`: 1 active, 4 closed. `CommentType`: 1 text.
const ACTIVE: u64 = 1;
const CLOSED: u64 = 4;
const TEXT: u64 = 1;

/// One pull request on Azure DevOps.
#[derive(Debug)]
pub struct AzureDevOps {
    api: Api,
    base: String,
}

impl AzureDevOps {
    /// `collection` is `SYSTEM_COLLECTIONURI` (`https://dev.azure.com/org/`), `project` `SYSTEM_TEAMPROJECT`,
    /// `repository` `BUILD_REPOSITORY_ID`, `pr` `SYSTEM_PULLREQUEST_PULLREQUESTID`; the token is
    /// `SYSTEM_ACCESSTOKEN` (the build identity needs "Contribute to pull requests").
    pub fn new(
        collection: &str,
        project: &str,
        repository: &str,
        pr: u64,
        token: BearerToken,
        retry: RetryConfig,
    ) -> Result<Self, PostError> {
        for (what, v) in [("project", project), ("repository", repository)] {
            if v.trim().is_empty() {
                return Err(PostError::Config(format!("the {what} is empty")));
            }
        }
        let api = Api::new(collection, token, &[], retry)?;
        let base = format!(
            "{}/_apis/git/repositories/{}/pullRequests/{pr}",
            segment(project),
            segment(repository)
        );
        Ok(Self { api, base })
    }

    fn url(&self, rest: &str) -> Result<reqwest::Url, PostError> {
        self.api.url(
            &format!("{}/{rest}", self.base),
            &[("api-version", API_VERSION)],
        )
    }

    /// Creates the thread for `marker`, or edits its first comment; the thread is left active when `active`
    /// (changes to review), else closed. `body` must start with the marker.
    pub async fn upsert_thread(
        &self,
        marker: &Marker,
        body: &str,
        active: bool,
    ) -> Result<Outcome, PostError> {
        let status = if active { ACTIVE } else { CLOSED };
        let threads = self
            .api
            .send(Method::GET, self.url("threads")?, None)
            .await?
            .json;
        let list = threads["value"]
            .as_array()
            .ok_or_else(|| PostError::Decode {
                method: "GET".into(),
                path: "threads".into(),
                message: "no `value` list".into(),
            })?;
        let found = list.iter().find_map(|t| {
            let first = first_comment(t)?;
            let content = first["content"].as_str()?;
            (marker.marks(content) && first["isDeleted"] != Value::Bool(true))
                .then(|| Some((t["id"].as_u64()?, first["id"].as_u64()?, thread_status(t))))?
        });
        match found {
            Some((thread, comment, current)) => {
                self.api
                    .send(
                        Method::PATCH,
                        self.url(&format!("threads/{thread}/comments/{comment}"))?,
                        Some(&json!({ "content": body })),
                    )
                    .await?;
                if current != Some(status) {
                    self.api
                        .send(
                            Method::PATCH,
                            self.url(&format!("threads/{thread}"))?,
                            Some(&json!({ "status": status })),
                        )
                        .await?;
                }
                Ok(Outcome::Updated {
                    id: thread,
                    url: None,
                })
            }
            None => {
                let answer = self
                    .api
                    .send(
                        Method::POST,
                        self.url("threads")?,
                        Some(&json!({
                            "comments": [{ "parentCommentId": 0, "content": body, "commentType": TEXT }],
                            "status": status,
                        })),
                    )
                    .await?;
                let id = answer.json["id"]
                    .as_u64()
                    .ok_or_else(|| PostError::Decode {
                        method: "POST".into(),
                        path: "threads".into(),
                        message: "the answer has no thread `id`".into(),
                    })?;
                Ok(Outcome::Created { id, url: None })
            }
        }
    }
}

/// The thread's opening comment: the one without a parent (`parentCommentId` 0), else the lowest id.
fn first_comment(thread: &Value) -> Option<&Value> {
    let comments = thread["comments"].as_array()?;
    comments
        .iter()
        .find(|c| c["parentCommentId"].as_u64() == Some(0))
        .or_else(|| {
            comments
                .iter()
                .min_by_key(|c| c["id"].as_u64().unwrap_or(u64::MAX))
        })
}

/// A thread's status, sent as a number and answered as a name (`active`, `closed`, ...).
fn thread_status(thread: &Value) -> Option<u64> {
    match &thread["status"] {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "active" => Some(ACTIVE),
            "fixed" => Some(2),
            "wontfix" => Some(3),
            "closed" => Some(CLOSED),
            "bydesign" => Some(5),
            "pending" => Some(6),
            _ => None,
        },
        _ => None,
    }
}

/// A path segment, percent-encoded (project names may hold spaces).
fn segment(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_comment_and_status_are_read_as_azure_devops_answers_them() {
        let t = json!({"id": 7, "status": "active", "comments": [
            {"id": 2, "parentCommentId": 1, "content": "reply"},
            {"id": 1, "parentCommentId": 0, "content": "first"}]});
        assert_eq!(first_comment(&t).unwrap()["content"], "first");
        assert_eq!(thread_status(&t), Some(ACTIVE));
        assert_eq!(thread_status(&json!({"status": 4})), Some(CLOSED));
        assert_eq!(segment("My Project"), "My%20Project");
    }
}
