//! Pure-Wasm guests (wasi:http components built from guests/rust/) served
//! by the real binary: beside JS Workers, limited, and contained when they
//! trap, loop or are not what they claim to be.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::{Isola, Origin, case, component_guest, request, run, rust_guest};

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
fn isola_compile_fills_the_cache_ahead_of_a_start() {
    let cache = tempfile::tempdir().unwrap();
    let compile = |path: &Path| {
        let cache = cache.path().to_str().unwrap();
        run(&["compile", path.to_str().unwrap(), "--cache-dir", cache])
    };
    let cached = || {
        walk(&cache.path().join("wasm"))
            .into_iter()
            .filter(|path| path.is_file())
            .count()
    };
    let exit = compile(&rust_guest("hello"));
    assert!(exit.status.success(), "{}", exit.stderr);
    assert!(exit.stdout.contains("hello.wasm: compiled and linked in"), "{}", exit.stdout);
    assert!(cached() > 0, "nothing was cached");

    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.wasm");
    std::fs::write(&garbage, b"not wasm").unwrap();
    let exit = compile(&garbage);
    assert!(!exit.status.success());
    assert!(exit.stderr.contains("garbage.wasm: not a valid WebAssembly component"), "{}", exit.stderr);
}

/// Every path under `dir`.
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            paths.extend(walk(&path));
        }
        paths.push(path);
    }
    paths
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

/// A host running the `counter` guest and the JS Worker of
/// tests/cases/counters on the same KV namespace and D1 database.
fn counters() -> (Isola, tempfile::TempDir) {
    beside_the_counters_worker(&[(&rust_guest("counter"), None)])
}

/// A host running the JS Worker of tests/cases/counters under `/js/` and
/// each guest of `guests` (its `.wasm`, and its route; the one without is
/// the default Worker), all bound to the KV namespace `COUNTS` and the D1
/// database `DB`.
fn beside_the_counters_worker(guests: &[(&Path, Option<&str>)]) -> (Isola, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut workers = format!(
        "[[workers]]\npath = \"{}\"\nroutes = [\"*/js/*\"]\n",
        case("counters").display()
    );
    for (wasm, route) in guests {
        let name = wasm.file_stem().unwrap().to_str().unwrap();
        let folder = dir.path().join(name);
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(
            folder.join("wrangler.toml"),
            format!(
                "name = \"{name}\"\nmain = \"{}\"\n\n\
                 [[kv_namespaces]]\nbinding = \"COUNTS\"\nid = \"counts\"\n\n\
                 [[d1_databases]]\nbinding = \"DB\"\ndatabase_name = \"visits\"\ndatabase_id = \"visits\"\n",
                wasm.display()
            ),
        )
        .unwrap();
        workers += &format!("\n[[workers]]\npath = \"{}\"\n", folder.display());
        if let Some(route) = route {
            workers += &format!("routes = [\"{route}\"]\n");
        }
    }
    let config = dir.path().join("isola.toml");
    std::fs::write(&config, workers).unwrap();
    (Isola::serve(&[config.to_str().unwrap()]), dir)
}

#[test]
fn a_guest_and_a_js_worker_share_kv() {
    let (isola, _dir) = counters();
    let put = request("PUT", &isola.url("/js/kv/hits"), &[], Some(b"41"));
    assert_eq!(put.text(), "stored");
    let counted = isola.get("/kv/hits");
    assert_eq!(counted.status, 200, "{}", counted.text());
    assert_eq!(counted.text(), "42");
    assert_eq!(isola.get("/kv/hits").text(), "43");
    assert_eq!(isola.get("/js/kv/hits").text(), "43");
    // A key the JS Worker never wrote starts from nothing.
    assert_eq!(isola.get("/kv/fresh").text(), "1");
    assert_eq!(isola.get("/js/kv/fresh").text(), "1");
}

