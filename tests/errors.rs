//! Workers that fail: at load (the server refuses to start and says where)
//! and per request (an error page, the stack in the log, and the next
//! request served as usual).

use crate::support::{Isola, case, run};

fn serve_fails(case_name: &str) -> crate::support::Exit {
    let script = case(case_name).join("worker.js");
    let state = tempfile::tempdir().unwrap();
    let exit = run(&[
        "serve",
        script.to_str().unwrap(),
        "--port",
        "0",
        "--persist-to",
        state.path().to_str().unwrap(),
    ]);
    assert!(
        !exit.status.success(),
        "isola served a broken Worker: {}",
        exit.stderr
    );
    assert!(!exit.stdout.contains("Ready on"), "{}", exit.stdout);
    exit
}

#[test]
fn a_syntax_error_stops_serve_with_file_line_and_message() {
    let exit = serve_fails("syntax-error");
    assert!(
        exit.stderr.contains("syntax-error/worker.js: SyntaxError"),
        "the Worker's file on the host: {}",
        exit.stderr
    );
    assert!(
        exit.stderr.contains("at file:///worker.js:3:37"),
        "the stack, as the Worker knows its files: {}",
        exit.stderr
    );
    assert!(exit.stderr.contains("Expected ','"), "{}", exit.stderr);
}

#[test]
fn a_top_level_throw_stops_serve_with_file_line_and_message() {
    let exit = serve_fails("top-level-throw");
    assert!(
        exit.stderr.contains("top-level-throw/worker.js: Error"),
        "{}",
        exit.stderr
    );
    assert!(exit.stderr.contains("at file:///worker.js:2"), "{}", exit.stderr);
    assert!(
        exit.stderr.contains("missing setting: undefined"),
        "{}",
        exit.stderr
    );
}

#[test]
fn a_script_without_handlers_is_refused() {
    let exit = serve_fails("no-handlers");
    assert!(
        exit.stderr
            .contains("No event handlers were registered. This script does nothing."),
        "{}",
        exit.stderr
    );
}

#[test]
fn a_bad_config_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("wrangler.toml");
    std::fs::write(&config, "name = \"broken\"\nmain = [1, 2]\n").unwrap();
    let exit = run(&["serve", config.to_str().unwrap(), "--port", "0"]);
    assert!(!exit.status.success());
    assert!(exit.stderr.contains("wrangler.toml"), "{}", exit.stderr);
    assert!(exit.stderr.contains("main"), "{}", exit.stderr);
}

#[test]
fn a_throwing_handler_gets_a_500_and_the_next_request_is_served() {
    let isola = Isola::serve(&[case("throws").join("worker.js").to_str().unwrap()]);

    let reply = isola.get("/throw");
    assert_eq!(reply.status, 500);
    assert!(
        reply.text().contains("Worker threw exception"),
        "{}",
        reply.text()
    );
    assert!(
        !reply.text().contains("boom"),
        "details belong in the log, not the page"
    );
    assert!(
        isola.wait_for_log("Uncaught Error: boom from the worker"),
        "{}",
        isola.log()
    );
    assert!(
        isola.wait_for_log("at explode (file:///worker.js:3:9)"),
        "{}",
        isola.log()
    );

    let ok = isola.get("/");
    assert_eq!(ok.status, 200);
    assert_eq!(ok.text(), "ok");
}

#[test]
fn an_exception_in_a_timer_or_microtask_fails_its_request() {
    let isola = Isola::serve(&[case("throws").join("worker.js").to_str().unwrap()]);
    assert_eq!(
        isola.get("/microtask-order").json(),
        serde_json::json!(["sync", "microtask", "after await"])
    );
    let reply = isola.get("/microtask");
    assert_eq!(reply.status, 500, "{}", reply.text());
    assert!(isola.wait_for_log("Uncaught RangeError: thrown in a microtask"));
    assert_eq!(isola.get("/timer").status, 500);
    assert!(isola.wait_for_log("Uncaught Error: boom from the worker"));
    assert_eq!(isola.get("/").text(), "ok");
}

#[test]
fn a_rejected_promise_gets_a_500() {
    let isola = Isola::serve(&[case("throws").join("worker.js").to_str().unwrap()]);
    assert_eq!(isola.get("/reject").status, 500);
    assert!(
        isola.wait_for_log("TypeError: rejected after an await"),
        "{}",
        isola.log()
    );
    assert_eq!(isola.get("/").status, 200);
}

#[test]
fn a_handler_that_returns_no_response_gets_a_500_saying_so() {
    let isola = Isola::serve(&[case("throws").join("worker.js").to_str().unwrap()]);
    assert_eq!(isola.get("/not-a-response").status, 500);
    assert!(
        isola.wait_for_log("the Promise did not resolve to 'Response'"),
        "{}",
        isola.log()
    );
    assert_eq!(isola.get("/used-body").status, 500);
    assert!(isola.wait_for_log("already been used"), "{}", isola.log());
}

#[test]
fn a_module_without_fetch_gets_a_500_saying_so() {
    let isola = Isola::serve(&[case("no-fetch").join("worker.js").to_str().unwrap()]);
    assert_eq!(isola.get("/").status, 500);
    assert!(
        isola.wait_for_log("Handler does not export a fetch() function."),
        "{}",
        isola.log()
    );
}

#[test]
fn unhandled_rejections_reach_the_global_scopes_listeners() {
    let isola = Isola::serve(&[case("rejections").join("worker.js").to_str().unwrap()]);
    // As workerd 2026-04-26 answers the same script.
    assert_eq!(
        isola.get("/").json(),
        serde_json::json!(["unhandled: nobody caught this", "handled: true"])
    );
    assert!(
        !isola.log().contains("nobody caught this"),
        "a cancelled unhandledrejection is not logged: {}",
        isola.log()
    );
}
