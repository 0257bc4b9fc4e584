//! Calls on a database that one host forwards to the database's owner:
//! `POST <owner>/d1/<key>` on the owner's internal listener, JSON both
//! ways, with the deployment's secret in [`SECRET_HEADER`] (not in
//! `Authorization`, which forwarded requests keep for their Worker).

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use isola_storage::d1::{D1Error, Limits, QueryResult, Statement};
use serde::{Deserialize, Serialize};

/// The header that carries the deployment's secret between its hosts.
pub const SECRET_HEADER: &str = "x-isola-secret";

/// The status an owner answers with when it does not own the database
/// (anymore): the caller asks etcd again.
pub const MISDIRECTED: http::StatusCode = http::StatusCode::MISDIRECTED_REQUEST;

/// One call on a database.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Call {
    Batch {
        statements: Vec<Statement>,
        as_host: bool,
    },
    Script {
        sql: String,
    },
    Dump,
}

impl Call {
    /// `statements` in one transaction, with the host's rights if `as_host`.
    pub fn batch(statements: &[Statement], as_host: bool) -> Self {
        Self::Batch {
            statements: statements.to_vec(),
            as_host,
        }
    }
}

/// A call with the limits the caller's handle set.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    pub call: Call,
    pub timeout_ms: u64,
    pub max_result_bytes: u64,
}

impl Request {
    pub fn limits(&self) -> Limits {
        Limits {
            timeout: Duration::from_millis(self.timeout_ms),
            max_result_bytes: self.max_result_bytes,
        }
    }
}

/// What the owner answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Results(Vec<QueryResult>),
    Dump(Vec<u8>),
    /// The call failed: D1's message, as the Worker is to see it.
    Error(String),
}

impl Answer {
    pub fn from_results(results: Result<Vec<QueryResult>, D1Error>) -> Self {
        results.map_or_else(|e| Self::Error(e.to_string()), Self::Results)
    }
}

/// Why a forwarded call got no answer.
#[derive(Debug)]
pub enum Failure {
    /// The owner could not be reached: nothing was sent, so the call may
    /// be sent again.
    NotSent(String),
    /// The host asked does not own the database.
    Misdirected,
    /// Sent, but no answer came back: the call may or may not have run.
    Lost(String),
}

/// The client hosts forward calls with.
#[derive(Clone)]
pub struct Client {
    http: HttpClient<HttpConnector, Full<Bytes>>,
    secret: String,
}

impl Client {
    pub fn new(secret: String) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(Duration::from_secs(2)));
        Self {
            http: HttpClient::builder(TokioExecutor::new()).build(connector),
            secret,
        }
    }

    /// Sends `request` on database `key` to the host at `url`.
    pub async fn send(&self, url: &str, key: &str, request: &Request) -> Result<Answer, Failure> {
        let body = serde_json::to_vec(request).map_err(|e| Failure::NotSent(e.to_string()))?;
        let http_request = http::Request::post(format!("{url}/d1/{key}"))
            .header(SECRET_HEADER, self.secret.as_str())
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| Failure::NotSent(format!("{url}: {e}")))?;
        let response = self.http.request(http_request).await.map_err(|e| {
            if e.is_connect() {
                Failure::NotSent(format!("{url}: {e}"))
            } else {
                Failure::Lost(format!("{url}: {e}"))
            }
        })?;
        let status = response.status();
        if status == MISDIRECTED {
            return Err(Failure::Misdirected);
        }
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| Failure::Lost(format!("{url}: {e}")))?
            .to_bytes();
        if !status.is_success() {
            return Err(Failure::Lost(format!(
                "{url} answered {status}: {}",
                String::from_utf8_lossy(&body)
            )));
        }
        serde_json::from_slice(&body).map_err(|e| Failure::Lost(format!("{url}: {e}")))
    }

    /// The deployment's secret, for requests the host sends itself.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// Whether `headers` carry the deployment's secret.
    pub fn authorized(&self, headers: &http::HeaderMap) -> bool {
        let expected = &self.secret;
        headers.get(SECRET_HEADER).is_some_and(|value| {
            let value = value.as_bytes();
            // Compared in full whatever differs, so the time taken does
            // not tell how much of a guess was right.
            value.len() == expected.len()
                && value
                    .iter()
                    .zip(expected.as_bytes())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
        })
    }
}
