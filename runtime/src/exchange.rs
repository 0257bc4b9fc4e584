//! What a Worker is asked to do: answer an HTTP request, or run its
//! `scheduled` handler; each with the channel its outcome comes back on.
//! This is what the host hands an isolate, and all an isolate knows of HTTP.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::BodyExt;
use tokio::sync::{mpsc, oneshot};

use isola_apis::body::{BodyError, RequestBody, ResponseBody};
use isola_apis::services::Thrown;
pub use isola_apis::services::{Call, Rpc};

use crate::limits::Monitor;

/// Why the host answered instead of the Worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Failure {
    /// The Worker threw, or returned something that is not a Response.
    Exception,
    /// A request used more CPU time than its limit.
    CpuLimit,
    /// The isolate ran out of memory.
    MemoryLimit,
    /// The request body is larger than the Worker accepts.
    RequestTooLarge,
    /// No Worker is configured for this request.
    NoWorker,
    /// The Worker's isolate stopped before answering.
    Unavailable,
    /// The request came through more Workers than the loop limit allows
    /// (`CF-EW-Via: 0`).
    LoopLimit,
}

impl Failure {
    /// Every kind, for metrics.
    pub const ALL: [Failure; 7] = [
        Self::Exception,
        Self::CpuLimit,
        Self::MemoryLimit,
        Self::RequestTooLarge,
        Self::NoWorker,
        Self::Unavailable,
        Self::LoopLimit,
    ];

    /// A short name for logs and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Self::Exception => "exception",
            Self::CpuLimit => "cpu_limit",
            Self::MemoryLimit => "memory_limit",
            Self::RequestTooLarge => "request_too_large",
            Self::NoWorker => "no_worker",
            Self::Unavailable => "unavailable",
            Self::LoopLimit => "loop_limit",
        }
    }
}

/// How a Worker answered a request.
#[derive(Debug)]
pub enum Outcome {
    /// With a response of its own.
    Response(http::Response<ResponseBody>),
    /// It could not; `pass_through` is set when the script asked for the
    /// request to go to the origin instead (`ctx.passThroughOnException()`),
    /// and `detail` holds the error and its stack when there is one.
    Failed {
        failure: Failure,
        pass_through: bool,
        detail: Option<String>,
        /// What the Worker threw, for a Worker that called it.
        thrown: Option<Thrown>,
    },
}

impl Outcome {
    pub fn failed(failure: Failure) -> Self {
        Self::Failed {
            failure,
            pass_through: false,
            detail: None,
            thrown: None,
        }
    }
}

/// The response half of an exchange.
pub type Reply = oneshot::Sender<Outcome>;

/// One invocation of a Worker, or word that an object it exported over
/// RPC has no stub left (the object's id in its export table).
pub enum Event {
    Fetch(Exchange),
    Scheduled(Scheduled),
    Queue(QueueDelivery),
    Release(u32),
}

/// A batch of a queue's messages for the `queue` handler. Its outcome is a
/// response whose body is the handler's report (`queue.js`): whether it
/// succeeded, and each message's decision.
pub struct QueueDelivery {
    pub queue: String,
    pub messages: Vec<isola_storage::queues::Message>,
    pub reply: Reply,
}

/// A run of the `scheduled` handler (a cron trigger). Its outcome is an
/// empty response when the handler and its `waitUntil` work succeeded.
pub struct Scheduled {
    pub cron: String,
    /// When it was scheduled, in milliseconds since the epoch.
    pub scheduled_time: f64,
    pub reply: Reply,
}

/// A request for a Worker and where to send its response.
pub struct Exchange {
    pub method: http::Method,
    /// The absolute URL the Worker sees as `request.url`.
    pub url: String,
    pub headers: http::HeaderMap,
    /// None when the request has no body (a GET, or Content-Length: 0).
    pub body: Option<RequestBody>,
    /// Set when another Worker calls a named entrypoint or an RPC method
    /// through a service binding (never from outside the host).
    pub call: Option<Box<Call>>,
    pub reply: Reply,
}

impl Exchange {
    /// Builds an exchange from a request; `reply` receives the answer. A
    /// body longer than `max_body` bytes fails with an error as the Worker
    /// reads past the limit.
    pub fn from_request<B>(request: http::Request<B>, max_body: u64, reply: Reply) -> Self
    where
        B: http_body::Body<Data = Bytes> + Send + Sync + 'static,
        B::Error: Into<BodyError>,
    {
        let (mut parts, body) = request.into_parts();
        let call = parts.extensions.remove::<Call>().map(Box::new);
        let url = absolute_url(&parts);
        let has_body = !http_body::Body::is_end_stream(&body)
            && parts.method != http::Method::GET
            && parts.method != http::Method::HEAD;
        let limit = usize::try_from(max_body).unwrap_or(usize::MAX);
        Self {
            method: parts.method,
            url,
            headers: parts.headers,
            body: has_body.then(|| {
                http_body_util::Limited::new(body.map_err(Into::into), limit)
                    .map_err(|e| e as BodyError)
                    .boxed()
            }),
            call,
            reply,
        }
    }
}

/// `request.url` as Workers see it: scheme, the Host header, path and query.
fn absolute_url(parts: &http::request::Parts) -> String {
    if parts.uri.scheme().is_some() {
        return parts.uri.to_string();
    }
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    format!("http://{host}{path}")
}

/// What an isolate or a guest gives the host once it serves a Worker: where
/// to send its events, and the monitor that holds it to its limits.
pub struct Serving {
    pub queue: mpsc::UnboundedSender<Event>,
    pub monitor: Arc<Monitor>,
}
