//! Spin apps served unchanged: `guests/spin/todo`, a Rust app on
//! `spin-sdk` 5 built for wasm32-wasip1 as Spin's template builds it, read
//! from its `spin.toml` (routes, key-value, SQLite, variables, files,
//! outbound hosts), beside a JS Worker sharing its data;
//! `guests/spin/notes`, on spin-sdk 7 (WASIp3, Spin's async interfaces);
//! and an app using an interface this host does not offer, refused with
//! its name.

use crate::support::{Isola, Origin, case, request, run, spin_app};

/// `isola serve` of the todo app's manifest, with its required variable
/// set and its outbound origin pointed at `origin`.
fn serve_todo(args: &[&str], origin: &Origin) -> Isola {
    let origin = origin.url();
    Isola::serve_with_env(
        args,
        &[
            ("SPIN_VARIABLE_WHO", "world"),
            ("SPIN_VARIABLE_ORIGIN", origin.as_str()),
        ],
    )
}

fn manifest(app: std::path::PathBuf) -> String {
    app.join("spin.toml").display().to_string()
}

#[test]
fn a_spin_app_answers_on_its_routes_with_spins_headers() {
    let origin = Origin::start();
    let isola = serve_todo(&[&manifest(spin_app("todo"))], &origin);

    // A trailing wildcard: the component sees what it matched.
    let reply = isola.get("/todo/some/where");
    assert_eq!(reply.status, 200, "{}", isola.log());
    let headers = reply.text();
    for line in [
        format!("spin-full-url={}", isola.url("/todo/some/where")),
        "spin-path-info=/some/where".into(),
        "spin-matched-route=/todo/...".into(),
        "spin-component-route=/todo".into(),
        "spin-raw-component-route=/todo/...".into(),
        "spin-base-path=/".into(),
    ] {
        assert!(headers.lines().any(|l| l == line), "{line} in\n{headers}");
    }
    // An exact route, and a single-segment wildcard, on another component
    // of the same code.
    let exact = isola.get("/hello").text();
    assert!(exact.contains("spin-matched-route=/hello\n"), "{exact}");
    assert!(exact.contains("spin-path-info=\n"), "{exact}");
    let card = isola.get("/hello/bob/card").text();
    assert!(card.contains("spin-path-match-name=bob"), "{card}");
    assert!(card.contains("spin-matched-route=/hello/:name/card"), "{card}");
    // The longer trailing prefix wins over `/todo/...`.
    let denied = isola.get("/todo/denied/anything").text();
    assert!(denied.contains("spin-matched-route=/todo/denied/..."), "{denied}");
    // No route: 404 from the host, as from `spin up`.
    assert_eq!(isola.get("/elsewhere").status, 404);
    assert_eq!(isola.get("/hello/bob").status, 404);
}

#[test]
fn a_spin_app_keeps_data_reads_variables_files_and_sends_where_allowed() {
    let origin = Origin::start();
    let isola = serve_todo(&[&manifest(spin_app("todo"))], &origin);

    // Key-value.
    assert_eq!(isola.get("/todo/kv/colour").status, 404);
    let put = request("PUT", &isola.url("/todo/kv/colour"), &[], Some(b"teal"));
    assert_eq!(put.status, 200, "{}", put.text());
    assert_eq!(isola.get("/todo/kv/colour").text(), "teal");
    assert_eq!(isola.post("/todo/count", b"").text(), "1");
    assert_eq!(isola.post("/todo/count", b"").text(), "2");
    assert_eq!(isola.get("/todo/keys").text(), "colour,hits");

    // SQLite: each type round-trips; a bad statement is SQLite's error.
    assert_eq!(isola.post("/todo/items", b"buy milk").text(), "1");
    assert_eq!(isola.post("/todo/items", b"walk").text(), "2");
    assert_eq!(
        isola.get("/todo/items").text(),
        "id,title,weight,data,empty\n1:buy milk:4:buy milk:true\n2:walk:2:walk:true"
    );

    // Variables: a template over the app's, from the environment and
    // defaults; an unknown one is undefined.
    assert_eq!(isola.get("/todo/variable/greeting").text(), "hello, world");
    let unknown = isola.get("/todo/variable/nope");
    assert_eq!(unknown.status, 404);
    assert!(unknown.text().contains("nope"), "{}", unknown.text());
    assert_eq!(isola.get("/todo/env/TODO_MODE").text(), "testing");

    // Files: matched by `files`, less `exclude_files`, at their paths.
    assert_eq!(
        isola.get("/todo/file/static/readme.txt").text(),
        "hello from a file\n"
    );
    assert_eq!(isola.get("/todo/file/static/docs/a.txt").text(), "nested\n");
    assert_eq!(isola.get("/todo/file/static/docs/skip.key").status, 404);
    assert_eq!(isola.get("/todo/file/spin.toml").status, 404);

    // Outbound HTTP to an allowed host.
    let sent = isola.get("/todo/outbound");
    assert_eq!(sent.status, 200, "{}", sent.text());
    assert!(sent.text().starts_with("origin: GET /from-spin"), "{}", sent.text());
    assert_eq!(origin.requests().len(), 1);

    // The component on `/todo/denied/...` is granted no store and no host.
    assert_granted_nothing(
        &isola,
        &origin,
        &[("/todo/denied/count", b"")],
        "/todo/denied/outbound",
    );
}

