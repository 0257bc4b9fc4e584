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
    assert_eq!(
        isola.get("/not-cloneable").json(),
        json!({
            "name": "DataCloneError",
            "message": "Could not serialize object of type \"Local\". This type does not support serialization.",
        })
    );
    let ghost = isola.get("/ghost").json();
    // fetch() rejects with what the called Worker threw, as workerd's does.
    assert_eq!(ghost["fetched"]["name"], "TypeError", "{ghost}");
    assert_eq!(ghost["fetched"]["remote"], true, "{ghost}");
    assert!(
        ghost["fetched"]["message"]
            .as_str()
            .unwrap()
            .contains("no entrypoint named \"Ghost\""),
        "{ghost}"
    );
    assert_eq!(ghost["name"], "TypeError");
    assert!(
        ghost["message"].as_str().unwrap().contains("no entrypoint named \"Ghost\""),
        "{ghost}"
    );
}

#[test]
fn members_are_reached_as_workerd_allows() {
    let isola = front_and_back();
    let missing = |name: &str| {
        format!("TypeError: The RPC receiver does not implement the method \"{name}\".")
    };
    assert_eq!(
        isola.get("/refused").json(),
        json!({
            "constructor": "TypeError: Illegal constructor",
            "reserved": "TypeError: 'dup' is a reserved method and cannot be called over RPC.",
            "tag": {"value": "[object Fetcher]"},
            "env": missing("env"),
            "ctx": missing("ctx"),
            "toString": {"value": "[object Fetcher]"},
            "field": missing("ownData"),
            "notFunction": "TypeError: \"nested\" is not a function.",
            "nestedNotFunction": "TypeError: \"nested.inner.value\" is not a function.",
            "counterField": missing("secret"),
            "counterPrivate": missing("#count"),
        })
    );
}

#[test]
fn rpc_targets_come_back_as_stubs_and_calls_pipeline() {
    let isola = front_and_back();
    assert_eq!(
        isola.get("/targets").json(),
        json!({"first": 11, "second": 16, "value": 16, "type": "function"})
    );
    assert_eq!(
        isola.get("/pipelined").json(),
        json!({"incremented": 102, "value": 102, "nested": 42, "list": [1, 2], "viaTools": 42})
    );
}

#[test]
fn functions_cross_by_reference_and_are_called_back() {
    let isola = front_and_back();
    assert_eq!(
        isola.get("/callbacks").json(),
        json!({
            "first": {"answer": "called with one"},
            "target": "hi back from greeter",
            "calls": ["one", "later"],
            "tools": {"label": "tools", "sum": 3},
            "kept": {
                "kept": "Error: RPC stub used after being disposed.",
                "duped": "called with later",
            },
        })
    );
}

#[test]
fn disposing_a_stub_releases_the_object_it_reaches() {
    let isola = front_and_back();
    assert_eq!(
        isola.get("/disposed").json(),
        json!({"disposed": 2, "after": "RPC stub used after being disposed."})
    );
}

#[test]
fn streams_requests_and_responses_cross_by_transfer() {
    let isola = front_and_back();
    assert_eq!(
        isola.get("/streams").json(),
        json!({
            "read": "sent from front",
            "produced": "made in back",
            "inspected": {
                "method": "PUT",
                "url": "https://back.internal/path?q=1",
                "header": "yes",
                "body": "request body",
            },
            "response": {"isResponse": true, "status": 201, "header": "back", "text": "made a response"},
            "written": "written from back",
        })
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
