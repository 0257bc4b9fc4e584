//! `isola dev` on a Workers project as wrangler would run it: a TypeScript
//! entry importing a package from `node_modules`, KV, D1 with migrations,
//! secrets in `.dev.vars`, a cron trigger; edits picked up live, broken
//! edits kept out, scheduled events run by hand.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::{Isola, PATIENCE, copy_case, eventually, run_in};

/// Waits until `GET /` answers with `message`; panics with the server's log
/// if it never does.
fn wait_for_message(isola: &Isola, message: &str) -> serde_json::Value {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let reply = isola.get("/");
        if reply.status == 200 && reply.json()["message"] == message {
            return reply.json();
        }
        assert!(
            Instant::now() < deadline,
            "the edit was not picked up; last reply {} {}, log:\n{}",
            reply.status,
            reply.text(),
            isola.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn edit(project: &Path, file: &str, text: &str) {
    std::fs::write(project.join(file), text).unwrap();
}

/// A project with its D1 migrations applied, as `wrangler d1 migrations
/// apply --local` leaves it.
fn migrated_project() -> tempfile::TempDir {
    let project = copy_case("dev-project");
    let applied = run_in(project.path(), &["d1", "migrations", "apply", "notes-db"]);
    assert!(applied.status.success(), "{}", applied.stderr);
    project
}

#[test]
fn serves_a_typescript_project_with_its_bindings() {
    let project = migrated_project();
    let isola = Isola::dev(project.path(), &[]);
    let log = isola.log();
    assert!(
        log.contains("Your Worker has access to the following bindings:"),
        "{log}"
    );
    assert!(log.contains("env.CACHE (notes-cache)"), "{log}");
    assert!(log.contains("env.DB (notes-db)"), "{log}");
    assert!(log.contains("env.API_TOKEN (\"(hidden)\")"), "{log}");
    assert!(!log.contains("dev-token"), "secrets are not printed");

    let first = isola.get("/").json();
    assert_eq!(first["message"], "v1", "{first}");
    assert_eq!(first["greeting"], "hello", "[vars]");
    assert_eq!(first["token"], "dev-token", ".dev.vars");
    assert_eq!(first["notes"][0], "first note", "D1 after migrations");
    assert_eq!(first["colo"], "AMS", "[dev] cf");
    assert_eq!(first["country"], "NL");
    assert_eq!(first["visits"], 1);
    assert_eq!(isola.get("/").json()["visits"], 2, "KV");
    assert!(isola.wait_for_log("GET / 200 OK ("), "one line per request");

    // An uncaught error: a dev error page, the stack pointing at the .ts line.
    let thrown = isola.get("/throw");
    assert_eq!(thrown.status, 500);
    assert!(thrown.text().contains("thrown from TypeScript"));
    assert!(
        thrown.text().contains("src/index.ts:31:9"),
        "{}",
        thrown.text()
    );
    assert!(isola.wait_for_log("[notes] Uncaught Error: thrown from TypeScript"));
}

#[test]
fn a_script_named_on_the_command_line_runs_under_the_config_beside_it() {
    let project = migrated_project();
    let config = std::fs::read_to_string(project.path().join("wrangler.toml")).unwrap();
    edit(
        project.path(),
        "wrangler.toml",
        &config.replace("main = \"src/index.ts\"\n", ""),
    );
    let isola = Isola::dev_in(project.path(), &["src/index.ts"]);
    let seen = isola.get("/").json();
    assert_eq!(seen["greeting"], "hello", "[vars] from wrangler.toml");
    assert_eq!(seen["token"], "dev-token", ".dev.vars beside it");
    assert_eq!(seen["notes"][0], "first note", "its D1 binding");
}

#[test]
fn edits_reload_and_broken_edits_keep_the_last_good_version() {
    let project = migrated_project();
    let isola = Isola::dev(project.path(), &[]);
    assert_eq!(isola.get("/").json()["message"], "v1");

    edit(
        project.path(),
        "src/message.ts",
        "export const message: string = \"v2\";\n",
    );
    wait_for_message(&isola, "v2");

    edit(
        project.path(),
        "src/message.ts",
        "export const message = \"v3\"; oops(\n",
    );
    assert!(
        isola.wait_for_log("src/message.ts:1:"),
        "the error names file and line:\n{}",
        isola.log()
    );
    assert!(isola.wait_for_log("still serving the last version that loaded"));
    for _ in 0..5 {
        let reply = isola.get("/");
        assert_eq!(reply.status, 200);
        assert_eq!(reply.json()["message"], "v2");
    }

    edit(
        project.path(),
        "src/message.ts",
        "export const message = \"v4\";\n",
    );
    let fixed = wait_for_message(&isola, "v4");
    assert_eq!(fixed["notes"][0], "first note", "bindings survive reloads");

    // Editing the config reloads too: vars change.
    let config = std::fs::read_to_string(project.path().join("wrangler.toml")).unwrap();
    edit(
        project.path(),
        "wrangler.toml",
        &config.replace("GREETING = \"hello\"", "GREETING = \"bonjour\""),
    );
    assert!(
        eventually(|| isola.get("/").json()["greeting"] == "bonjour"),
        "config edit not picked up"
    );
}

#[test]
fn scheduled_events_run_by_hand() {
    let project = migrated_project();
    let isola = Isola::dev(project.path(), &["--test-scheduled"]);
    assert_eq!(isola.get("/last-cron").text(), "none");

    let ran = isola.get("/__scheduled?cron=*/5+*+*+*+*");
    assert_eq!(ran.status, 200);
    assert_eq!(ran.text(), "Ran scheduled event");
    assert_eq!(ran.header("content-type"), Some("text/plain;charset=UTF-8"));
    assert_eq!(
        isola.get("/last-cron").text(),
        "*/5 * * * *",
        "the handler's ctx.waitUntil work is done"
    );

    let ran = isola.get("/cdn-cgi/handler/scheduled?cron=0+12+*+*+1");
    assert_eq!((ran.status, ran.text().as_str()), (200, "ok"));
    assert_eq!(ran.header("content-type"), Some("text/plain;charset=UTF-8"));
    assert_eq!(isola.get("/last-cron").text(), "0 12 * * 1");
}

#[test]
fn command_line_vars_override_and_environments_select() {
    let project = migrated_project();
    let config = std::fs::read_to_string(project.path().join("wrangler.toml")).unwrap();
    edit(
        project.path(),
        "wrangler.toml",
        &format!(
            "{config}\n[env.staging]\nvars = {{ GREETING = \"staging\" }}\n\
             kv_namespaces = [{{ binding = \"CACHE\", id = \"staging-cache\" }}]\n\
             d1_databases = [{{ binding = \"DB\", database_name = \"notes-db\", database_id = \"7c1e0bd4-notes\" }}]\n\
             unknown_field = 1\n"
        ),
    );
    edit(
        project.path(),
        ".dev.vars.staging",
        "API_TOKEN=staging-token\n",
    );
    let isola = Isola::dev(
        project.path(),
        &["--env", "staging", "--var", "EXTRA:from the command line"],
    );
    assert!(isola.log().contains("env.CACHE (staging-cache)"));
    assert!(
        isola
            .log()
            .contains("env.EXTRA (\"from the command line\")")
    );
    let reply = isola.get("/").json();
    assert_eq!(reply["greeting"], "staging");
    assert_eq!(reply["token"], "staging-token");
    assert!(
        isola.wait_for_log("Unexpected fields found in top-level field: \"unknown_field\""),
        "{}",
        isola.log()
    );
}
