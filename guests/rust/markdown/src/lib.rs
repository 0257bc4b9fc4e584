//! Markdown to HTML as a pure-Wasm guest: `POST /render` with
//! `{"markdown": "..."}`, the same work as the wasm-bindgen Worker in
//! guests/wasm-bindgen/markdown, for comparing the two.

use std::io::{Read as _, Write as _};

use wasip2::http::types::{
    Fields, IncomingBody, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam,
};

struct Markdown;

wasip2::http::proxy::export!(Markdown);

impl wasip2::exports::http::incoming_handler::Guest for Markdown {
    fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
        let mut body = Vec::new();
        let incoming = request.consume().expect("the body, once");
        {
            let mut stream = incoming.stream().expect("the body's stream, once");
            stream.read_to_end(&mut body).expect("read the body");
        }
        IncomingBody::finish(incoming);
        let (status, reply) = match markdown_render::render(&String::from_utf8_lossy(&body)) {
            Ok(json) => (200, json),
            Err(message) => (400, markdown_render::error_body(&message)),
        };
        let headers =
            Fields::from_list(&[("content-type".to_string(), b"application/json".to_vec())])
                .expect("a valid header");
        let response = OutgoingResponse::new(headers);
        response.set_status_code(status).expect("a valid status");
        let out_body = response.body().expect("the body, once");
        ResponseOutparam::set(response_out, Ok(response));
        let mut out = out_body.write().expect("the body's stream, once");
        out.write_all(reply.as_bytes()).expect("write the body");
        out.flush().expect("flush the body");
        drop(out);
        OutgoingBody::finish(out_body, None).expect("finish the body");
    }
}
