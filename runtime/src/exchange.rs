//! One HTTP request on its way into a Worker, with the channel its response
//! comes back on. This is what the server hands an isolate, and all an
//! isolate knows of HTTP.

use bytes::Bytes;
use http_body_util::BodyExt;
use http_body_util::combinators::BoxBody;
use tokio::sync::oneshot;

use crate::http::ResponseBody;

/// Errors a request body can fail with while a Worker reads it.
pub type BodyError = Box<dyn std::error::Error + Send + Sync>;

/// A request body, from a client or another Worker.
pub type RequestBody = BoxBody<Bytes, BodyError>;

/// The response half of an exchange.
pub type Reply = oneshot::Sender<http::Response<ResponseBody>>;

/// A request for a Worker and where to send its response.
pub struct Exchange {
    pub method: http::Method,
    /// The absolute URL the Worker sees as `request.url`.
    pub url: String,
    pub headers: http::HeaderMap,
    /// None when the request has no body (a GET, or Content-Length: 0).
    pub body: Option<RequestBody>,
    pub reply: Reply,
}

impl Exchange {
    /// Builds an exchange from a server request; `reply` receives the answer.
    pub fn from_request<B>(request: http::Request<B>, reply: Reply) -> Self
    where
        B: http_body::Body<Data = Bytes> + Send + Sync + 'static,
        B::Error: Into<BodyError>,
    {
        let (parts, body) = request.into_parts();
        let url = absolute_url(&parts);
        let has_body = !http_body::Body::is_end_stream(&body)
            && parts.method != http::Method::GET
            && parts.method != http::Method::HEAD;
        Self {
            method: parts.method,
            url,
            headers: parts.headers,
            body: has_body.then(|| body.map_err(Into::into).boxed()),
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
