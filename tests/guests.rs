//! Pure-Wasm guests (wasi:http components built from guests/rust/) served
//! by the real binary: beside JS Workers, limited, and contained when they
//! trap, loop or are not what they claim to be.

mod support;

use std::time::{Duration, Instant};

use support::{Isola, case, request, run, rust_guest};

#[test]
fn hello_and_echo_answer_over_http() {
    let hello = rust_guest("hello");
    let isola = Isola::serve(&[hello.to_str().unwrap()]);
    let reply = isola.get("/");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), "Hello World!");
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain;charset=UTF-8")
    );

    let echo = rust_guest("echo");
    let isola = Isola::serve(&[echo.to_str().unwrap()]);
    let reply = request(
        "POST",
        &isola.url("/path?q=1"),
        &[("x-test", "yes")],
        Some(b"the body"),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let echoed = reply.json();
    assert_eq!(echoed["method"], "POST");
    assert!(
        echoed["url"].as_str().unwrap().ends_with("/path?q=1"),
        "{echoed}"
    );
    assert_eq!(echoed["body"], "the body");
    assert!(
        echoed["headers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h[0] == "x-test" && h[1] == "yes"),
        "{echoed}"
    );
}

#[test]
fn a_trapping_or_looping_guest_is_contained() {
    let echo = rust_guest("echo");
    let isola = Isola::serve(&[echo.to_str().unwrap(), "--cpu-ms", "100"]);
    let trapped = isola.get("/trap");
    assert_eq!(trapped.status, 500);
    assert!(
        isola.wait_for_log("[echo] the guest trapped"),
        "{}",
        isola.log()
    );
    assert_eq!(isola.get("/after-trap").status, 200);

    let started = Instant::now();
    let looped = isola.get("/loop");
    let took = started.elapsed();
    assert_eq!(looped.status, 503, "{}", looped.text());
    assert!(looped.text().contains("1102"), "{}", looped.text());
    assert!(
        took < Duration::from_secs(5),
        "the loop was stopped (after {took:?})"
    );
    assert!(isola.wait_for_log("exceeded its CPU time limit"));
    assert_eq!(isola.get("/after-loop").status, 200);
}

#[test]
fn bad_wasm_files_are_refused_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let serve = |file: &str| {
        run(&[
            "serve",
            dir.path().join(file).to_str().unwrap(),
            "--port",
            "0",
            "--persist-to",
            state.path().to_str().unwrap(),
        ])
    };
    std::fs::write(dir.path().join("garbage.wasm"), b"not wasm").unwrap();
    let exit = serve("garbage.wasm");
    assert!(!exit.status.success());
    assert!(exit.stderr.contains("garbage.wasm"), "{}", exit.stderr);
    assert!(
        exit.stderr.contains("not a valid WebAssembly component"),
        "{}",
        exit.stderr
    );

    // A core module, not a component.
    std::fs::write(
        dir.path().join("core.wasm"),
        wat::parse_str("(module (func (export \"f\")))").unwrap(),
    )
    .unwrap();
    let exit = serve("core.wasm");
    assert!(!exit.status.success());
    assert!(exit.stderr.contains("core.wasm"), "{}", exit.stderr);
}

#[test]
fn wasm_and_js_workers_share_a_host() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("isola.toml");
    std::fs::write(
        &config,
        format!(
            "[[workers]]\npath = \"{}\"\nroutes = [\"*/wasm/*\"]\n\n[[workers]]\npath = \"{}\"\n",
            rust_guest("hello").display(),
            case("throws").join("worker.js").display()
        ),
    )
    .unwrap();
    let isola = Isola::serve(&[config.to_str().unwrap()]);
    assert_eq!(isola.get("/wasm/x").text(), "Hello World!");
    assert_eq!(isola.get("/").text(), "ok");
    let stats = isola.worker_stats("hello");
    assert_eq!(stats["requests"], 1, "{stats}");
}

#[test]
fn the_markdown_guest_renders_as_the_wasm_bindgen_worker_does() {
    let isola = Isola::serve(&[rust_guest("markdown").to_str().unwrap()]);
    let body = br##"{"markdown": "# Title\n\nSome *emphasis*.\n\n## Part two\n"}"##;
    let reply = request("POST", &isola.url("/render"), &[], Some(body));
    assert_eq!(reply.status, 200, "{}", reply.text());
    let rendered = reply.json();
    assert!(
        rendered["html"]
            .as_str()
            .unwrap()
            .contains("<em>emphasis</em>"),
        "{rendered}"
    );
    assert_eq!(
        rendered["headings"],
        serde_json::json!(["Title", "Part two"])
    );
    let bad = request("POST", &isola.url("/render"), &[], Some(b"not json"));
    assert_eq!(bad.status, 400);
}
