//! Durable Objects through the real binary (`tests/cases/durable-objects`):
//! ids, storage and the answers are those workerd gives for the same
//! script; an object is one instance under concurrent requests, its
//! storage outlives restarts and crashes, and another Worker of the host
//! reaches the same objects.

use std::thread;

use serde_json::json;

use crate::support::{Isola, case};

fn counter() -> String {
    case("durable-objects").join("counter").to_str().unwrap().to_string()
}

#[test]
fn ids_storage_and_calls_answer_as_workerd_does() {
    let isola = Isola::serve(&[&counter()]);
    // Recorded from workerd 2026-04-26 with uniqueKey "counter-Counter".
    assert_eq!(
        isola.get("/ids").json(),
        json!({
            "id": "131f150e8659005742bf5954011a81428d5f0f721e2071278f57542397896f3c",
            "equal": true,
            "name": "a",
            "parsedName": null,
            "unique": 64,
            "errors": [
                "TypeError: Invalid Durable Object ID: must be 64 hex digits",
                "TypeError: Durable Object ID is not valid for this namespace.",
            ],
        })
    );
    assert_eq!(isola.get("/increment").json(), json!({"value": 1}));
    assert_eq!(isola.get("/increment").json(), json!({"value": 2}));
    assert_eq!(
        isola.get("/state").json(),
        json!({
            "count": 2,
            "log": {"entries": 2, "top": 2},
            "columns": ["entries", "top"],
            "id": "eefc1da17d363da4943e269902fb4d18dcf41c3618b1426331fdff8a0ac7a952",
            "name": "default",
        })
    );
    assert_eq!(
        isola.get("/kv").json(),
        json!({
            "many": [["a:1", 1], ["a:2", {"two": [2]}]],
            "listed": ["a:1", "a:2"],
            "reversed": ["count", "b:1"],
            "deleted": 1,
            "rolledBack": "undo",
            "syncRolledBack": "undo sync",
            "notes": [2, 5],
            "e": null,
            "f": null,
            "hidden": "access to _cf_KV.key is prohibited: SQLITE_AUTH",
            "b": "b",
            "c": "committed",
            "d": "kept",
        })
    );
    assert_eq!(isola.get("/fetch?name=x").text(), "object x got /hello");
    // Each as workerd 2026-04-26 answers it.
    assert_eq!(
        isola.get("/edges?name=edges").json(),
        json!({
            "numberKey": {"ok": "five"},
            "undefinedValue": {"error": "TypeError: put() called with undefined value."},
            "noKey": {"error": "TypeError: Failed to execute 'put' on 'DurableObjectStorage': parameter 1 is not of type 'string or object'."},
            "limitZero": {"error": "TypeError: List limit must be positive."},
            "func": {"error": "DataCloneError: () => 1 could not be cloned."},
            "begin": {"error": "Error: To execute a transaction, please use the state.storage.transaction() or state.storage.transactionSync() APIs instead of the SQL BEGIN TRANSACTION or SAVEPOINT statements. The JavaScript API is safer because it will automatically roll back on exceptions, and because it interacts correctly with Durable Objects' automatic atomic write coalescing."},
            "bool": {"ok": "true"},
            "big": {"ok": 9_007_199_254_740_992_u64},
            "idJson": "{\"name\":\"n\"}",
            "fetchThrows": "RangeError: object fetch broke (remote true)",
            "stubKeys": ["name", "id"],
            "tooManyTags": {"error": "Error: a Hibernatable WebSocket cannot have more than 10 tags"},
            "unknownTags": {"error": "Error: you must call 'acceptWebSocket()' before attempting to access the tags of a WebSocket."},
        })
    );
    // The event that broke the object fails, and its next event makes it
    // anew (its constructor runs again).
    let constructions = || isola.get("/constructions?name=reset").json()["constructions"].clone();
    let before = constructions().as_u64().unwrap();
    assert_eq!(
        isola.get("/reset?name=reset").json(),
        json!({"broken": "Error: blocked and broken", "aborted": "Error: gone", "kept": null})
    );
    assert_eq!(constructions(), before + 2, "reset twice, made anew each time");
}

