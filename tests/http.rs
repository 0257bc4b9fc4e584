//! The examples in `guests/js/` served by the real binary over HTTP: both
//! Worker syntaxes, request and response bodies, streaming, keep-alive,
//! `ctx.waitUntil`.

use crate::support::{Isola, case, guest, read_until, request, send_raw};

#[test]
fn hello_answers_with_its_var() {
    let isola = Isola::serve(&[guest("hello").to_str().unwrap()]);
    let reply = isola.get("/");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), "Hello from isola!\n");
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain;charset=UTF-8")
    );
}

#[test]
fn a_script_path_serves_without_a_config() {
    let script = guest("echo").join("worker.js");
    let isola = Isola::serve(&[script.to_str().unwrap()]);
    assert_eq!(isola.get("/x").json()["method"], "GET");
}

#[test]
fn echo_returns_method_url_headers_and_body() {
    let isola = Isola::serve(&[guest("echo").to_str().unwrap()]);
    let reply = request(
        "PUT",
        &isola.url("/items/7?color=blue"),
        &[("x-custom", "yes"), ("content-type", "text/plain")],
        Some(b"the body"),
    );
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let json = reply.json();
    assert_eq!(json["method"], "PUT");
    assert_eq!(json["url"], isola.url("/items/7?color=blue"));
    assert_eq!(json["headers"]["x-custom"], "yes");
    assert_eq!(json["headers"]["content-type"], "text/plain");
    assert_eq!(json["body"], "the body");

    let json = isola.get("/").json();
    assert_eq!(json["body"], serde_json::Value::Null);
}

#[test]
fn request_headers_read_as_workers_read_them() {
    let isola = Isola::serve(&[case("request-api").join("worker.js").to_str().unwrap()]);
    let reply = request(
        "GET",
        &isola.url("/path?q=1"),
        &[
            ("accept", "text/html"),
            ("x-dup", "one"),
            ("X-Dup", "two"),
            ("x-custom", "1"),
        ],
        None,
    );
    let json = reply.json();
    assert_eq!(json["accept"], "text/html");
    assert_eq!(json["host"], isola.addr);
    assert_eq!(json["duplicated"], "one, two");
    assert_eq!(json["hasCustom"], true);
    assert_eq!(json["missing"], serde_json::Value::Null);
    assert_eq!(json["method"], "GET");
    assert_eq!(json["url"], isola.url("/path?q=1"));
    assert_eq!(json["cloneUrl"], isola.url("/path?q=1"));
    assert_eq!(json["redirect"], "follow");
    assert_eq!(
        json["immutable"], true,
        "incoming request headers are immutable"
    );
}

#[test]
fn every_headers_method_reads_incoming_headers_as_a_fresh_headers_would() {
    let isola = Isola::serve(&[case("request-headers").join("worker.js").to_str().unwrap()]);
    let probes = isola.get("/").json();
    let probes = probes.as_array().unwrap();
    assert!(probes.len() > 10, "{probes:?}");
    for probe in probes {
        let probe = probe.as_str().unwrap();
        let json = request(
            "GET",
            &isola.url(&format!("/?probe={probe}")),
            &[
                ("Content-Type", "a/b"),
                ("Authorization", "Bearer t"),
                ("Accept", "text/html"),
                ("X-Custom", "yes"),
                ("x-dup", "one"),
                ("X-Dup", "two"),
            ],
            None,
        )
        .json();
        assert_eq!(json["incoming"], json["fresh"], "probe {probe}");
    }
    let first = |probe: &str| {
        request(
            "GET",
            &isola.url(&format!("/?probe={probe}")),
            &[("Content-Type", "a/b"), ("Authorization", "Bearer t")],
            None,
        )
        .json()["incoming"]
            .clone()
    };
    assert_eq!(first("get-mixed"), "a/b");
    assert_eq!(first("get-upper"), "Bearer t");
    assert_eq!(first("has-mixed"), true);
    assert_eq!(first("get-missing"), serde_json::Value::Null);
}

#[test]
fn a_chunked_request_body_is_streamed_into_the_worker() {
    let isola = Isola::serve(&[guest("echo").to_str().unwrap()]);
    let mut stream = isola.connect();
    send_raw(
        &mut stream,
        b"POST /upload HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n\
          5\r\nhello\r\n",
    );
    // The Worker is already reading while the client is still sending.
    std::thread::sleep(std::time::Duration::from_millis(100));
    send_raw(&mut stream, b"6\r\n world\r\n0\r\n\r\n");
    let response = read_until(&mut stream, "}");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains(r#""body":"hello world""#), "{response}");
    assert!(
        response.contains(r#""url":"http://example.com/upload""#),
        "{response}"
    );
}

#[test]
fn keep_alive_serves_several_requests_on_one_connection() {
    let isola = Isola::serve(&[guest("hello").to_str().unwrap()]);
    let mut stream = isola.connect();
    for _ in 0..3 {
        send_raw(&mut stream, b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
        let response = read_until(&mut stream, "Hello from isola!\n");
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(!response.to_ascii_lowercase().contains("connection: close"));
    }
}

#[test]
fn crypto_hashes_the_body_with_subtle_crypto() {
    let isola = Isola::serve(&[guest("crypto").to_str().unwrap()]);
    let reply = isola.post("/", b"abc");
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.text(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n"
    );
    assert_eq!(reply.header("x-digest-algorithm"), Some("SHA-256"));
}

#[test]
fn a_two_module_worker_imports_its_routes() {
    let isola = Isola::serve(&[guest("modules").to_str().unwrap()]);
    assert_eq!(isola.get("/greet/fr").text(), "Bonjour, world!\n");
    let missing = isola.get("/greet/xx");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.text(), "Not found\n");
}

#[test]
fn service_worker_syntax_gets_bindings_as_globals() {
    let isola = Isola::serve(&[guest("service-worker").to_str().unwrap()]);
    let reply = isola.get("/some/path");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), "Hello from a service worker at /some/path\n");
}

#[test]
fn the_streaming_example_sends_every_chunk_chunked() {
    let isola = Isola::serve(&[guest("streaming").to_str().unwrap()]);
    let reply = isola.get("/?chunks=4&interval=10");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("transfer-encoding"), Some("chunked"));
    let lines: Vec<String> = reply.text().lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    for (i, line) in lines.iter().enumerate() {
        assert!(line.starts_with(&format!("chunk {i} at ")), "{line}");
    }
}

#[test]
fn streamed_bytes_reach_the_client_before_the_body_is_complete() {
    let isola = Isola::serve(&[
        case("stream-gate").join("worker.js").to_str().unwrap(),
        "--isolates",
        "1",
    ]);
    let mut stream = isola.connect();
    send_raw(
        &mut stream,
        b"GET /stream HTTP/1.1\r\nHost: localhost\r\n\r\n",
    );
    // The body cannot end before /release, so "start" arriving first shows
    // the response is streamed, not buffered.
    let head = read_until(&mut stream, "start\n");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(!head.contains("end\n"));
    assert_eq!(isola.get("/release").text(), "released\n");
    read_until(&mut stream, "end\n");
}

#[test]
fn wait_until_work_finishes_after_the_response() {
    let isola = Isola::serve(&[
        case("wait-until").join("worker.js").to_str().unwrap(),
        "--isolates",
        "1",
    ]);
    assert_eq!(isola.get("/start").text(), "started\n");
    let deadline = std::time::Instant::now() + crate::support::PATIENCE;
    while isola.get("/status").text() != "finished 1\n" {
        assert!(
            std::time::Instant::now() < deadline,
            "waitUntil work never ran"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
