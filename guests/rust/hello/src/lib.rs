//! The smallest guest: answers every request with a greeting.

use wasip2::http::types::{IncomingRequest, ResponseOutparam};

struct Hello;

wasip2::http::proxy::export!(Hello);

impl wasip2::exports::http::incoming_handler::Guest for Hello {
    fn handle(_request: IncomingRequest, response_out: ResponseOutparam) {
        guest_http::respond(
            response_out,
            200,
            "text/plain;charset=UTF-8",
            b"Hello World!",
        );
    }
}