#[test]
fn an_idle_object_is_evicted_and_made_again_on_its_next_event() {
    let isola = Isola::serve(&[&counter(), "--object-idle-timeout", "1"]);
    let constructions = || isola.get("/constructions?name=idle").json()["constructions"].clone();
    assert_eq!(constructions(), 1);
    assert_eq!(constructions(), 1, "an object in use stays in memory");
    assert_eq!(isola.get("/increment?name=idle").json()["value"], 1);
    thread::sleep(std::time::Duration::from_millis(2500));
    assert_eq!(constructions(), 2, "its constructor ran again after 1 s idle");
    assert_eq!(
        isola.get("/increment?name=idle").json()["value"],
        2,
        "its storage outlived the eviction"
    );
}

#[test]
fn one_object_counts_exactly_under_concurrent_requests() {
    let isola = Isola::serve(&[&counter()]);
    let url = isola.url("/increment?name=load");
    let workers: Vec<_> = (0..16)
        .map(|_| {
            let url = url.clone();
            thread::spawn(move || {
                for _ in 0..20 {
                    let reply = crate::support::request("GET", &url, &[], None);
                    assert_eq!(reply.status, 200, "{}", reply.text());
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    let state = isola.get("/state?name=load").json();
    assert_eq!(state["count"], 320, "{state}");
    assert_eq!(state["log"], json!({"entries": 320, "top": 320}));
}

#[test]
fn storage_outlives_a_restart_and_a_crash_during_writes() {
    let state = tempfile::tempdir().unwrap();
    let isola = Isola::serve_in(&[&counter()], state.path());
    assert_eq!(isola.get("/increment?name=kept").json(), json!({"value": 1}));
    drop(isola);
    let isola = Isola::serve_in(&[&counter()], state.path());
    assert_eq!(isola.get("/increment?name=kept").json(), json!({"value": 2}));
    // Acknowledged writes survive SIGKILL.
    let url = isola.url("/increment?name=crash");
    let writer = thread::spawn(move || {
        let mut acknowledged = 0;
        for _ in 0..200 {
            // The server dies under one of these requests.
            let Ok(reply) =
                std::panic::catch_unwind(|| crate::support::request("GET", &url, &[], None))
            else {
                break;
            };
            if reply.status != 200 {
                break;
            }
            acknowledged = reply.json()["value"].as_u64().unwrap();
        }
        acknowledged
    });
    thread::sleep(std::time::Duration::from_millis(300));
    isola.kill();
    let acknowledged = writer.join().unwrap();
    let isola = Isola::serve_in(&[&counter()], state.path());
    let stored = isola.get("/state?name=crash").json();
    // Each operation commits on its own: the SQL row of the last increment
    // may be missing where its key-value write was not.
    assert!(
        stored["count"].as_u64().unwrap() >= acknowledged
            && stored["log"]["top"].as_u64().unwrap() >= acknowledged,
        "{acknowledged} acknowledged, {stored} stored"
    );
    assert_eq!(isola.get("/state?name=kept").json()["count"], 2);
}

#[test]
fn another_worker_reaches_the_same_objects_by_script_name() {
    let client = case("durable-objects").join("client");
    let isola = Isola::serve(&[client.to_str().unwrap(), &counter()]);
    // The first Worker served answers on the port; the object runs in the
    // counter Worker, which exports its class.
    let first = isola.get("/?name=shared").json();
    assert_eq!(first["value"], 10, "{first}");
    let second = isola.get("/?name=shared").json();
    assert_eq!(second["count"], 20, "{second}");
    assert_eq!(second["same"], true);
    // The id is the one the counter Worker's own binding makes.
    let alone = Isola::serve(&[&counter()]);
    assert_eq!(alone.get("/state?name=shared").json()["id"], second["id"]);
}

/// Asks `path` until `done` holds of its answer (alarms run on their own
/// time), for at most 15 s.
fn wait_for(isola: &Isola, path: &str, done: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let answer = isola.get(path).json();
        if done(&answer) || std::time::Instant::now() > deadline {
            return answer;
        }
        thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn alarms_fire_retry_after_a_throw_and_survive_a_restart() {
    let state = tempfile::tempdir().unwrap();
    let isola = Isola::serve_in(&[&counter()], state.path());
    assert_eq!(
        isola.get("/alarm/refused").json(),
        json!({"refused": "Your Durable Object class must have an alarm() handler in order to call setAlarm()"})
    );
    // The first run throws; the retry, 2 s later, succeeds.
    assert_eq!(
        isola.get("/alarm/schedule?name=retried&in=100&failures=1").json(),
        json!({"pending": true})
    );
    let runs = wait_for(&isola, "/alarm/runs?name=retried", |a| a["pending"] == false);
    assert_eq!(
        runs,
        json!({
            "runs": [
                {"retryCount": 0, "isRetry": false},
                {"retryCount": 1, "isRetry": true},
            ],
            "pending": false,
        })
    );
    // Set, then the host stops before it is due: it runs after the restart.
    assert_eq!(
        isola.get("/alarm/schedule?name=restarted&in=1000").json(),
        json!({"pending": true})
    );
    isola.kill();
    let isola = Isola::serve_in(&[&counter()], state.path());
    let runs = wait_for(&isola, "/alarm/runs?name=restarted", |a| a["pending"] == false);
    assert_eq!(
        runs,
        json!({"runs": [{"retryCount": 0, "isRetry": false}], "pending": false})
    );
}

#[test]
fn a_renamed_class_keeps_its_objects_and_contradictions_are_refused() {
    let project = crate::support::copy_case("durable-objects");
    let dir = project.path().join("counter");
    let state = tempfile::tempdir().unwrap();
    let serve = || Isola::serve_in(&[dir.to_str().unwrap()], state.path());
    let isola = serve();
    assert_eq!(isola.get("/increment?name=m").json(), json!({"value": 1}));
    drop(isola);
    // v3 renames Counter to Tally: the script and binding follow.
    let config = dir.join("wrangler.toml");
    let toml = std::fs::read_to_string(&config).unwrap();
    let renamed = toml.replace("class_name = \"Counter\"", "class_name = \"Tally\"")
        + "\n[[migrations]]\ntag = \"v3\"\nrenamed_classes = [{ from = \"Counter\", to = \"Tally\" }]\n";
    std::fs::write(&config, &renamed).unwrap();
    let script = dir.join("worker.js");
    let js = std::fs::read_to_string(&script).unwrap();
    std::fs::write(&script, js.replace("class Counter", "class Tally")).unwrap();
    let isola = serve();
    assert_eq!(isola.get("/increment?name=m").json(), json!({"value": 2}));
    assert!(isola.log().contains("v3: renamed class Counter to Tally"), "{}", isola.log());
    drop(isola);
    // A binding to a class the migrations renamed away is refused.
    std::fs::write(&config, renamed.replace("class_name = \"Tally\"", "class_name = \"Counter\"")).unwrap();
    let refused = crate::support::run(&[
        "serve",
        config.to_str().unwrap(),
        "--port",
        "0",
        "--persist-to",
        state.path().to_str().unwrap(),
    ]);
    let said = format!("{}{}", refused.stdout, refused.stderr);
    assert!(!refused.status.success() && said.contains("class Counter is not declared"), "{said}");
}

#[test]
fn isola_objects_lists_stored_objects_and_queries_one() {
    let isola = Isola::serve(&[&counter()]);
    assert_eq!(isola.get("/increment?name=listed").json(), json!({"value": 1}));
    let id = isola.get("/state?name=listed").json()["id"].as_str().unwrap().to_string();
    let listed = isola.command(&["objects", "list", "--json"]);
    assert!(listed.status.success(), "{}", listed.stderr);
    let listed: serde_json::Value = serde_json::from_str(&listed.stdout).unwrap();
    let object = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == id.as_str())
        .unwrap_or_else(|| panic!("{id} not in {listed}"));
    assert_eq!(object["namespace"], "counter-Counter");
    assert!(object["bytes"].as_u64().unwrap() > 0);
    let queried = isola.command(&[
        "objects",
        "sql",
        "counter-Counter",
        &id,
        "--command",
        "SELECT n, note FROM log",
    ]);
    assert!(queried.status.success(), "{}", queried.stderr);
    let queried: serde_json::Value = serde_json::from_str(&queried.stdout).unwrap();
    assert_eq!(queried[0]["results"], json!([{"n": 1, "note": "+1"}]));
    // The operator reads the key-value pairs a Worker's SQL cannot.
    let pairs = isola.command(&[
        "objects",
        "sql",
        "counter-Counter",
        &id,
        "--command",
        "SELECT count(*) AS pairs FROM _cf_KV",
    ]);
    assert!(pairs.status.success(), "{}", pairs.stderr);
    assert!(pairs.stdout.contains("\"pairs\""), "{}", pairs.stdout);
    let missing = isola.command(&["objects", "sql", "counter-Counter", &"0".repeat(64), "--command", "SELECT 1"]);
    assert!(!missing.status.success() && missing.stderr.contains("no Durable Object"), "{}", missing.stderr);
}

#[test]
fn a_chat_room_object_hibernates_with_its_clients_sockets_and_wakes() {
    use tungstenite::{Message, connect};

    let chat = case("durable-objects").join("chat");
    let isola = Isola::serve(&[chat.to_str().unwrap(), "--object-idle-timeout", "1"]);
    let url = |user: &str| {
        isola
            .url(&format!("/general?user={user}"))
            .replacen("http://", "ws://", 1)
    };
    let read = |socket: &mut tungstenite::WebSocket<_>| match socket.read().unwrap() {
        Message::Text(text) => text.to_string(),
        other => panic!("expected text, got {other:?}"),
    };
    let open = |user: &str| {
        let (socket, response) = connect(url(user)).unwrap();
        if let tungstenite::stream::MaybeTlsStream::Plain(tcp) = socket.get_ref() {
            tcp.set_read_timeout(Some(std::time::Duration::from_secs(10)))
                .unwrap();
        }
        (socket, response)
    };
    // Each socket passes through the front Worker to the room's object.
    let (mut ada, response) = open("ada");
    assert_eq!(response.status(), 101);
    assert_eq!(read(&mut ada), "ada joined (1 here)");
    let (mut bob, _) = open("bob");
    assert_eq!(read(&mut bob), "bob joined (2 here)");
    assert_eq!(read(&mut ada), "bob joined (2 here)");
    ada.send(Message::text("hello")).unwrap();
    assert_eq!(read(&mut ada), "ada: hello (#1, tags ada, made 1)");
    assert_eq!(read(&mut bob), "ada: hello (#1, tags ada, made 1)");
    // Idle with only its sockets, the room hibernates: the auto-response
    // answers without waking it, and a message makes it again, with the
    // sockets' tags and attachments and the room's storage kept.
    thread::sleep(std::time::Duration::from_millis(2500));
    bob.send(Message::text("ping")).unwrap();
    assert_eq!(read(&mut bob), "pong");
    bob.send(Message::text("back")).unwrap();
    assert_eq!(read(&mut ada), "bob: back (#2, tags bob, made 2)");
    assert_eq!(read(&mut bob), "bob: back (#2, tags bob, made 2)");
    bob.close(None).unwrap();
    while bob.read().is_ok() {}
    assert_eq!(read(&mut ada), "bob left (1005 )");
}
