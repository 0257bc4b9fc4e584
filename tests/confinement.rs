//! A Worker reaches only what is its own: an attacker Worker beside a victim
//! in one host (`tests/cases/confinement`) tries each way out, and each
//! fails with its documented error while the victim's data stays as it was.
//! The server also refuses requests and settings no Worker should see.

use std::os::unix::fs::PermissionsExt;

use serde_json::{Value, json};

use crate::support::{Isola, Origin, case, read_until, run, send_raw};

/// The two Workers, the victim's KV, D1 and cache seeded.
fn host() -> Isola {
    let config = case("confinement").join("isola.toml");
    let isola = Isola::serve_strict(&[config.to_str().unwrap()]);
    assert_eq!(isola.get("/victim/seed").text(), "seeded", "{}", isola.log());
    isola
}

fn victim_data(isola: &Isola) -> Value {
    isola.get("/victim/read").json()
}

const UNTOUCHED: fn() -> Value = || {
    json!({
        "kv": "victim-kv-secret",
        "d1": ["victim-d1-secret"],
        "cache": "victim-page",
    })
};

fn attack(isola: &Isola, name: &str, path: &str) -> Value {
    let reply = isola.get(&format!("/attacker/{name}?path={path}"));
    assert_eq!(reply.status, 200, "{}\n{}", reply.text(), isola.log());
    reply.json()
}

#[test]
fn one_workers_cache_never_answers_anothers() {
    let isola = host();
    assert_eq!(victim_data(&isola), UNTOUCHED());
    assert_eq!(
        attack(&isola, "cache-read", ""),
        json!({ "ok": true, "value": null }),
        "the victim's cached page is not the attacker's to read"
    );
    assert_eq!(
        attack(&isola, "cache-poison", ""),
        json!({ "ok": true, "value": "poisoned" }),
        "a Worker's own cache works"
    );
    assert_eq!(victim_data(&isola), UNTOUCHED());
}

#[test]
fn a_101_response_without_a_websocket_is_the_workers_error() {
    let isola = host();
    let reply = isola.get("/attacker/status-101");
    assert_eq!(reply.status, 500);
    assert!(
        isola.wait_for_log("must carry a webSocket"),
        "{}",
        isola.log()
    );
}

#[test]
fn an_invalid_host_header_is_a_400_from_the_server() {
    let isola = host();
    for host in ["a b", "[::1", "x:99999", "", "user@evil"] {
        let mut stream = isola.connect();
        send_raw(
            &mut stream,
            format!("GET /victim/read HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        );
        let head = read_until(&mut stream, "\r\n");
        assert!(head.starts_with("HTTP/1.1 400"), "Host {host:?}: {head}");
    }
    assert_eq!(victim_data(&isola), UNTOUCHED(), "a valid Host still routes");
    assert!(!isola.log().contains("Uncaught"), "{}", isola.log());
}

#[test]
fn the_admin_token_is_readable_by_its_owner_only() {
    let isola = host();
    let info = isola.state_dir().join("server.json");
    let mode = std::fs::metadata(&info).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "server.json is mode {mode:o}");
}

#[test]
fn memory_limits_that_cannot_hold_are_refused_naming_the_setting() {
    let worker = case("confinement").join("victim");
    for mb in ["0", "17592186044416"] {
        let exit = run(&["serve", worker.to_str().unwrap(), "--memory-mb", mb, "--port", "0"]);
        assert!(!exit.status.success(), "--memory-mb {mb} was accepted");
        assert!(exit.stderr.contains("--memory-mb"), "{}", exit.stderr);
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("isola.toml");
    std::fs::write(
        &config,
        format!(
            "[pool]\nmemory_mb = 0\n[[workers]]\npath = \"{}\"\n",
            worker.display()
        ),
    )
    .unwrap();
    let exit = run(&["serve", config.to_str().unwrap(), "--port", "0"]);
    assert!(!exit.status.success());
    assert!(exit.stderr.contains("`memory_mb`"), "{}", exit.stderr);
}

#[test]
fn d1_cannot_reach_other_databases_files_or_the_state_directory() {
    let isola = host();
    let d1 = isola.state_dir().join("d1");
    let victim = d1.join("victim-db.sqlite");
    assert!(victim.is_file());
    let new_file = d1.join("planted.sqlite");
    let attach = attack(&isola, "d1-attach", victim.to_str().unwrap());
    assert_eq!(attach["ok"], false, "{attach}");
    assert!(
        attach["error"].as_str().unwrap().ends_with("not authorized: SQLITE_AUTH"),
        "{attach}"
    );
    for name in ["d1-attach-new", "d1-vacuum-into"] {
        let result = attack(&isola, name, new_file.to_str().unwrap());
        assert_eq!(result["ok"], false, "{name}: {result}");
        assert!(
            result["error"].as_str().unwrap().contains("not authorized"),
            "{name}: {result}"
        );
        assert!(!new_file.exists(), "{name} created {}", new_file.display());
    }
    assert_eq!(
        attack(&isola, "d1-database-list", ""),
        json!({ "ok": false, "error": "D1_ERROR: not authorized: SQLITE_AUTH" })
    );
    assert_eq!(
        attack(&isola, "d1-load-extension", ""),
        json!({
            "ok": false,
            "error": "D1_ERROR: not authorized to use function: load_extension at offset 7: SQLITE_ERROR"
        })
    );
    assert_eq!(
        attack(&isola, "d1-huge", ""),
        json!({
            "ok": false,
            "error": "D1_ERROR: the result is larger than the 100 MiB limit: SQLITE_TOOBIG"
        })
    );
    assert_eq!(
        attack(&isola, "d1-own", ""),
        json!({ "ok": true, "value": "mine" }),
        "the attacker's own database works"
    );
    assert_eq!(victim_data(&isola), UNTOUCHED());
}

#[test]
fn a_d1_database_id_cannot_name_a_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("worker.js"), "export default {}").unwrap();
    std::fs::write(
        dir.path().join("wrangler.toml"),
        "main = \"worker.js\"\n[[d1_databases]]\nbinding = \"DB\"\ndatabase_id = \"../../outside\"\n",
    )
    .unwrap();
    let exit = run(&["serve", dir.path().to_str().unwrap(), "--port", "0"]);
    assert!(!exit.status.success());
    assert!(
        exit.stderr.contains("`d1_databases[0]`") && exit.stderr.contains("../../outside"),
        "{}",
        exit.stderr
    );
}

