//! The examples that benchmarks drive (`scripts/bench-*`), each answering
//! as its script says: D1 and KV under load, HTMLRewriter over a 1 MiB
//! page, calls across the JS/Wasm boundary, and Markdown with `marked`
//! from npm (installed by `scripts/setup`).

use serde_json::json;

use crate::support::{Isola, guest, request};

fn serve(example: std::path::PathBuf, args: &[&str]) -> Isola {
    let mut all = vec![example.to_str().unwrap()];
    all.extend(args);
    Isola::serve(&all)
}

#[test]
fn the_d1_bench_worker_seeds_selects_and_inserts() {
    let isola = serve(guest("d1-bench"), &[]);
    assert_eq!(isola.post("/seed", b"").text(), "seeded\n");
    let first = isola.get("/select").json();
    assert_eq!(first, json!({ "id": 1, "name": "item 1", "price": 1.5 }));
    let second = isola.get("/select").json();
    assert_eq!(second["id"], 2);
    let inserted = isola.get("/insert").json();
    assert_eq!(inserted, json!({ "id": 1001 }));
    assert_eq!(isola.get("/nothing").status, 404);
}

#[test]
fn the_kv_bench_worker_reads_writes_and_lists() {
    // Seeding awaits 1000 puts in one request: more than the default 50 ms
    // of CPU time in an unoptimised build.
    let isola = serve(guest("kv-bench"), &["--cpu-ms", "5000"]);
    assert_eq!(isola.get("/get").status, 500, "{}", isola.log());
    assert_eq!(isola.post("/seed", b"").text(), "seeded\n");
    assert_eq!(isola.get("/get").text(), "ok");
    assert_eq!(isola.get("/put").text(), "ok");
    let list = isola.get("/list");
    assert_eq!((list.status, list.text()), (200, "1000".to_string()));
    assert_eq!(isola.get("/read?key=k").status, 404);
    assert_eq!(isola.get("/write?key=k&value=v1").text(), "ok");
    assert_eq!(isola.get("/read?key=k").text(), "v1");
}

#[test]
fn the_rewriter_bench_worker_rewrites_every_link_of_its_page() {
    let isola = serve(guest("rewriter-bench"), &[]);
    let plain = isola.get("/plain").text();
    assert!(plain.len() >= 1024 * 1024, "{} bytes", plain.len());
    let links = plain.matches("href=\"/item/").count();
    assert!(links > 1000, "{links} links");

    let parsed = isola.get("/parse").text();
    assert_eq!(parsed, plain);
    let rewritten = isola.get("/links").text();
    assert_eq!(rewritten.matches("href=\"https://shop.example/item/").count(), links);
    assert_eq!(rewritten.matches("href=\"/item/").count(), 0);
    let text = isola.get("/text").text();
    assert_eq!(
        text.matches("pariatur.!</p>").count(),
        plain.matches("pariatur.</p>").count()
    );
}

#[test]
fn the_wasm_calls_worker_times_each_kind_of_call() {
    let isola = serve(guest("wasm-calls"), &[]);
    let reply = isola.get("/?n=1000");
    assert_eq!(reply.status, 200, "{}", isola.log());
    let timings = reply.json();
    for kind in ["jsCall", "wasmCall", "wasmCallingJs", "memoryBuffer"] {
        assert!(timings[kind].is_u64(), "{kind}: {timings}");
    }
    // identity(i) for i < n, add(i, 1), callOut(i) and 65536 per read.
    let n: u64 = 1000;
    let sum = n * (n - 1) / 2;
    assert_eq!(timings["sink"], sum + (sum + n) + sum + n * 65536);
}

#[test]
fn the_js_markdown_worker_renders_with_marked_from_npm() {
    let isola = serve(guest("markdown"), &[]);
    let body = br##"{"markdown": "# Title\n\nSome *emphasis*, two words.\n\n## Part two\n"}"##;
    let reply = request("POST", &isola.url("/render"), &[], Some(body));
    assert_eq!(reply.status, 200, "{}\n{}", reply.text(), isola.log());
    let rendered = reply.json();
    let html = rendered["html"].as_str().unwrap();
    assert!(html.contains("<h1>Title</h1>"), "{html}");
    assert!(html.contains("<em>emphasis</em>"), "{html}");
    assert_eq!(rendered["headings"], json!(["Title", "Part two"]));
    let bad = request("POST", &isola.url("/render"), &[], Some(b"not json"));
    assert_eq!(bad.status, 400);
}
