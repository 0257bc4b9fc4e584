//! Several Workers in one host: routing, isolation, failure policy in front
//! of an origin, hot swaps under load, and the stats that report on them.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::support::{Isola, Origin, case};

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn two_workers_cannot_see_each_others_globals() {
    let dir = tempfile::tempdir().unwrap();
    let a = case("isolation").join("a.js");
    let b = case("isolation").join("b.js");
    let config = write(
        dir.path(),
        "isola.toml",
        &format!(
            "[[workers]]\npath = \"{}\"\nroutes = [\"*/a/*\"]\n[[workers]]\npath = \"{}\"\nroutes = [\"*/b/*\"]\n",
            a.display(),
            b.display()
        ),
    );
    let isola = Isola::serve(&[&config, "--isolates", "1"]);
    for round in 1..=3 {
        let a = isola.get("/a/").json();
        let b = isola.get("/b/").json();
        assert_eq!(a["worker"], "a");
        assert_eq!(b["worker"], "b");
        assert_eq!(a["count"], round);
        assert_eq!(b["count"], round, "module state is per Worker");
        assert_eq!(a["seesB"], "undefined");
        assert_eq!(b["seesA"], "undefined");
    }
    assert_eq!(
        isola.get("/elsewhere").status,
        404,
        "no route, no default Worker"
    );
}

#[test]
fn routes_pick_the_most_specific_worker() {
    let dir = tempfile::tempdir().unwrap();
    let general = write(
        dir.path(),
        "general.js",
        "export default { fetch: () => new Response('general') }",
    );
    let api = write(
        dir.path(),
        "api.js",
        "export default { fetch: () => new Response('api') }",
    );
    let fallback = write(
        dir.path(),
        "fallback.js",
        "export default { fetch: () => new Response('fallback') }",
    );
    let config = write(
        dir.path(),
        "isola.toml",
        &format!(
            r#"
[[workers]]
path = "{general}"
routes = ["*/*"]
[[workers]]
path = "{api}"
routes = ["localhost/api/*"]
[[workers]]
path = "{fallback}"
routes = ["example.com/*"]
"#
        ),
    );
    let isola = Isola::serve(&[&config]);
    let get = |host: &str, path: &str| {
        crate::support::request("GET", &isola.url(path), &[("host", host)], None).text()
    };
    assert_eq!(get("localhost", "/api/users"), "api");
    assert_eq!(get("localhost", "/other"), "general");
    assert_eq!(get("example.com", "/api/users"), "fallback");
}

fn pass_through_host(origin: &Origin, fail_open: bool) -> (tempfile::TempDir, Isola) {
    let dir = tempfile::tempdir().unwrap();
    let worker = case("pass-through").join("worker.js");
    let config = write(
        dir.path(),
        "isola.toml",
        &format!(
            "[[workers]]\npath = \"{}\"\norigin = \"{}\"\nfail_open = {fail_open}\n",
            worker.display(),
            origin.url()
        ),
    );
    let isola = Isola::serve(&[&config]);
    (dir, isola)
}

#[test]
fn a_fail_open_route_passes_a_failing_request_to_the_origin_untouched() {
    let origin = Origin::start();
    let (_dir, isola) = pass_through_host(&origin, true);

    assert_eq!(
        isola.post("/shop/cart", b"1 item").text(),
        "worker: POST /shop/cart\n"
    );
    let reply = crate::support::request(
        "POST",
        &isola.url("/shop/throw?x=1"),
        &[("host", "shop.example")],
        Some(b"order=42"),
    );
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("x-served-by"), Some("origin"));
    assert_eq!(
        reply.text(),
        "origin: POST /shop/throw?x=1 order=42 host=shop.example"
    );
    assert!(
        isola.wait_for_log("passing the request through"),
        "{}",
        isola.log()
    );
    assert!(
        isola.log().contains("[worker] failed (exception)"),
        "{}",
        isola.log()
    );
    let stats = isola.worker_stats("worker");
    assert_eq!(stats["passed_through"], 1);
    assert_eq!(stats["errors"]["exception"], 1);
}

#[test]
fn pass_through_on_exception_is_the_scripts_choice_on_a_fail_closed_route() {
    let origin = Origin::start();
    let (_dir, isola) = pass_through_host(&origin, false);

    let passed = isola.get("/pass");
    assert_eq!(passed.status, 200);
    assert_eq!(
        passed.text(),
        "origin: GET /pass  host=".to_string() + &isola.addr
    );

    let closed = isola.get("/throw");
    assert_eq!(closed.status, 500);
    assert!(closed.text().contains("Error 1101"));
    assert_eq!(origin.requests(), ["GET /pass "]);
}

#[test]
fn a_hot_swap_under_load_loses_no_request() {
    let dir = tempfile::tempdir().unwrap();
    let version =
        |n: u32| format!("export default {{ fetch: () => new Response('version {n}') }}\n");
    let script = write(dir.path(), "swap.js", &version(1));
    let isola = Arc::new(Isola::serve(&[&script]));
    assert_eq!(isola.get("/").text(), "version 1");

    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let isola = isola.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let reply = isola.get("/");
                    seen.push((reply.status, reply.text()));
                }
                seen
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(200));
    for n in 2..=4 {
        write(dir.path(), "swap.js", &version(n));
        let exit = isola.command(&["reload", "swap"]);
        assert!(exit.status.success(), "{}", exit.stderr);
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    stop.store(true, Ordering::Relaxed);
    let mut total = 0;
    for client in clients {
        for (status, text) in client.join().unwrap() {
            total += 1;
            assert_eq!(status, 200, "a request failed during a swap: {text}");
            assert!(text.starts_with("version "), "{text}");
        }
    }
    assert!(
        total > 20,
        "the load was too light to tell: {total} requests"
    );
    assert_eq!(isola.get("/").text(), "version 4");
}

#[test]
fn a_broken_new_version_is_refused_and_the_old_one_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(
        dir.path(),
        "keep.js",
        "export default { fetch: () => new Response('good') }\n",
    );
    let isola = Isola::serve(&[&script]);
    write(
        dir.path(),
        "keep.js",
        "export default { fetch: () => new Response('bad' }\n",
    );
    let exit = isola.command(&["reload", "keep"]);
    assert!(!exit.status.success());
    assert!(exit.stderr.contains("keep.js:1"), "{}", exit.stderr);
    assert_eq!(isola.get("/").text(), "good");
}

#[test]
fn stats_count_requests_errors_and_isolates() {
    let isola = Isola::serve(&[
        case("throws").join("worker.js").to_str().unwrap(),
        "--isolates",
        "1",
    ]);
    for _ in 0..3 {
        assert_eq!(isola.get("/").status, 200);
    }
    assert_eq!(isola.get("/throw").status, 500);
    let stats = isola.worker_stats("worker");
    assert_eq!(stats["requests"], 4);
    assert_eq!(stats["errors"]["exception"], 1);
    assert_eq!(stats["isolates"], 1);
    assert_eq!(stats["idle_isolates"], 1);
    assert!(stats["cpu_ms"].as_f64().unwrap() > 0.0);

    let table = isola.command(&["stats"]);
    assert!(table.status.success(), "{}", table.stderr);
    assert!(table.stdout.contains("worker"), "{}", table.stdout);
    assert!(table.stdout.contains("exception=1"), "{}", table.stdout);
}

#[test]
fn commands_without_a_running_server_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let exit = crate::support::run(&["stats", "--persist-to", dir.path().to_str().unwrap()]);
    assert!(!exit.status.success());
    assert!(
        exit.stderr.contains("no isola server is running"),
        "{}",
        exit.stderr
    );
}
