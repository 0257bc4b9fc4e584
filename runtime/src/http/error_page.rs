//! The responses the host itself sends when a Worker cannot answer.
//!
//! Codes and titles follow Cloudflare's error pages (1101: the Worker threw,
//! 1102: it exceeded a resource limit) so that clients and developers see
//! what they would see in production. The page is short: details go to the
//! log, not to the client.

use http::{Response, StatusCode, header};

use super::ResponseBody;

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
}

impl Failure {
    /// Every kind, for metrics.
    pub const ALL: [Failure; 6] = [
        Self::Exception,
        Self::CpuLimit,
        Self::MemoryLimit,
        Self::RequestTooLarge,
        Self::NoWorker,
        Self::Unavailable,
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
        }
    }

    fn describe(self) -> (StatusCode, &'static str, &'static str) {
        match self {
            Self::Exception => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "1101",
                "Worker threw exception",
            ),
            Self::CpuLimit | Self::MemoryLimit => (
                StatusCode::SERVICE_UNAVAILABLE,
                "1102",
                "Worker exceeded resource limits",
            ),
            Self::RequestTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "413",
                "Request entity too large",
            ),
            Self::NoWorker => (StatusCode::NOT_FOUND, "1042", "No Worker for this route"),
            Self::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "1102",
                "Worker is not available",
            ),
        }
    }
}

/// A short HTML error page for `failure`.
pub fn error_response(failure: Failure) -> Response<ResponseBody> {
    let (status, code, title) = failure.describe();
    let html = format!(
        "<!DOCTYPE html>\n<html><head><title>Error {code}: {title}</title></head>\
         <body><h1>Error {code}</h1><p>{title}</p></body></html>\n"
    );
    let mut response = Response::new(ResponseBody::full(html));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}