#[test]
fn a_wasi_keyvalue_guest_shares_kv_with_a_js_worker() {
    let (isola, _dir) = beside_the_counters_worker(&[(&rust_guest("keyvalue"), None)]);
    let put = |path: &str, body: &str| request("PUT", &isola.url(path), &[], Some(body.as_bytes()));
    let delete = |path: &str, body: &str| {
        request("DELETE", &isola.url(path), &[], Some(body.as_bytes())).text()
    };
    // A bucket is the namespace a JS Worker sees under the same binding.
    assert_eq!(put("/js/kv/hits", "41").text(), "stored");
    assert_eq!(isola.get("/COUNTS/hits").text(), "41");
    let sum = isola.post("/COUNTS/hits/add", b"1");
    assert_eq!(sum.status, 200, "{}", sum.text());
    assert_eq!(sum.text(), "42");
    assert_eq!(isola.get("/js/kv/hits").text(), "42");
    assert_eq!(isola.post("/COUNTS/fresh/add", b"-3").text(), "-3");

    assert_eq!(put("/COUNTS/greeting", "hello").text(), "stored");
    assert_eq!(isola.get("/js/kv/greeting").text(), "hello");
    assert_eq!(delete("/COUNTS/greeting", ""), "deleted");
    let gone = isola.get("/COUNTS/greeting");
    assert_eq!((gone.status, gone.text()), (404, "absent".into()));

    // Compare-and-swap: appends from many clients at once all land.
    std::thread::scope(|scope| {
        for _ in 0..6 {
            scope.spawn(|| {
                for _ in 0..5 {
                    let appended = isola.post("/COUNTS/log/append", b"x");
                    assert_eq!(appended.status, 200, "{}", appended.text());
                }
            });
        }
    });
    assert_eq!(isola.get("/js/kv/log").text(), "x".repeat(30));

    // Batches, and a listing longer than one page.
    let many: String = (0..1005).map(|i| format!("k{i:04}=v{i}\n")).collect();
    let stored = isola.post("/COUNTS", many.as_bytes());
    assert_eq!(stored.status, 200, "{}", stored.text());
    let lines: Vec<String> = stored.text().lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 1006);
    assert_eq!(lines[7], "k0007=v7");
    assert_eq!(lines[1005], "missing absent");
    let listed = isola.get("/COUNTS").text();
    let keys: Vec<&str> = listed.lines().collect();
    assert_eq!(keys.len(), 1005 + 3, "{:?}", &keys[1000..]);
    assert_eq!(keys[..2], ["fresh", "hits"]);
    assert_eq!(keys[2], "k0000");
    assert_eq!(keys.last(), Some(&"log"));
    assert_eq!(delete("/COUNTS", "k0000\nk0001"), "deleted");
    assert!(!isola.get("/COUNTS").text().contains("k0001\n"));
    assert_eq!(isola.get("/COUNTS/k0002").text(), "v2");

    // Errors name what is wrong, and the guest goes on serving.
    let missing = isola.get("/NOPE/hits");
    assert_eq!((missing.status, missing.text()), (500, "NOPE: no such store".into()));
    put("/COUNTS/word", "hello");
    let not_a_number = isola.post("/COUNTS/word/add", b"1");
    assert_eq!(not_a_number.status, 500);
    assert!(not_a_number.text().contains("\"word\" is not a whole number"), "{}", not_a_number.text());
    let long_key = format!("/COUNTS/{}", "k".repeat(513));
    assert!(isola.get(&long_key).text().contains("exceeds key length limit of 512"));
    assert_eq!(isola.get("/COUNTS/hits").text(), "42");
}

