//! Markdown to HTML as a pure-Wasm guest: `POST /render` with
//! `{"markdown": "..."}`, the same work as the wasm-bindgen Worker in
//! guests/wasm-bindgen/markdown, for comparing the two.

use wasip2::http::types::{IncomingRequest, ResponseOutparam};

struct Markdown;

wasip2::http::proxy::export!(Markdown);

impl wasip2::exports::http::incoming_handler::Guest for Markdown {
    fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
        let body = guest_http::read_body(request);
        let (status, reply) = match markdown_render::render(&String::from_utf8_lossy(&body)) {
            Ok(json) => (200, json),
            Err(message) => (400, markdown_render::error_body(&message)),
        };
        guest_http::respond(response_out, status, "application/json", reply.as_bytes());
    }
}
