//! What every guest here does with `wasi:http`: read a request's whole
//! body, and answer with a whole body.

use std::io::{Read as _, Write as _};

use wasip2::http::types::{
    Fields, IncomingBody, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam,
};

/// The whole body of `request`.
pub fn read_body(request: IncomingRequest) -> Vec<u8> {
    let mut body = Vec::new();
    let incoming = request.consume().expect("the body, once");
    {
        let mut stream = incoming.stream().expect("the body's stream, once");
        stream.read_to_end(&mut body).expect("read the body");
    }
    IncomingBody::finish(incoming);
    body
}

/// Answers with `status`, a `content-type` and `body`.
pub fn respond(out: ResponseOutparam, status: u16, content_type: &str, body: &[u8]) {
    let headers =
        Fields::from_list(&[("content-type".to_string(), content_type.as_bytes().to_vec())])
            .expect("a valid header");
    let response = OutgoingResponse::new(headers);
    response.set_status_code(status).expect("a valid status");
    let out_body = response.body().expect("the body, once");
    ResponseOutparam::set(out, Ok(response));
    let mut stream = out_body.write().expect("the body's stream, once");
    stream.write_all(body).expect("write the body");
    stream.flush().expect("flush the body");
    drop(stream);
    OutgoingBody::finish(out_body, None).expect("finish the body");
}