#[test]
fn a_worker_imports_only_its_own_modules() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("attacker");
    std::fs::create_dir_all(project.join(".isola/state")).unwrap();
    std::fs::create_dir_all(dir.path().join("victim")).unwrap();
    std::fs::write(dir.path().join("victim/worker.js"), "export const secret = 'victim code';").unwrap();
    std::fs::write(project.join(".dev.vars"), "API_KEY=s3cret-value").unwrap();
    std::fs::write(project.join(".isola/state/server.json"), "{\"token\": \"t0ken\"}").unwrap();
    std::fs::write(project.join("notes.md"), "# not a module").unwrap();
    std::fs::write(
        project.join("worker.js"),
        r#"async function attempt(specifier, options, bare) {
  try {
    await import(bare ? specifier : new URL(specifier, import.meta.url), options);
    return "imported";
  } catch (error) {
    return String(error.message ?? error);
  }
}
export default {
  async fetch() {
    return Response.json({
      url: import.meta.url,
      sibling: await attempt("../victim/worker.js"),
      bare: await attempt("../victim/worker.js", undefined, true),
      devVars: await attempt("./.dev.vars"),
      state: await attempt("./.isola/state/server.json", { with: { type: "json" } }),
      notes: await attempt("./notes.md"),
    });
  },
};
"#,
    )
    .unwrap();
    let isola = Isola::serve(&[project.join("worker.js").to_str().unwrap()]);
    let reply = isola.get("/");
    assert_eq!(reply.status, 200, "{}", isola.log());
    let results = reply.json();
    let text = results.to_string();
    for leaked in ["victim code", "s3cret-value", "t0ken"] {
        assert!(!text.contains(leaked), "{leaked} leaked: {text}");
    }
    // Module URLs start at the Worker's folder: a sibling's file cannot
    // even be named, and no error shows where the project lies.
    assert_eq!(results["url"], "file:///worker.js");
    assert!(results["sibling"].as_str().unwrap().contains("file:///victim/worker.js"), "{results}");
    assert!(
        results["bare"].as_str().unwrap().contains("outside the Worker's folder"),
        "{results}"
    );
    let host_path = dir.path().to_str().unwrap();
    assert!(!text.contains(host_path), "a host path leaked: {text}");
    for hidden in ["devVars", "state"] {
        assert!(
            results[hidden].as_str().unwrap().contains("hidden files"),
            "{hidden}: {results}"
        );
    }
    assert!(
        results["notes"].as_str().unwrap().contains("not a module type"),
        "{results}"
    );
}

