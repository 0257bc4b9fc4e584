//! Workers-only APIs beyond the Web standards, through the real binary:
//! `IdentityTransformStream`, `FixedLengthStream`, `crypto.DigestStream`,
//! `crypto.subtle.timingSafeEqual`, the Cache API, and outbound `fetch`
//! redirects (`tests/cases/workers-apis`, `guests/js/cache-proxy`).

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

use serde_json::json;
use support::{Isola, Origin, case, copy_dir, guest, request};

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

#[test]
fn digest_stream_hashes_what_is_written() {
    let json = apis().get("/digest").json();
    assert_eq!(
        json,
        json!({
            "SHA-256": "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9",
            "sha-1": "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed",
            "MD5": "5eb63bbbe01eeed093cb22bb8f5acdc3",
            "SHA-512": "309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f989dd35bc5ff499670da34255b45b0cfd830e81f605dcf7dc5542e93ae9cd76f",
            "unknown": "DOMException: Unrecognized algorithm name: SHA-3",
        })
    );
}

#[test]
fn timing_safe_equal_compares_buffers_of_one_length() {
    assert_eq!(
        apis().get("/timing-safe-equal").json(),
        json!({
            "equal": true,
            "different": false,
            "buffers": true,
            "lengths": "TypeError: Input buffers must have the same byte length.",
        })
    );
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

#[test]
fn cache_put_follows_cloudflares_rules() {
    assert_eq!(
        apis().get("/cache-rules").json(),
        json!({
            "setCookie": "not stored",
            "noStore": "not stored",
            "status500": "not stored",
            "varyOther": "miss",
            "varySame": "fr",
            "otherCache": "miss",
            "post": "TypeError: Cannot cache response to non-GET request.",
            "partial": "TypeError: Cannot cache response to a range request (206 Partial Content).",
            "varyStar": "TypeError: Cannot cache response with 'Vary: *' header.",
            "deleted": true,
            "deletedAgain": false,
            "illegal": "TypeError: Illegal constructor",
        })
    );
}

#[test]
fn the_cache_first_proxy_hits_on_the_second_request_and_after_a_restart() {
    let origin = Origin::start();
    let project = copy_dir(&guest("cache-proxy"));
    let config = project.path().join("wrangler.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replace("http://127.0.0.1:9000", &origin.url()),
    )
    .unwrap();
    let state = tempfile::tempdir().unwrap();
    let serve = || Isola::serve_in(&[project.path().to_str().unwrap()], state.path());

    let isola = serve();
    let first = isola.get("/page?id=1");
    assert_eq!(first.header("cf-cache-status"), Some("MISS"));
    let second = isola.get("/page?id=1");
    assert_eq!(second.header("cf-cache-status"), Some("HIT"));
    assert_eq!(second.text(), first.text());
    assert_eq!(second.header("x-served-by"), Some("origin"));
    assert_eq!(origin.requests().len(), 1);
    drop(isola);

    // The cache is kept in the state directory.
    let isola = serve();
    assert_eq!(
        isola.get("/page?id=1").header("cf-cache-status"),
        Some("HIT")
    );
    assert_eq!(origin.requests().len(), 1);
    assert_eq!(
        request("DELETE", &isola.url("/page?id=1"), &[], None).text(),
        "purged\n"
    );
    assert_eq!(
        isola.get("/page?id=1").header("cf-cache-status"),
        Some("MISS")
    );
    assert_eq!(origin.requests().len(), 2);
}
