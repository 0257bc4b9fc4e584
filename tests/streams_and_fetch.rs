//! Workers-only streams and outbound `fetch` through the real binary:
//! `IdentityTransformStream`, `FixedLengthStream`, redirects and an
//! unreachable host (`tests/cases/workers-apis`).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

use serde_json::json;
use crate::support::{Isola, case};

fn apis() -> Isola {
    Isola::serve(&[case("workers-apis").join("worker.js").to_str().unwrap()])
}

#[test]
fn identity_transform_stream_passes_bytes_and_refuses_strings() {
    let json = apis().get("/identity").json();
    assert_eq!(json["text"], "hello world");
    assert!(
        json["stringError"].as_str().unwrap().starts_with(
            "TypeError: This TransformStream is being used as a byte stream, but received a string"
        ),
        "{json}"
    );
}

#[test]
fn fixed_length_stream_checks_its_length_and_sets_content_length() {
    let isola = apis();
    let reply = isola.get("/fixed");
    assert_eq!(reply.header("content-length"), Some("11"));
    assert_eq!(reply.header("transfer-encoding"), None);
    assert_eq!(reply.text(), "hello world");
    assert_eq!(
        isola.get("/fixed-too-long").json()["tooMany"],
        "TypeError: Attempt to write too many bytes through a FixedLengthStream."
    );
    let short = isola.get("/fixed-too-short").json();
    let error = "TypeError: FixedLengthStream did not see all expected bytes before close().";
    assert_eq!(short, json!({ "close": error, "read": error }));
}

/// A loopback server where `/start` redirects (302) to `/end`, which
/// answers "arrived".
fn redirecting_origin() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let mut reader = BufReader::new(stream);
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap() > 2 {
                line.clear();
            }
            let response = if request_line.starts_with("GET /start ") {
                "HTTP/1.1 302 Found\r\nlocation: /end\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            } else {
                "HTTP/1.1 200 OK\r\ncontent-length: 7\r\nconnection: close\r\n\r\narrived"
            };
            reader.get_mut().write_all(response.as_bytes()).unwrap();
        }
    });
    url
}

#[test]
fn fetch_follows_returns_or_refuses_redirects_as_asked() {
    let origin = redirecting_origin();
    let isola = apis();
    let fetch = |redirect: &str| {
        isola
            .get(&format!("/fetch?redirect={redirect}&url={origin}/start"))
            .json()
    };
    assert_eq!(
        fetch("follow"),
        json!({
            "status": 200, "redirected": true, "url": format!("{origin}/end"),
            "location": null, "body": "arrived",
        })
    );
    assert_eq!(
        fetch("manual"),
        json!({
            "status": 302, "redirected": false, "url": format!("{origin}/start"),
            "location": "/end", "body": "",
        })
    );
    assert_eq!(fetch("error"), json!({ "error": "TypeError" }));
}

#[test]
fn fetch_to_an_unreachable_host_rejects_with_a_type_error() {
    // Port 1 on loopback: nothing listens there.
    let reply = apis().get("/fetch?redirect=follow&url=http://127.0.0.1:1/");
    assert_eq!(reply.json(), json!({ "error": "TypeError" }));
}
