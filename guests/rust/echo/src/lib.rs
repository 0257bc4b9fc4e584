//! Echoes the request back as JSON: method, URL, headers and body. Paths
//! under `/trap` and `/loop` misbehave on purpose, to show how the host
//! contains a guest that traps or never returns.

use wasip2::http::types::{IncomingRequest, Method, ResponseOutparam, Scheme};

struct Echo;

wasip2::http::proxy::export!(Echo);

impl wasip2::exports::http::incoming_handler::Guest for Echo {
    fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
        let path = request.path_with_query().unwrap_or_default();
        if path.starts_with("/trap") {
            panic!("the guest trapped on purpose");
        }
        if path.starts_with("/loop") {
            #[allow(clippy::empty_loop, reason = "a guest that never returns")]
            loop {}
        }
        let method = match request.method() {
            Method::Get => "GET".to_string(),
            Method::Head => "HEAD".to_string(),
            Method::Post => "POST".to_string(),
            Method::Put => "PUT".to_string(),
            Method::Delete => "DELETE".to_string(),
            Method::Patch => "PATCH".to_string(),
            Method::Options => "OPTIONS".to_string(),
            Method::Connect => "CONNECT".to_string(),
            Method::Trace => "TRACE".to_string(),
            Method::Other(other) => other,
        };
        let scheme = match request.scheme() {
            Some(Scheme::Https) => "https",
            _ => "http",
        };
        let authority = request.authority().unwrap_or_default();
        let headers: Vec<(String, String)> = request
            .headers()
            .entries()
            .into_iter()
            .map(|(name, value)| (name, String::from_utf8_lossy(&value).into_owned()))
            .collect();
        let body = guest_http::read_body(request);
        let reply = serde_json::json!({
            "method": method,
            "url": format!("{scheme}://{authority}{path}"),
            "headers": headers,
            "body": String::from_utf8_lossy(&body),
        })
        .to_string();
        guest_http::respond(response_out, 200, "application/json", reply.as_bytes());
    }
}