/// JS and Python compiled into components by their own toolchains
/// (componentize-js, componentize-py), counting through wasi:keyvalue in
/// the namespace the JS Worker of tests/cases/counters reads.
#[test]
fn js_and_python_components_answer_and_share_kv_with_a_js_worker() {
    // The JS component has no route: it serves the rest.
    let (isola, _dir) = beside_the_counters_worker(&[
        (&component_guest("hello-py"), Some("*/py/*")),
        (&component_guest("counter-js"), None),
    ]);

    let hello = isola.get("/py/there");
    assert_eq!(hello.status, 200, "{}", isola.log());
    assert_eq!(hello.text(), "Hello from Python at /py/there");
    assert_eq!(isola.get("/here").text(), "Hello from JS at /here");
    assert_eq!(isola.get("/py/kv/hits").text(), "1");
    assert_eq!(isola.get("/kv/hits").text(), "2");
    assert_eq!(isola.get("/js/kv/hits").text(), "2");
    assert_eq!(isola.get("/py/kv/hits").text(), "3");
    assert_eq!(request("PUT", &isola.url("/js/kv/hits"), &[], Some(b"41")).text(), "stored");
    assert_eq!(isola.get("/kv/hits").text(), "42");
}

#[test]
fn a_guest_and_a_js_worker_share_d1() {
    let (isola, _dir) = counters();
    let first = isola.get("/d1/alice");
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.text(), "1");
    assert_eq!(isola.post("/js/d1/alice", b"").text(), "2");
    assert_eq!(isola.get("/d1/alice").text(), "3");
    assert_eq!(isola.get("/js/d1/alice").text(), "3");
    assert_eq!(isola.get("/js/d1/bob").text(), "0");
}

#[test]
fn a_guest_using_a_binding_it_lacks_gets_an_error_naming_it() {
    let isola = Isola::serve(&[rust_guest("counter").to_str().unwrap()]);
    let kv = isola.get("/kv/hits");
    assert_eq!(kv.status, 500);
    assert_eq!(kv.text(), "No KV namespace is bound as COUNTS");
    let d1 = isola.get("/d1/alice");
    assert_eq!(d1.status, 500);
    assert_eq!(d1.text(), "No D1 database is bound as DB");
    assert_eq!(isola.get("/").status, 404);
}

/// The bot detector in front of `origin`, failing open, with `limits`.
fn bot_detector(origin: &Origin, limits: &str) -> (Isola, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("isola.toml");
    std::fs::write(
        &config,
        format!(
            "[[workers]]\npath = \"{}\"\norigin = \"{}\"\nfail_open = true\nlimits = {{ {limits} }}\n",
            rust_guest("bot_detector").display(),
            origin.url()
        ),
    )
    .unwrap();
    (Isola::serve(&[config.to_str().unwrap()]), dir)
}

#[test]
fn the_bot_detector_tags_bots_and_passes_humans_to_the_origin() {
    let origin = Origin::start();
    let (isola, _dir) = bot_detector(&origin, "");
    let host = isola.url("").trim_start_matches("http://").to_string();
    let as_agent = |agent: &str| {
        request(
            "GET",
            &isola.url("/page?x=1"),
            &[("user-agent", agent)],
            None,
        )
    };

    let google =
        as_agent("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)");
    assert_eq!(google.status, 200, "{}", google.text());
    assert_eq!(google.header("x-served-by"), Some("origin"));
    assert_eq!(
        google.text(),
        format!("origin: GET /page?x=1  host={host} x-bot-detected=googlebot")
    );
    for (agent, kind) in [
        ("curl/8.5.0", "curl"),
        ("python-requests/2.31.0", "python-requests"),
        ("Go-http-client/1.1", "go-http"),
        ("Mozilla/5.0 (compatible; bingbot/2.0)", "bingbot"),
    ] {
        let reply = as_agent(agent);
        assert!(
            reply.text().ends_with(&format!("x-bot-detected={kind}")),
            "{agent}: {}",
            reply.text()
        );
    }
    let human = as_agent("Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0");
    assert_eq!(human.text(), format!("origin: GET /page?x=1  host={host}"));

    // The body goes through too.
    let posted = request(
        "POST",
        &isola.url("/form"),
        &[("user-agent", "curl/8.5.0")],
        Some(b"a=1&b=2"),
    );
    assert_eq!(
        posted.text(),
        format!("origin: POST /form a=1&b=2 host={host} x-bot-detected=curl")
    );
    assert_eq!(origin.requests().len(), 7);
}