#[test]
fn a_workspace_package_linked_into_node_modules_is_imported_and_a_link_out_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    let write = |path: &str, text: &str| {
        let path = repo.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("packages/shared/package.json", r#"{"name": "@app/shared", "main": "index.js"}"#);
    write("packages/shared/index.js", "export { greet } from './greet.js';");
    write("packages/shared/greet.js", "export const greet = (name) => `hello ${name}`;");
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("package.json"), r#"{"name": "loot", "main": "index.js"}"#)
        .unwrap();
    std::fs::write(outside.path().join("index.js"), "export const loot = 'outside code';").unwrap();
    std::fs::create_dir_all(repo.join("node_modules/@app")).unwrap();
    std::os::unix::fs::symlink(repo.join("packages/shared"), repo.join("node_modules/@app/shared"))
        .unwrap();
    std::os::unix::fs::symlink(outside.path(), repo.join("node_modules/loot")).unwrap();
    write(
        "apps/api/worker.js",
        r#"import { greet } from "@app/shared";
export default {
  async fetch() {
    let loot;
    try {
      loot = (await import("loot")).loot;
    } catch (error) {
      loot = String(error.message ?? error);
    }
    return Response.json({ greeting: greet("workspace"), loot });
  },
};
"#,
    );
    let isola = Isola::serve(&[repo.join("apps/api/worker.js").to_str().unwrap()]);
    let reply = isola.get("/");
    assert_eq!(reply.status, 200, "{}", isola.log());
    let results = reply.json();
    assert_eq!(results["greeting"], "hello workspace", "{results}");
    let loot = results["loot"].as_str().unwrap();
    assert!(!loot.contains("outside code"), "{results}");
    assert!(loot.contains("outside the Worker's folder"), "{results}");
}

#[test]
fn a_client_that_never_finishes_its_headers_is_disconnected() {
    use std::io::Read;
    let isola = host();
    let mut stream = isola.connect();
    send_raw(&mut stream, b"GET /victim/read HTTP/1.1\r\nHost: x");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    // The server closes it (end of stream) rather than the read timing out.
    let mut rest = Vec::new();
    let closed = stream.read_to_end(&mut rest);
    assert!(closed.is_ok(), "still open: {closed:?}");
    assert_eq!(victim_data(&isola), UNTOUCHED(), "others are served meanwhile");
}

/// The admin endpoint's URL, from the state directory.
fn admin_url(isola: &Isola) -> String {
    let info = std::fs::read_to_string(isola.state_dir().join("server.json")).unwrap();
    let info: Value = serde_json::from_str(&info).unwrap();
    format!("http://{}/stats", info["admin"].as_str().unwrap())
}

#[test]
fn serve_refuses_subrequests_to_the_hosts_own_network() {
    let origin = Origin::start();
    let isola = host();
    let port = origin.url().rsplit(':').next().unwrap().to_string();
    let targets = [
        origin.url(),
        format!("http://localhost:{port}/"),
        format!("http://[::1]:{port}/"),
        format!("http://10.255.255.1:{port}/"),
        // IPv6 unique-local and link-local, which Deno's rules cannot hold.
        format!("http://[fd00::1]:{port}/"),
        format!("http://[fe80::1]:{port}/"),
        admin_url(&isola),
    ];
    for target in &targets {
        let result = attack(&isola, "fetch", target);
        assert_eq!(result["ok"], false, "{target}: {result}");
        let error = result["error"].as_str().unwrap();
        assert!(error.contains("not allowed"), "{target}: {error}");
    }
    for target in [
        origin.url().replace("http:", "ws:"),
        format!("ws://[fd00::1]:{port}/"),
    ] {
        let websocket = attack(&isola, "websocket", &target);
        assert_eq!(websocket["ok"], false, "{target}: {websocket}");
        let error = websocket["error"].as_str().unwrap_or_default();
        assert!(error.contains("not allowed"), "{target}: {error}");
    }
    assert!(origin.requests().is_empty(), "{:?}", origin.requests());
}

#[test]
fn an_allowed_address_and_a_workers_own_origin_are_reachable() {
    let origin = Origin::start();
    let allowed = Isola::serve(&[case("confinement").join("isola.toml").to_str().unwrap()]);
    assert_eq!(
        attack(&allowed, "fetch", &origin.url()),
        json!({ "ok": true, "value": 200 }),
        "--allow-net 127.0.0.1"
    );

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("isola.toml");
    let cases = case("confinement");
    std::fs::write(
        &config,
        format!(
            "[[workers]]\npath = \"{}\"\norigin = \"{}\"\n",
            cases.join("attacker").display(),
            origin.url()
        ),
    )
    .unwrap();
    let own = Isola::serve_strict(&[config.to_str().unwrap()]);
    assert_eq!(
        attack(&own, "fetch", &origin.url()),
        json!({ "ok": true, "value": 200 }),
        "its own origin"
    );
    assert_eq!(origin.requests().len(), 2);
}

#[test]
fn isola_dev_reaches_local_origins_as_wrangler_dev_does() {
    let origin = Origin::start();
    let project = crate::support::copy_dir(&case("confinement").join("attacker"));
    let isola = Isola::dev(project.path(), &[]);
    assert_eq!(
        attack(&isola, "fetch", &origin.url()),
        json!({ "ok": true, "value": 200 })
    );
}

#[test]
fn connections_past_the_limit_are_refused_cleanly() {
    use std::io::Read;
    let config = case("confinement").join("isola.toml");
    let isola = Isola::serve_strict(&[config.to_str().unwrap(), "--max-connections", "2"]);
    let held = [isola.connect(), isola.connect()];
    std::thread::sleep(std::time::Duration::from_millis(200));
    let mut extra = isola.connect();
    let mut answer = String::new();
    extra.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer:?}");
    assert!(isola.wait_for_log("connections are open, the most allowed"));
    drop(held);
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(
        isola.get("/victim/seed").text(),
        "seeded",
        "served again once they closed"
    );
}
