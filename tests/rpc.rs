//! RPC over service bindings through the real binary (`tests/cases/rpc`):
//! `front` calls methods of `back`'s default entrypoint and of a named one
//! (`Admin`), and fetches through the same bindings.

use serde_json::json;

use crate::support::{Isola, case, copy_case};

fn front_and_back() -> Isola {
    let cases = case("rpc");
    Isola::serve(&[
        cases.join("front").to_str().unwrap(),
        cases.join("back").to_str().unwrap(),
    ])
}

#[test]
fn methods_are_called_with_their_arguments_and_this_env() {
    let isola = front_and_back();
    assert_eq!(isola.get("/add").json(), json!({"sum": 5}));
    assert_eq!(isola.get("/greet").json(), json!({"greeting": "hello, ada"}));
    // `fetch()` and RPC share a binding, which is no thenable.
    // `back` has static assets: `fetch()` meets them first, RPC never.
    assert_eq!(
        isola.get("/fetch").json(),
        json!({"text": "back: fetch", "page": "<!doctype html><h1>back</h1>\n", "thenable": "undefined"})
    );
    assert_eq!(
        isola.get("/named").json(),
        json!({"whoami": "admin", "fetched": "admin fetch /page"})
    );
    // `import { env } from "cloudflare:workers"` is the Worker's env.
    assert_eq!(isola.get("/env").json(), json!({"same": true, "bound": "function"}));
    // `ctx.exports` reaches the Worker's own entrypoints.
    assert_eq!(
        isola.get("/loopback").json(),
        json!({"admin": "admin", "sum": 2, "names": ["Admin", "default"]})
    );
    // Each call is a request of the called Worker (the loopback three; the
    // asset `fetch()` none).
    assert_eq!(isola.worker_stats("back")["requests"], 8);
}

#[test]
fn structured_clonable_values_cross_both_ways() {
    let isola = front_and_back();
    assert_eq!(
        isola.get("/echo").json(),
        json!({
            "date": 0,
            "map": [["a", 1]],
            "set": [1, 2],
            "bytes": [1, 2, 3],
            "big": "10",
            "nested": {"nothing": null},
            "missingKept": true,
            "error": "TypeError: carried",
        })
    );
}

#[test]
fn what_a_method_throws_is_thrown_to_the_caller() {
    let isola = front_and_back();
    assert_eq!(
        isola.get("/error").json(),
        json!({"name": "RangeError", "message": "out of range", "isError": true})
    );
    assert_eq!(
        isola.get("/missing-method").json(),
        json!({"name": "TypeError", "message": "The RPC receiver does not implement the method \"nope\"."})
    );
    assert_eq!(isola.get("/not-cloneable").json(), json!({"name": "DataCloneError"}));
    assert_eq!(
        isola.get("/forge").json(),
        json!({"message": "No service is bound as VICTIM"}),
        "where a binding leads is the host's to say"
    );
    let ghost = isola.get("/ghost").json();
    assert_eq!(ghost["status"], 500, "fetch() to a missing entrypoint fails");
    assert_eq!(ghost["name"], "TypeError");
    assert!(
        ghost["message"].as_str().unwrap().contains("no entrypoint named \"Ghost\""),
        "{ghost}"
    );
}

#[test]
fn rpc_calls_are_held_to_the_loop_limit() {
    let isola = front_and_back();
    let stopped = isola.get("/recurse").json();
    assert_eq!(stopped["depth"], 14, "{stopped}");
    assert!(
        stopped["message"].as_str().unwrap().contains("failed (500"),
        "{stopped}"
    );
}

#[test]
fn a_request_body_streams_through_a_binding_as_the_response_streams_back() {
    let isola = front_and_back();
    assert_eq!(
        isola.get("/stream-both-ways").json(),
        json!({"streamed": true, "text": "first second"})
    );
}

#[test]
fn isola_dev_runs_two_workers_as_wrangler_dev_with_two_configs_does() {
    let dir = copy_case("rpc");
    let isola = Isola::dev_in(
        dir.path(),
        &["-c", "front/wrangler.toml", "-c", "back/wrangler.toml", "--no-watch"],
    );
    // The first Worker answers; the second is reached through its bindings.
    assert_eq!(isola.get("/add").json(), json!({"sum": 5}));
    assert_eq!(isola.get("/no-such-route").status, 404);
    let log = isola.log();
    assert!(log.contains("isola dev · front") && log.contains("isola dev · back"), "{log}");
}