#[test]
fn the_bot_detector_fails_open_and_counts_its_subrequests() {
    let origin = Origin::start();
    let (isola, _dir) = bot_detector(&origin, "");
    let trapped = request(
        "GET",
        &isola.url("/page"),
        &[
            ("user-agent", "curl/8.5.0"),
            ("x-bot-detector-fault", "trap"),
        ],
        None,
    );
    assert_eq!(trapped.status, 200, "{}", trapped.text());
    // The origin answered, untagged: the guest never forwarded it.
    assert!(
        trapped.text().starts_with("origin: GET /page "),
        "{}",
        trapped.text()
    );
    assert!(
        !trapped.text().contains("x-bot-detected"),
        "{}",
        trapped.text()
    );
    assert!(isola.wait_for_log("the guest trapped"), "{}", isola.log());
    let stats = isola.worker_stats("bot_detector");
    assert_eq!(stats["passed_through"], 1, "{stats}");
    assert_eq!(stats["errors"]["exception"], 1, "{stats}");

    // With no subrequests allowed, forwarding fails with Cloudflare's error.
    let (limited, _dir) = bot_detector(&origin, "subrequests = 0");
    let refused = request(
        "GET",
        &limited.url("/"),
        &[("user-agent", "curl/8.5.0")],
        None,
    );
    assert_eq!(refused.status, 502, "{}", refused.text());
    assert!(
        refused.text().contains("Too many subrequests."),
        "{}",
        refused.text()
    );
}

#[test]
fn a_guests_subrequests_follow_the_outbound_policy() {
    // Its own origin is reachable under the default policy...
    let origin = Origin::start();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("isola.toml");
    std::fs::write(
        &config,
        format!(
            "[[workers]]\npath = \"{}\"\norigin = \"{}\"\n",
            rust_guest("bot_detector").display(),
            origin.url()
        ),
    )
    .unwrap();
    let isola = Isola::serve_strict(&[config.to_str().unwrap()]);
    let forwarded = isola.get("/page");
    assert_eq!(forwarded.status, 200, "{}", isola.log());
    assert_eq!(origin.requests().len(), 1);

    // ...but with no origin, forwarding to its own (loopback) host is not.
    let alone = Isola::serve_strict(&[rust_guest("bot_detector").to_str().unwrap()]);
    let refused = alone.get("/page");
    assert_ne!(refused.status, 200);
    assert!(
        alone.wait_for_log("DestinationIpProhibited"),
        "{}",
        alone.log()
    );
}

#[test]
fn looping_guests_leave_the_servers_threads_to_other_workers() {
    let dir = tempfile::tempdir().unwrap();
    let hello = dir.path().join("hello.js");
    std::fs::write(
        &hello,
        "export default { fetch() { return new Response(\"hello\"); } };\n",
    )
    .unwrap();
    let config = dir.path().join("isola.toml");
    std::fs::write(
        &config,
        format!(
            "[[workers]]\npath = \"{}\"\nroutes = [\"*/loop\"]\nlimits = {{ cpu_ms = 2000 }}\n\
             [[workers]]\npath = \"{}\"\n",
            rust_guest("echo").display(),
            hello.display()
        ),
    )
    .unwrap();
    let isola = Isola::serve(&[config.to_str().unwrap()]);
    // As many looping requests as the machine has cores, each allowed 2 s.
    let loops: Vec<_> = (0..2)
        .map(|_| {
            let url = isola.url("/loop");
            std::thread::spawn(move || request("GET", &url, &[], None).status)
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(isola.get("/").text(), "hello");
    assert!(
        loops.iter().all(|thread| !thread.is_finished()),
        "the JS Worker answered only once the guests were stopped"
    );
    for thread in loops {
        assert_eq!(thread.join().unwrap(), 503);
    }
}