/// What a component granted nothing gets: `AccessDenied` from its store
/// and database calls (`posts`, answered 500), and `HttpRequestDenied` for
/// its outbound request (`outbound`, answered 502), which never reaches
/// `origin`.
fn assert_granted_nothing(
    isola: &Isola,
    origin: &Origin,
    posts: &[(&str, &[u8])],
    outbound: &str,
) {
    for (path, body) in posts {
        let refused = isola.post(path, body);
        assert_eq!(refused.status, 500);
        assert!(refused.text().contains("AccessDenied"), "{path}: {}", refused.text());
    }
    let sent_before = origin.requests().len();
    let sent = isola.get(outbound);
    assert_eq!(sent.status, 502, "{}", sent.text());
    assert!(sent.text().contains("HttpRequestDenied"), "{}", sent.text());
    assert_eq!(origin.requests().len(), sent_before, "the denied request was not sent");
}

#[test]
fn a_spin_app_and_a_js_worker_share_a_store_and_a_database() {
    let origin = Origin::start();
    let config = case("spin-share").join("isola.toml");
    let isola = serve_todo(&[config.to_str().unwrap()], &origin);

    // The Spin app's counter and items, read by the JS Worker.
    assert_eq!(isola.post("/todo/count", b"").text(), "1", "{}", isola.log());
    assert_eq!(isola.get("/js/kv/hits").text(), "1");
    assert_eq!(isola.post("/todo/items", b"from spin").text(), "1");
    assert_eq!(isola.get("/js/items").json(), serde_json::json!(["from spin"]));

    // The JS Worker's write, read and counted on by the Spin app.
    let put = request("PUT", &isola.url("/js/kv/hits"), &[], Some(b"41"));
    assert_eq!(put.status, 200);
    assert_eq!(isola.post("/todo/count", b"").text(), "42");
    assert_eq!(isola.get("/todo/kv/hits").text(), "42");

    // The app on spin-sdk 7 counts on, and reads the others' rows.
    assert_eq!(isola.post("/notes/count", b"").text(), "43");
    assert_eq!(isola.get("/js/kv/hits").text(), "43");
    assert_eq!(
        isola.post("/notes/sql", b"SELECT * FROM items").text(),
        "1 rows, changes 0, rowid 0"
    );
}

