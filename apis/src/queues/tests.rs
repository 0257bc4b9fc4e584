//! Queues: a real Worker produces and consumes messages through the real
//! binary: every content type, batching by size and by timeout, retries,
//! the dead-letter queue, delays, the size errors, and a `kill -9` that
//! loses no acknowledged message.

use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use crate::support::{Isola, case, on_every_backend, request};

fn worker() -> String {
    case("queues").to_str().unwrap().to_string()
}

fn post(isola: &Isola, path: &str) -> u16 {
    request("POST", &isola.url(path), &[], Some(b"")).status
}

/// The deliveries recorded so far, once `done` holds for them (or after
/// a generous wait, for the assertions to explain).
fn seen_when(isola: &Isola, done: impl Fn(&Map<String, Value>) -> bool) -> Map<String, Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let seen = isola.get("/seen").json().as_object().cloned().unwrap_or_default();
        if done(&seen) || Instant::now() > deadline {
            return seen;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn has(keys: &[&str]) -> impl Fn(&Map<String, Value>) -> bool {
    let keys: Vec<String> = keys.iter().map(|k| format!("seen/{k}")).collect();
    move |seen| keys.iter().all(|k| seen.contains_key(k))
}

on_every_backend! {
    fn every_content_type_arrives_as_sent_and_limits_hold(backend: Backend) {
        let isola = backend.serve(&worker());
        assert_eq!(isola.get("/scenario/types").json()["sent"], 4);
        let seen = seen_when(&isola, has(&["jobs/json/1", "jobs/text/1", "jobs/bytes/1", "jobs/v8/1"]));
        assert_eq!(
            seen["seen/jobs/json/1"]["body"],
            json!({"kind": "object", "value": {"tag": "json", "mode": "ack"}})
        );
        assert_eq!(
            seen["seen/jobs/text/1"]["body"],
            json!({"kind": "string", "value": "plain text"})
        );
        assert_eq!(
            seen["seen/jobs/bytes/1"]["body"],
            json!({"kind": "Uint8Array", "bytes": [1, 2, 3]})
        );
        assert_eq!(
            seen["seen/jobs/v8/1"]["body"],
            json!({"kind": "Map", "entries": [["tag", "v8"]]})
        );
        assert_eq!(seen["seen/jobs/json/1"]["idType"], "string");

        let errors = isola.get("/scenario/errors").json();
        let error = |name: &str, message: &str| json!({"error": {"name": name, "message": message}});
        assert_eq!(
            errors["tooLarge"],
            error(
                "Error",
                "Queue send failed: message length of 128001 bytes exceeds limit of 128000"
            )
        );
        assert_eq!(
            errors["tooMany"],
            error(
                "Error",
                "Queue sendBatch failed: batch message count of 101 exceeds limit of 100"
            )
        );
        assert_eq!(
            errors["batchTooLarge"],
            error(
                "Error",
                "Queue sendBatch failed: batch size of 300000 bytes exceeds limit of 256000"
            )
        );
        assert_eq!(
            errors["undefinedBody"],
            error("TypeError", "Message body cannot be undefined")
        );
        assert_eq!(
            errors["emptyBatch"],
            error("TypeError", "sendBatch() requires at least one message")
        );
        assert_eq!(
            errors["badType"],
            error("TypeError", "Unsupported queue message content type: xml")
        );
        assert_eq!(
            errors["textNotString"],
            error(
                "TypeError",
                "Content Type \"text\" requires a value of type string, but received: number"
            )
        );
        assert_eq!(errors["bytesNotView"]["error"]["name"], "TypeError");
        assert!(
            errors["badDelay"]["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("Queue send failed: message delay 100000 is invalid")
        );
        assert_eq!(
            errors["metrics"],
            json!({"ok": {"count": "number", "bytes": "number", "oldest": true, "direct": "number"}})
        );
    }

    fn batches_fill_up_to_their_size_or_wait_for_their_timeout(backend: Backend) {
        let isola = backend.serve(&worker());
        let tags: Vec<String> = (1..=8).map(|i| format!("s{i}")).collect();
        assert_eq!(post(&isola, &format!("/batch?tags={}", tags.join(","))), 200);
        let keys: Vec<String> = tags.iter().map(|t| format!("jobs/{t}/1")).collect();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let seen = seen_when(&isola, has(&keys));
        for key in &keys {
            assert_eq!(seen[&format!("seen/{key}")]["batchSize"], 4, "{key}: {seen:?}");
        }

        assert_eq!(post(&isola, "/send?tag=lone"), 200);
        let seen = seen_when(&isola, has(&["jobs/lone/1"]));
        let lone = &seen["seen/jobs/lone/1"];
        assert_eq!(lone["batchSize"], 1);
        assert!(
            lone["delayMs"].as_i64().unwrap() >= 900,
            "a lone message waits for the batch timeout (1 s): {lone}"
        );
        assert!(isola.wait_for_log("QUEUE jobs 4/4"), "{}", isola.log());
        assert!(isola.wait_for_log("QUEUE jobs 1/1"), "{}", isola.log());
    }

    fn retries_count_attempts_then_go_to_the_dead_letter_queue(backend: Backend) {
        let isola = backend.serve(&worker());
        assert_eq!(post(&isola, "/batch?tags=r1&mode=retry"), 200);
        let seen = seen_when(
            &isola,
            has(&["jobs/r1/1", "jobs/r1/2", "jobs/r1/3", "jobs-dlq/r1/1"]),
        );
        for attempts in 1..=3 {
            assert_eq!(seen[&format!("seen/jobs/r1/{attempts}")]["attempts"], attempts);
        }
        assert!(
            !seen.contains_key("seen/jobs/r1/4"),
            "max_retries = 2: three attempts"
        );
        assert_eq!(
            seen["seen/jobs-dlq/r1/1"]["attempts"], 1,
            "attempts start again on the dead-letter queue"
        );
        assert!(isola.wait_for_log("QUEUE jobs 0/1"), "{}", isola.log());
        assert!(
            isola.wait_for_log("to dead letter queue \"jobs-dlq\" after 3 failed attempts"),
            "{}",
            isola.log()
        );
        // The dead-letter queue has no dead-letter queue: its consumer's
        // retries (3 by default) run out, and the message is dropped.
        assert!(isola.wait_for_log("on queue \"jobs-dlq\" after 4 failed attempts!"), "{}", isola.log());
    }

    fn a_handler_that_throws_keeps_what_it_acknowledged(backend: Backend) {
        let isola = backend.serve(&worker());
        assert_eq!(
            post(&isola, "/batch?tags=kept,failed&modes=explicit-ack,throw"),
            200
        );
        let seen = seen_when(&isola, has(&["jobs/failed/3", "jobs-dlq/failed/1"]));
        assert!(seen.contains_key("seen/jobs/kept/1"));
        assert!(
            !seen.contains_key("seen/jobs/kept/2"),
            "an acknowledged message is not delivered again: {seen:?}"
        );
        assert_eq!(seen["seen/jobs/failed/2"]["attempts"], 2);
        assert!(isola.log().contains("the batch failed on purpose"), "{}", isola.log());
    }

    fn delays_hold_messages_back(backend: Backend) {
        let isola = backend.serve(&worker());
        assert_eq!(isola.get("/scenario/delays").json()["sent"], 3);
        let seen = seen_when(
            &isola,
            has(&["jobs/delay-1/1", "jobs/delay-2/1", "jobs/delay-batch/1"]),
        );
        let waited = |tag: &str| seen[&format!("seen/jobs/{tag}/1")]["delayMs"].as_i64().unwrap();
        assert!(waited("delay-1") >= 1000, "delaySeconds: 1");
        assert!(waited("delay-2") >= 2000, "the producer's delivery_delay: 2");
        assert!(waited("delay-batch") >= 1000, "sendBatch's delaySeconds: 1");
    }
}

#[test]
fn no_acknowledged_message_is_lost_to_kill_9() {
    let state = tempfile::tempdir().unwrap();
    let isola = Isola::serve_in(&[&worker()], state.path());
    let writer = {
        let base = isola.url("/send");
        std::thread::spawn(move || {
            let mut acknowledged = Vec::new();
            for i in 0.. {
                let url = format!("{base}?tag=k{i}");
                match ureq::post(&url).send_string("") {
                    Ok(reply) if reply.status() == 200 => acknowledged.push(i),
                    _ => break,
                }
            }
            acknowledged
        })
    };
    std::thread::sleep(Duration::from_millis(1500));
    isola.kill();
    let acknowledged = writer.join().unwrap();
    assert!(acknowledged.len() >= 5, "too few sends before the crash: {}", acknowledged.len());

    let isola = Isola::serve_in(&[&worker()], state.path());
    let seen = seen_when(&isola, |seen| {
        acknowledged
            .iter()
            .all(|i| seen.keys().any(|k| k.starts_with(&format!("seen/jobs/k{i}/"))))
    });
    let lost: Vec<_> = acknowledged
        .iter()
        .filter(|i| !seen.keys().any(|k| k.starts_with(&format!("seen/jobs/k{i}/"))))
        .collect();
    assert!(lost.is_empty(), "acknowledged messages lost: {lost:?}");
}
