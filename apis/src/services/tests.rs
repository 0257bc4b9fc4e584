//! Service bindings through the real binary: a Worker calls another Worker
//! of the same host with `env.AUTH.fetch()` (`tests/cases/services`).

use serde_json::json;
use crate::support::{Isola, case, request};

fn front_and_auth() -> Isola {
    let cases = case("services");
    Isola::serve(&[
        cases.join("front").to_str().unwrap(),
        cases.join("auth").to_str().unwrap(),
    ])
}

#[test]
fn a_worker_calls_another_through_its_service_binding() {
    let isola = front_and_auth();
    let reply = request(
        "GET",
        &isola.url("/account"),
        &[("authorization", "Bearer s3cret")],
        None,
    );
    assert_eq!(
        reply.json(),
        json!({
            "status": 200,
            "header": "checked",
            "answer": {
                "user": "ada",
                "method": "POST",
                "url": "https://auth.internal/check?from=front",
                "body": { "path": "/account" },
            },
        })
    );
    // The called Worker's status comes back as it is.
    let refused = isola.get("/account").json();
    assert_eq!(refused["status"], 401);
    assert_eq!(refused["answer"]["user"], serde_json::Value::Null);
    // Both Workers answered requests; only `front` was routed to.
    assert_eq!(isola.worker_stats("auth")["requests"], 2);
    assert_eq!(isola.worker_stats("front")["requests"], 2);
}

#[test]
fn a_streamed_response_passes_back_through_the_binding() {
    let isola = front_and_auth();
    let reply = isola.get("/stream");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("text/plain"));
    assert_eq!(reply.text(), "one two three");
}

#[test]
fn a_binding_to_a_worker_the_host_lacks_throws_naming_both() {
    let isola = front_and_auth();
    let reply = isola.get("/nobody");
    assert_eq!(reply.status, 502);
    assert_eq!(
        reply.text(),
        "Error: Service binding NOBODY: no Worker named \"not-deployed\" runs in this host"
    );
}

#[test]
fn a_worker_that_calls_itself_is_stopped_at_cloudflares_loop_limit() {
    let isola = Isola::serve(&[case("services").join("loop").to_str().unwrap()]);
    assert_eq!(
        isola.get("/").json(),
        json!({"depth": 15, "via": "1", "stoppedWith": 500, "loopLimit": true}),
        "16 invocations, each sending one less in CF-EW-Via, then error 1019"
    );
    let refused = request("GET", &isola.url("/"), &[("cf-ew-via", "0")], None);
    assert_eq!(refused.status, 500);
    assert!(refused.text().contains("Error 1019"), "{}", refused.text());
    assert_eq!(isola.worker_stats("loop")["errors"]["loop_limit"], 2);
}