#[test]
fn a_spin_app_on_the_current_sdk_keeps_data_streams_and_sends_where_allowed() {
    let origin = Origin::start();
    let url = origin.url();
    let isola = Isola::serve_with_env(
        &[&manifest(spin_app("notes"))],
        &[("SPIN_VARIABLE_ORIGIN", url.as_str())],
    );
    assert_eq!(
        isola.get("/notes/hello").text(),
        "hello from spin-sdk 7",
        "{}",
        isola.log()
    );

    // Key-value through `spin:key-value@3`, its keys as a stream.
    assert_eq!(isola.get("/notes/kv/colour").status, 404);
    let put = request("PUT", &isola.url("/notes/kv/colour"), &[], Some(b"teal"));
    assert_eq!(put.status, 200, "{}", put.text());
    assert_eq!(isola.get("/notes/kv/colour").text(), "teal");
    assert_eq!(isola.post("/notes/count", b"").text(), "1");
    assert_eq!(isola.post("/notes/count", b"").text(), "2");
    assert_eq!(isola.get("/notes/keys").text(), "colour,hits");
    let deleted = request("DELETE", &isola.url("/notes/kv/colour"), &[], None);
    assert_eq!(deleted.text(), "exists: false");
    assert_eq!(isola.get("/notes/keys").text(), "hits");

    // SQLite through `spin:sqlite@3.1`: the rows as a stream, each type,
    // and what the last write left on the connection.
    assert_eq!(isola.post("/notes/notes", b"first").text(), "note 1 (1 changed)");
    assert_eq!(isola.post("/notes/notes", b"second").text(), "note 2 (1 changed)");
    assert_eq!(
        isola.get("/notes/notes").text(),
        "id,text,size,raw,none\ni:1,t:first,r:5,b:5,null\ni:2,t:second,r:6,b:6,null"
    );
    // `changes` and `last-insert-rowid` are the connection's own: an
    // UPDATE's rows, and no rowid, since this connection inserted none.
    assert_eq!(
        isola.post("/notes/sql", b"UPDATE notes SET size = 0").text(),
        "0 rows, changes 2, rowid 0"
    );
    assert_eq!(
        isola.post("/notes/sql", b"INSERT INTO notes (text) VALUES ('third') RETURNING id").text(),
        "1 rows, changes 1, rowid 3"
    );
    let bad = isola.post("/notes/sql", b"SELECT * FROM nowhere");
    assert_eq!(bad.status, 500);
    assert!(bad.text().contains("no such table: nowhere"), "{}", bad.text());

    // Variables through `spin:variables@3`, and the environment.
    assert_eq!(isola.get("/notes/variable/motto").text(), "keep it short!");
    assert_eq!(isola.get("/plain/variable/motto").status, 404);
    assert_eq!(isola.get("/notes/env/NOTES_MODE").text(), "testing");

    // A body the guest goes on writing after it has returned the response.
    let lines = isola.get("/notes/lines/300").text();
    assert_eq!(lines.lines().count(), 300);
    assert_eq!(lines.lines().last(), Some("line 300"));

    // Work the guest left running after its answer is done, not dropped.
    assert_eq!(isola.post("/notes/later", b"").text(), "accepted");
    assert!(
        crate::support::eventually(|| isola.get("/notes/kv/later").status == 200),
        "{}",
        isola.log()
    );
    assert_eq!(isola.get("/notes/kv/later").text(), "written after the answer");

    // Outbound HTTP through `wasi:http@0.3`, to an allowed host.
    let sent = isola.get("/notes/outbound");
    assert_eq!(sent.status, 200, "{}", sent.text());
    assert!(sent.text().contains("origin: GET /from-spin"), "{}", sent.text());
    assert_eq!(origin.requests().len(), 1);

    // The `plain` component is granted no store, database or host.
    assert_granted_nothing(
        &isola,
        &origin,
        &[("/plain/count", b""), ("/plain/notes", b"x")],
        "/plain/outbound",
    );
}

#[test]
fn a_body_the_guest_could_not_finish_is_cut_not_short() {
    // The budget counts epoch ticks, which pass while a loaded machine has
    // the guest's thread waiting too; 100 ms leaves room for the guest to
    // start and begin its answer on any machine.
    let isola = Isola::serve_with_env(&[&manifest(spin_app("notes")), "--cpu-ms", "100"], &[]);
    // Far more lines than 100 ms of CPU can write: the instance is stopped
    // after its response has begun, and the client must see the cut.
    let response = ureq::get(&isola.url("/notes/lines/50000000"))
        .call()
        .expect("the response begins");
    assert_eq!(response.status(), 200);
    let mut body = Vec::new();
    let read = std::io::Read::read_to_end(&mut response.into_reader(), &mut body);
    assert!(read.is_err(), "a cut body read as whole ({} bytes)", body.len());
    assert!(
        crate::support::eventually(|| isola.log().contains("exceeded its CPU time limit")),
        "{}",
        isola.log()
    );
    // The host and the app go on serving.
    assert_eq!(isola.get("/notes/hello").text(), "hello from spin-sdk 7");
}

#[test]
fn a_guest_whose_client_left_before_its_answer_is_stopped() {
    let isola = Isola::serve_with_env(&[&manifest(spin_app("notes"))], &[]);
    // The guest waits a second before it answers and writes; the client
    // gives up long before.
    let gave_up = ureq::AgentBuilder::new()
        .timeout(std::time::Duration::from_millis(200))
        .build()
        .get(&isola.url("/notes/slow"))
        .call();
    assert!(gave_up.is_err(), "answered before the client left");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(
        isola.get("/notes/kv/slow").status,
        404,
        "the guest went on after its client left"
    );
    // A client that waits gets the answer, and the write lands.
    assert_eq!(isola.get("/notes/slow").text(), "slow answer");
    assert_eq!(isola.get("/notes/kv/slow").text(), "answered");
}

#[test]
fn a_spin_app_is_refused_naming_what_it_lacks() {
    // An interface this host does not offer.
    let refused = run(&["serve", &manifest(spin_app("notify")), "--port", "0"]);
    assert!(!refused.status.success());
    for needle in ["spin_notify.wasm", "fermyon:spin/redis@2.0.0", "does not offer"] {
        assert!(refused.stderr.contains(needle), "{needle}: {}", refused.stderr);
    }

    // A required variable with no value.
    let missing = run(&["serve", &manifest(spin_app("todo")), "--port", "0"]);
    assert!(!missing.status.success());
    for needle in ["spin.toml", "\"who\"", "SPIN_VARIABLE_WHO"] {
        assert!(missing.stderr.contains(needle), "{needle}: {}", missing.stderr);
    }
}
