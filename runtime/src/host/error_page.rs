//! The responses the host itself sends when a Worker cannot answer.
//!
//! Codes and titles follow Cloudflare's error pages (1101: the Worker threw,
//! 1102: it exceeded a resource limit) so that clients see what they would
//! see in production. That page is short: details go to the log. In
//! development ([`dev_error_response`]) the page shows the error, its stack
//! and the request instead, as HTML for browsers and as text for curl.

use http::{Response, StatusCode, header};

use isola_apis::body::ResponseBody;

use crate::exchange::Failure;

/// Status, Cloudflare error code and title of the page for `failure`.
fn describe(failure: Failure) -> (StatusCode, &'static str, &'static str) {
    match failure {
        Failure::Exception => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "1101",
            "Worker threw exception",
        ),
        Failure::CpuLimit | Failure::MemoryLimit => (
            StatusCode::SERVICE_UNAVAILABLE,
            "1102",
            "Worker exceeded resource limits",
        ),
        Failure::RequestTooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "413",
            "Request entity too large",
        ),
        Failure::NoWorker => (StatusCode::NOT_FOUND, "1042", "No Worker for this route"),
        Failure::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            "1102",
            "Worker is not available",
        ),
        Failure::LoopLimit => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "1019",
            "Worker hit loop limit",
        ),
    }
}

/// A short HTML error page for `failure`.
pub fn error_response(failure: Failure) -> Response<ResponseBody> {
    let (status, code, title) = describe(failure);
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

/// What the development error page shows of the request that failed.
#[derive(Debug, Clone)]
pub struct RequestSummary {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    wants_html: bool,
}

impl RequestSummary {
    pub fn of<B>(request: &http::Request<B>) -> Self {
        let accept = request
            .headers()
            .get(header::ACCEPT)
            .and_then(|a| a.to_str().ok())
            .unwrap_or("");
        Self {
            method: request.method().to_string(),
            url: request.uri().to_string(),
            headers: request
                .headers()
                .iter()
                .map(|(name, value)| {
                    (
                        name.to_string(),
                        String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            wants_html: accept.contains("text/html"),
        }
    }
}

/// The development error page: the error and its stack, and the request.
pub fn dev_error_response(
    failure: Failure,
    detail: &str,
    request: &RequestSummary,
) -> Response<ResponseBody> {
    let (status, code, title) = describe(failure);
    let (content_type, body) = if request.wants_html {
        let headers: String = request
            .headers
            .iter()
            .map(|(name, value)| {
                format!(
                    "<tr><th>{}</th><td>{}</td></tr>",
                    escape(name),
                    escape(value)
                )
            })
            .collect();
        let (message, stack) = detail.split_once('\n').unwrap_or((detail, ""));
        let html = format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{message}</title>\
             <style>body{{font-family:system-ui,sans-serif;margin:2rem;color:#222}}\
             h1{{color:#b42318;font-size:1.4rem}}pre{{background:#f6f6f6;padding:1rem;overflow:auto}}\
             th{{text-align:left;padding-right:1rem;color:#555}}small{{color:#777}}</style></head>\
             <body><small>Error {code}: {title} (HTTP {status})</small><h1>{message}</h1>\
             <pre>{stack}</pre><h2>Request</h2><p><code>{method} {url}</code></p>\
             <table>{headers}</table></body></html>\n",
            message = escape(message),
            stack = escape(stack.trim_start_matches('\n')),
            status = status.as_u16(),
            method = escape(&request.method),
            url = escape(&request.url),
        );
        ("text/html; charset=utf-8", html)
    } else {
        ("text/plain; charset=utf-8", format!("{detail}\n"))
    };
    let mut response = Response::new(ResponseBody::full(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    response
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
