//! Spin apps served unchanged: `guests/spin/todo`, a Rust app on
//! `spin-sdk` built for wasm32-wasip1 as Spin's template builds it, read
//! from its `spin.toml` (routes, key-value, SQLite, variables, files,
//! outbound hosts), beside a JS Worker sharing its data; and an app using
//! an interface this host does not offer, refused with its name.

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
    let store = isola.post("/todo/denied/count", b"");
    assert_eq!(store.status, 500);
    assert!(store.text().contains("AccessDenied"), "{}", store.text());
    let sent = isola.get("/todo/denied/outbound");
    assert_eq!(sent.status, 502, "{}", sent.text());
    assert!(sent.text().contains("HttpRequestDenied"), "{}", sent.text());
    assert_eq!(origin.requests().len(), 1, "the denied request was not sent");
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
