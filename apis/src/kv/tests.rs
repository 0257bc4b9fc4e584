//! Workers KV: a real Worker drives `env.KV` through every method, option
//! and error; data survives a restart and a crash; `isola kv` works beside a
//! running server.

use serde_json::{Value, json};
use crate::support::{Backend, Isola, case, on_every_backend};

fn worker() -> String {
    case("kv").to_str().unwrap().to_string()
}

fn serve(backend: Backend) -> Isola {
    backend.serve(&worker())
}

fn scenario(isola: &Isola, name: &str) -> Value {
    let reply = isola.get(&format!("/scenario/{name}"));
    assert_eq!(reply.status, 200, "{}\n{}", reply.text(), isola.log());
    reply.json()
}

on_every_backend! {
    fn values_of_every_type_round_trip(backend: Backend) {
        let isola = serve(backend);
        let seen = scenario(&isola, "types");
        assert_eq!(seen["text"], "héllo");
        assert_eq!(seen["textExplicit"], "héllo");
        assert_eq!(seen["json"], json!({"a": [1, 2]}));
        assert_eq!(seen["bytes"], json!([1, 2, 3]));
        assert_eq!(seen["bytesIsArrayBuffer"], true);
        assert_eq!(
            seen["view"],
            json!([8, 7]),
            "only the view's bytes are stored"
        );
        assert_eq!(seen["stream"], "from a stream");
        assert_eq!(
            seen["number"], "42",
            "other primitives are stored as strings"
        );
        assert_eq!(seen["missing"], Value::Null);
        assert_eq!(
            seen["missingBadType"],
            Value::Null,
            "a missing key is null whatever the type"
        );
        assert_eq!(
            seen["otherNamespace"],
            Value::Null,
            "namespaces are separate"
        );
    }

    fn metadata_comes_back_with_the_value(backend: Backend) {
        let isola = serve(backend);
        let seen = scenario(&isola, "metadata");
        assert_eq!(
            seen["withMeta"],
            json!({"value": "v", "metadata": {"owner": "ada", "n": 1}, "cacheStatus": null})
        );
        assert_eq!(
            seen["withoutMeta"],
            json!({"value": "w", "metadata": null, "cacheStatus": null})
        );
        assert_eq!(
            seen["missing"],
            json!({"value": null, "metadata": null, "cacheStatus": null})
        );
    }

    fn expirations_absolute_and_relative(backend: Backend) {
        let isola = serve(backend);
        let seen = scenario(&isola, "expiration");
        let near = |field: &str, expected: i64| {
            let got = seen[field].as_i64().unwrap();
            assert!(
                (expected - 2..=expected + 2).contains(&got),
                "{field}: {got}"
            );
        };
        near("ttl", 300);
        near("abs", 600);
        near("both", 120);
        assert_eq!(seen["ttlValue"], "t");
    }

    fn list_is_ordered_prefixed_and_paged(backend: Backend) {
        let isola = serve(backend);
        let seen = scenario(&isola, "list");
        let names = |page: &Value| -> Vec<String> {
            page["keys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k["name"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(names(&seen["all"]), ["a/1", "a/2", "a/3", "b/2", "c"]);
        assert_eq!(seen["all"]["list_complete"], true);
        assert!(
            seen["all"].get("cursor").is_none(),
            "a complete list has no cursor"
        );
        assert_eq!(seen["all"]["cacheStatus"], Value::Null);
        assert_eq!(
            seen["all"]["keys"][1],
            json!({"name": "a/2", "metadata": {"x": true}})
        );
        assert_eq!(names(&seen["first"]), ["a/1", "a/2"]);
        assert_eq!(seen["first"]["list_complete"], false);
        assert!(seen["first"]["cursor"].is_string());
        assert_eq!(names(&seen["second"]), ["a/3"]);
        assert_eq!(seen["second"]["list_complete"], true);
    }

    fn bulk_reads_return_maps(backend: Backend) {
        let isola = serve(backend);
        let seen = scenario(&isola, "bulk");
        assert_eq!(seen["isMap"], true);
        assert_eq!(
            seen["text"],
            json!({"k1": "{\"one\":1}", "k2": "\"two\"", "gone": null})
        );
        assert_eq!(seen["json"], json!({"k1": {"one": 1}, "k2": "two"}));
        assert_eq!(
            seen["withMeta"],
            json!({"k1": {"value": {"one": 1}, "metadata": {"m": 1}}, "gone": null})
        );
    }

    fn delete_removes_and_tolerates_missing_keys(backend: Backend) {
        let isola = serve(backend);
        let seen = scenario(&isola, "deletion");
        assert_eq!(
            seen,
            json!({"before": "x", "after": null, "result": null, "again": null})
        );
    }

    fn every_limit_fails_with_cloudflares_error(backend: Backend) {
        let isola = serve(backend);
        let seen = scenario(&isola, "errors");
        let error = |field: &str| -> (String, String) {
            let e = &seen[field]["error"];
            assert!(e.is_object(), "{field} did not fail: {}", seen[field]);
            (
                e["name"].as_str().unwrap().into(),
                e["message"].as_str().unwrap().into(),
            )
        };
        assert_eq!(
            error("emptyKey"),
            ("TypeError".into(), "Key name cannot be empty.".into())
        );
        assert_eq!(
            error("dotKey"),
            (
                "TypeError".into(),
                "\".\" is not allowed as a key name.".into()
            )
        );
        assert_eq!(
            error("dotDotKey"),
            (
                "TypeError".into(),
                "\"..\" is not allowed as a key name.".into()
            )
        );
        assert_eq!(
            error("longKey"),
            (
                "Error".into(),
                "KV GET failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512."
                    .into()
            )
        );
        assert!(seen["maxKey"]["ok"].is_null() && seen["maxKey"].get("error").is_none());
        assert_eq!(
            error("bigValue").1,
            "KV PUT failed: 413 Value length of 26214401 exceeds limit of 26214400."
        );
        assert!(
            error("bigMetadata")
                .1
                .starts_with("KV PUT failed: 413 Metadata length of 11")
        );
        assert_eq!(
            error("shortTtl").1,
            "KV PUT failed: 400 Invalid expiration_ttl of 30. Expiration TTL must be at least 60."
        );
        assert!(
            error("zeroTtl")
                .1
                .contains("Please specify integer greater than 0.")
        );
        assert!(
            error("pastExpiration")
                .1
                .contains("Invalid expiration of 1000.")
        );
        assert!(
            error("soonExpiration")
                .1
                .contains("at least 60 seconds in the future")
        );
        assert_eq!(
            error("shortCacheTtl").1,
            "KV GET failed: 400 Invalid cache_ttl of 10. Cache TTL must be at least 30."
        );
        assert_eq!(
            error("bigListLimit").1,
            "KV GET failed: 400 Invalid key_count_limit of 1001. Please specify an integer less than 1000."
        );
        assert_eq!(
            error("badValue"),
            (
                "TypeError".into(),
                "KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values."
                    .into()
            )
        );
        assert_eq!(error("badType").0, "TypeError");
        assert!(error("badType").1.starts_with("Unknown response type."));
        assert_eq!(
            error("bulkTooMany").1,
            "KV GET_BULK failed: 400 You can request a maximum of 100 keys"
        );
        assert!(
            error("bulkBadType")
                .1
                .contains("\"arrayBuffer\" is not a valid type")
        );
        assert!(error("bulkNotJson").1.contains("non-json value"));
        // The host is still fine.
        assert_eq!(scenario(&isola, "deletion")["before"], "x");
    }
}

#[test]
fn data_survives_a_restart() {
    let state = tempfile::tempdir().unwrap();
    {
        let isola = Isola::serve_in(&[&worker()], state.path());
        let stored = crate::support::request(
            "POST",
            &isola.url("/put?key=greeting&meta=%7B%22lang%22%3A%22en%22%7D"),
            &[],
            Some(b"hello"),
        );
        assert_eq!(stored.status, 200);
    }
    let isola = Isola::serve_in(&[&worker()], state.path());
    assert_eq!(
        isola.get("/get?key=greeting").json(),
        json!({"value": "hello", "metadata": {"lang": "en"}})
    );
}

#[test]
fn every_acknowledged_put_survives_a_crash() {
    let state = tempfile::tempdir().unwrap();
    let isola = Isola::serve_in(&[&worker()], state.path());
    let writer = {
        let base = isola.url("/put");
        std::thread::spawn(move || {
            let mut acknowledged = Vec::new();
            for i in 0.. {
                let url = format!("{base}?key=k{i}&meta=%7B%22i%22%3A{i}%7D");
                match ureq::post(&url).send_bytes(format!("value {i}").as_bytes()) {
                    Ok(reply) if reply.status() == 200 => acknowledged.push(i),
                    _ => break, // the server is gone
                }
            }
            acknowledged
        })
    };
    // Let some puts through, then crash the server in the middle of them.
    std::thread::sleep(std::time::Duration::from_millis(500));
    isola.kill();
    let acknowledged = writer.join().unwrap();
    assert!(
        acknowledged.len() >= 5,
        "too few puts before the crash: {}",
        acknowledged.len()
    );

    let isola = Isola::serve_in(&[&worker()], state.path());
    for i in acknowledged {
        let got = isola.get(&format!("/get?key=k{i}"));
        assert_eq!(got.status, 200, "acknowledged key k{i} was lost");
        assert_eq!(
            got.json(),
            json!({"value": format!("value {i}"), "metadata": {"i": i}})
        );
    }
}

#[test]
fn a_damaged_kv_state_is_refused_at_start_naming_it() {
    let state = tempfile::tempdir().unwrap();
    let kv = state.path().join("kv");
    let serve_and_stop = || {
        let isola = Isola::serve_in(&[&worker()], state.path());
        for i in 0..200 {
            let put = crate::support::request(
                "POST",
                &isola.url(&format!("/put?key=k{i}")),
                &[],
                Some(&[b'v'; 2000]),
            );
            assert_eq!(put.status, 200);
        }
        assert!(isola.stop().success());
    };
    let start = || {
        crate::support::run(&[
            "serve",
            &worker(),
            "--port",
            "0",
            "--persist-to",
            state.path().to_str().unwrap(),
        ])
    };
    let refused = |exit: &crate::support::Exit| {
        assert!(!exit.status.success(), "{}", exit.stderr);
        assert!(exit.stderr.contains("the data is damaged"), "{}", exit.stderr);
        assert!(exit.stderr.contains(kv.to_str().unwrap()), "{}", exit.stderr);
    };

    // A clean stop seals the state, and the seal is checked at the next
    // start: data changed behind it is refused, and the seal stays until a
    // start finds the data as it was.
    serve_and_stop();
    let seal = std::fs::read_to_string(kv.join("isola.seal")).unwrap();
    std::fs::write(kv.join("isola.seal"), "12345\n").unwrap();
    refused(&start());
    refused(&start());
    std::fs::write(kv.join("isola.seal"), &seal).unwrap();
    let isola = Isola::serve_in(&[&worker()], state.path());
    assert_eq!(isola.get("/get?key=k7").status, 200);
    assert!(!kv.join("isola.seal").exists(), "checked, then removed");
    assert!(isola.stop().success());

    // Garbage over the log is refused, not served as an older state.
    let db = kv.join("db");
    let mut bytes = std::fs::read(&db).unwrap();
    let garbage = (bytes.len() / 4)..bytes.len();
    for (i, byte) in bytes[garbage].iter_mut().enumerate() {
        *byte = (i * 7919 % 251) as u8;
    }
    std::fs::write(&db, bytes).unwrap();
    refused(&start());
}

#[test]
fn a_state_directory_in_use_is_refused_naming_it() {
    let isola = serve(Backend::Embedded);
    let second = crate::support::run(&[
        "serve",
        &worker(),
        "--port",
        "0",
        "--persist-to",
        isola.state_dir().to_str().unwrap(),
    ]);
    assert!(!second.status.success());
    assert!(
        second.stderr.contains("in use by another process"),
        "{}",
        second.stderr
    );
    assert!(
        second.stderr.contains(isola.state_dir().to_str().unwrap()),
        "{}",
        second.stderr
    );
    assert_eq!(
        isola.get("/get?key=x").status,
        404,
        "the first server is unharmed"
    );
}

#[test]
fn the_kv_command_works_beside_a_running_server() {
    let isola = serve(Backend::Embedded);
    let config = worker();
    let kv = |args: &[&str]| {
        let mut all = vec!["kv"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--config", &config]);
        isola.command(&all)
    };

    let put = kv(&[
        "key",
        "put",
        "from-cli",
        "cli value",
        "--binding",
        "KV",
        "--metadata",
        "{\"by\":\"cli\"}",
    ]);
    assert!(put.status.success(), "{}", put.stderr);
    assert_eq!(
        isola.get("/get?key=from-cli").json(),
        json!({"value": "cli value", "metadata": {"by": "cli"}}),
        "the Worker sees the CLI's write at once"
    );

    crate::support::request(
        "POST",
        &isola.url("/put?key=from-worker"),
        &[],
        Some(b"worker value"),
    );
    let get = kv(&["key", "get", "from-worker", "--binding", "KV", "--text"]);
    assert!(get.status.success(), "{}", get.stderr);
    assert_eq!(get.stdout, "worker value\n");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bulk.json");
    std::fs::write(
        &file,
        r#"[{"key": "bulk-a", "value": "A"}, {"key": "bulk-b", "value": "Qg==", "base64": true, "metadata": {"b": 2}}]"#,
    )
    .unwrap();
    let bulk = kv(&[
        "bulk",
        "put",
        file.to_str().unwrap(),
        "--namespace-id",
        "kv-test-namespace",
    ]);
    assert!(bulk.status.success(), "{}", bulk.stderr);
    assert_eq!(
        isola.get("/get?key=bulk-b").json(),
        json!({"value": "B", "metadata": {"b": 2}})
    );

    let list = kv(&["key", "list", "--binding", "KV", "--prefix", "bulk-"]);
    assert!(list.status.success(), "{}", list.stderr);
    let keys: Value = serde_json::from_str(&list.stdout).unwrap();
    assert_eq!(
        keys,
        json!([{"name": "bulk-a"}, {"name": "bulk-b", "metadata": {"b": 2}}])
    );

    let delete = kv(&["key", "delete", "from-cli", "--binding", "KV"]);
    assert!(delete.status.success(), "{}", delete.stderr);
    assert_eq!(isola.get("/get?key=from-cli").status, 404);

    let bad = kv(&["key", "put", "", "v", "--binding", "KV"]);
    assert!(!bad.status.success());
    assert!(
        bad.stderr.contains("Key name cannot be empty."),
        "{}",
        bad.stderr
    );

    let missing = kv(&["key", "get", "nothing", "--binding", "NOPE"]);
    assert!(
        missing
            .stderr
            .contains("no KV namespace is bound as \"NOPE\""),
        "{}",
        missing.stderr
    );
}

#[test]
fn the_kv_command_opens_the_state_itself_when_no_server_runs() {
    let state = tempfile::tempdir().unwrap();
    let dir = state.path().to_str().unwrap();
    let config = worker();
    let put = crate::support::run(&[
        "kv",
        "key",
        "put",
        "offline",
        "value",
        "--binding",
        "KV",
        "--config",
        &config,
        "--persist-to",
        dir,
    ]);
    assert!(put.status.success(), "{}", put.stderr);
    let isola = Isola::serve_in(&[&config], state.path());
    assert_eq!(isola.get("/get?key=offline").json()["value"], "value");
}
