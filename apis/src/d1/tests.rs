//! D1: a todo API Worker on a real SQLite file, its schema from migrations
//! applied with `isola d1`; every method and error; batches that fail leave
//! no rows; data survives a restart; the CLI beside a running server.

use std::path::Path;

use serde_json::{Value, json};
use crate::support::{Isola, case, request};

fn project() -> String {
    case("d1-todo").to_str().unwrap().to_string()
}

/// Runs `isola d1 <args> --config <project> --persist-to <state>`.
fn d1(state: &Path, config: &str, args: &[&str]) -> crate::support::Exit {
    let mut all = vec!["d1"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--config", config, "--persist-to", state.to_str().unwrap()]);
    crate::support::run(&all)
}

/// A state directory with the project's migrations applied.
fn migrated() -> tempfile::TempDir {
    let state = tempfile::tempdir().unwrap();
    let apply = d1(
        state.path(),
        &project(),
        &["migrations", "apply", "todo-db"],
    );
    assert!(apply.status.success(), "{}{}", apply.stdout, apply.stderr);
    state
}

fn post(isola: &Isola, path: &str, body: Value) -> crate::support::Reply {
    request(
        "POST",
        &isola.url(path),
        &[("content-type", "application/json")],
        Some(body.to_string().as_bytes()),
    )
}

#[test]
fn migrations_list_and_apply_in_order() {
    let state = tempfile::tempdir().unwrap();
    let list = d1(state.path(), &project(), &["migrations", "list", "todo-db"]);
    assert!(list.status.success(), "{}", list.stderr);
    assert!(
        list.stdout.contains("0001_create_todos.sql"),
        "{}",
        list.stdout
    );
    assert!(
        list.stdout.contains("0002_add_owners.sql"),
        "{}",
        list.stdout
    );

    let apply = d1(
        state.path(),
        &project(),
        &["migrations", "apply", "todo-db"],
    );
    assert!(apply.status.success(), "{}", apply.stderr);
    assert!(
        apply.stdout.contains("✅ 0001_create_todos.sql"),
        "{}",
        apply.stdout
    );
    assert!(
        apply.stdout.contains("✅ 0002_add_owners.sql"),
        "{}",
        apply.stdout
    );

    let again = d1(state.path(), &project(), &["migrations", "list", "todo-db"]);
    assert!(
        again.stdout.contains("No migrations to apply"),
        "{}",
        again.stdout
    );
    let tracked = d1(
        state.path(),
        &project(),
        &[
            "execute",
            "todo-db",
            "--command",
            "SELECT name FROM d1_migrations ORDER BY id",
            "--json",
        ],
    );
    let tracked: Value = serde_json::from_str(&tracked.stdout).unwrap();
    assert_eq!(
        tracked[0]["results"],
        json!([{"name": "0001_create_todos.sql"}, {"name": "0002_add_owners.sql"}])
    );
    assert!(
        state.path().join("d1/7a3c9e5e-todo.sqlite").is_file(),
        "one file per database, named by its id"
    );
}

#[test]
fn a_failed_migration_leaves_the_database_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("project");
    std::fs::create_dir_all(copy.join("migrations")).unwrap();
    for file in [
        "wrangler.toml",
        "worker.js",
        "migrations/0001_create_todos.sql",
    ] {
        std::fs::copy(case("d1-todo").join(file), copy.join(file)).unwrap();
    }
    let config = copy.to_str().unwrap();
    let state = dir.path().join("state");
    assert!(
        d1(&state, config, &["migrations", "apply", "todo-db"])
            .status
            .success()
    );

    let create = d1(
        &state,
        config,
        &["migrations", "create", "todo-db", "seed and break"],
    );
    assert!(create.status.success(), "{}", create.stderr);
    let file = copy.join("migrations/0002_seed_and_break.sql");
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .starts_with("-- Migration number: 0002 \t ")
    );
    std::fs::write(
        &file,
        "INSERT INTO todos (title) VALUES ('seeded');\nINSERT INTO missing VALUES (1);",
    )
    .unwrap();

    let apply = d1(&state, config, &["migrations", "apply", "todo-db"]);
    assert!(!apply.status.success());
    assert!(
        apply.stdout.contains("❌ 0002_seed_and_break.sql"),
        "{}",
        apply.stdout
    );
    assert!(
        apply.stderr.contains("no such table: missing"),
        "{}",
        apply.stderr
    );
    let count = d1(
        &state,
        config,
        &[
            "execute",
            "todo-db",
            "--command",
            "SELECT count(*) AS n FROM todos",
            "--json",
        ],
    );
    let count: Value = serde_json::from_str(&count.stdout).unwrap();
    assert_eq!(
        count[0]["results"][0]["n"], 0,
        "the half-run migration left no row"
    );
    let list = d1(&state, config, &["migrations", "list", "todo-db"]);
    assert!(
        list.stdout.contains("0002_seed_and_break.sql"),
        "still pending: {}",
        list.stdout
    );
}

#[test]
fn the_todo_api_creates_reads_updates_and_deletes() {
    let state = migrated();
    let isola = Isola::serve_in(&[&project()], state.path());

    let created = post(&isola, "/todos", json!({"title": "write tests"}));
    assert_eq!(created.status, 201);
    let created = created.json();
    assert_eq!(created["id"], 1);
    assert_eq!(created["success"], true);
    let meta = &created["meta"];
    assert_eq!(meta["changes"], 1);
    assert_eq!(meta["last_row_id"], 1);
    assert_eq!(meta["changed_db"], true);
    assert_eq!(meta["rows_written"], 1);
    for field in ["duration", "size_after", "rows_read"] {
        assert!(meta[field].is_number(), "meta.{field}: {meta}");
    }
    post(&isola, "/todos", json!({"title": "ship"}));

    let all = isola.get("/todos").json();
    assert_eq!(
        all["results"],
        json!([{"id": 1, "title": "write tests", "done": 0}, {"id": 2, "title": "ship", "done": 0}])
    );
    assert_eq!(all["success"], true);
    assert_eq!(
        isola.get("/todos/2").json(),
        json!({"id": 2, "title": "ship", "done": 0})
    );
    assert_eq!(isola.get("/todos/2/title").json(), "ship");
    assert_eq!(isola.get("/todos/99").status, 404);

    let patched = request(
        "PATCH",
        &isola.url("/todos/1"),
        &[],
        Some(br#"{"done": true}"#),
    )
    .json();
    assert_eq!(patched, json!({"changes": 1, "changed_db": true}));
    assert_eq!(
        isola.get("/todos/1").json()["done"],
        1,
        "true is stored as 1"
    );
    let deleted = request("DELETE", &isola.url("/todos/2"), &[], None).json();
    assert_eq!(deleted, json!({"changes": 1}));
    assert_eq!(
        isola.get("/todos").json()["results"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_batch_is_one_transaction() {
    let state = migrated();
    let isola = Isola::serve_in(&[&project()], state.path());
    let ok = post(&isola, "/batch", json!({"titles": ["a", "b"]}));
    assert_eq!(ok.json(), json!({"inserted": [1, 2]}));
    let failed = post(&isola, "/batch", json!({"titles": ["c", "d", "a"]}));
    assert_eq!(failed.status, 409);
    let failed = failed.json();
    assert_eq!(
        failed["error"],
        "D1_ERROR: UNIQUE constraint failed: todos.title: SQLITE_CONSTRAINT"
    );
    assert_eq!(
        failed["cause"],
        "UNIQUE constraint failed: todos.title: SQLITE_CONSTRAINT"
    );
    let titles: Vec<Value> = isola.get("/todos").json()["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].clone())
        .collect();
    assert_eq!(
        titles,
        [json!("a"), json!("b")],
        "no partial rows from the failed batch"
    );
}

#[test]
fn values_bind_and_read_back_as_d1_types_them() {
    let state = migrated();
    let isola = Isola::serve_in(&[&project()], state.path());
    let seen = isola.get("/scenario/bind").json();
    assert_eq!(
        seen["row"],
        json!({"title": "typed", "done": 1, "owner_id": 7, "attachment": [1, 2, 250]})
    );
    assert_eq!(seen["buffer"], json!([1, 2, 250]));
    assert_eq!(seen["array"], json!([9, 8]));
    assert_eq!(
        seen["raw"],
        json!([["typed", 1], ["buffer", 0], ["array", 0]])
    );
    assert_eq!(seen["rawWithNames"], json!([["title"], ["typed"]]));
    assert_eq!(
        seen["unboundStatementKept"], 0,
        "bind() returns a new statement"
    );
    assert_eq!(seen["float"], 2.5);
    assert_eq!(seen["none"], Value::Null);
    assert_eq!(
        seen["noneColumn"],
        Value::Null,
        "no rows: null, even for a missing column"
    );
}

#[test]
fn sql_that_d1_accepts_runs_here_too() {
    let state = migrated();
    let isola = Isola::serve_in(&[&project()], state.path());
    let seen = isola.get("/scenario/dialect").json();
    assert_eq!(seen["deleteLimit"], json!({"ok": 1}), "{seen}");
    assert_eq!(
        seen["deleteReturningLimit"],
        json!({"ok": [{"title": "l4", "tag": "gone"}]}),
        "the highest id, its parameters bound where they were written"
    );
    assert_eq!(seen["updateLimit"], json!({"ok": 1}), "{seen}");
    assert_eq!(seen["left"], json!([["l2", 1], ["l3", 0]]));
    assert_eq!(seen["json"], json!({"ok": {"v": 2}}));
    assert_eq!(seen["math"], json!({"ok": {"root": 4, "pi": 3, "log": 3}}));
    assert_eq!(seen["fts5"], json!({"ok": [{"body": "the quick brown fox"}]}));
}

#[test]
fn errors_come_back_shaped_like_d1s() {
    let state = migrated();
    let isola = Isola::serve_in(&[&project()], state.path());
    let seen = isola.get("/scenario/errors").json();
    let error = |field: &str| seen[field]["error"].clone();
    assert_eq!(
        error("syntax"),
        json!({"name": "Error", "message": "D1_ERROR: near \"SELEC\": syntax error at offset 0: SQLITE_ERROR", "cause": "near \"SELEC\": syntax error at offset 0: SQLITE_ERROR"})
    );
    assert_eq!(
        error("noTable")["message"],
        "D1_ERROR: no such table: nope: SQLITE_ERROR"
    );
    assert_eq!(
        error("unique")["message"],
        "D1_ERROR: UNIQUE constraint failed: todos.title: SQLITE_CONSTRAINT"
    );
    assert_eq!(
        error("notNull")["message"],
        "D1_ERROR: NOT NULL constraint failed: todos.title: SQLITE_CONSTRAINT"
    );
    assert_eq!(
        error("foreignKey")["message"],
        "D1_ERROR: FOREIGN KEY constraint failed: SQLITE_CONSTRAINT"
    );
    assert_eq!(
        error("bindCount")["message"],
        "D1_ERROR: Wrong number of parameter bindings for SQL query."
    );
    assert_eq!(
        error("undefinedValue"),
        json!({"name": "Error", "message": "D1_TYPE_ERROR: Type 'undefined' not supported for value 'undefined'", "cause": "Type 'undefined' not supported for value 'undefined'"})
    );
    assert_eq!(
        error("objectValue")["message"],
        "D1_TYPE_ERROR: Type 'object' not supported for value '[object Object]'"
    );
    assert_eq!(
        error("bigintValue")["message"],
        "D1_TYPE_ERROR: Type 'bigint' not supported for value '5'"
    );
    assert_eq!(
        error("missingColumn"),
        json!({"name": "Error", "message": "D1_COLUMN_NOTFOUND: Column not found (nope)", "cause": "Column not found"})
    );
    assert_eq!(
        error("exec")["message"],
        "D1_EXEC_ERROR: Error in line 1: INSERT INTO todos (title) VALUES ('e1');: no such table: nowhere: SQLITE_ERROR"
    );
    assert_eq!(
        error("empty")["message"],
        "D1_ERROR: No SQL statements detected."
    );
    assert_eq!(seen["stillThere"], 0, "the failed exec changed nothing");
    // The database and host are fine afterwards.
    assert_eq!(
        post(&isola, "/todos", json!({"title": "after errors"})).status,
        201
    );
}

#[test]
fn exec_dump_and_sessions() {
    let state = migrated();
    let isola = Isola::serve_in(&[&project()], state.path());
    assert_eq!(
        isola.get("/scenario/exec").json(),
        json!({"count": 3, "durationIsNumber": true})
    );
    assert_eq!(
        isola.get("/scenario/dump").json()["header"],
        "SQLite format 3"
    );
    assert_eq!(
        isola.get("/scenario/session").json(),
        json!({"row": {"one": 1}, "bookmark": null, "given": "0000001a-00000002"})
    );
}

#[test]
fn data_survives_a_restart() {
    let state = migrated();
    {
        let isola = Isola::serve_in(&[&project()], state.path());
        assert_eq!(
            post(&isola, "/todos", json!({"title": "durable"})).status,
            201
        );
    }
    let isola = Isola::serve_in(&[&project()], state.path());
    assert_eq!(isola.get("/todos/1").json()["title"], "durable");
}

#[test]
fn the_cli_works_beside_a_running_server() {
    let state = migrated();
    let isola = Isola::serve_in(&[&project()], state.path());
    post(&isola, "/todos", json!({"title": "from the worker"}));

    let insert = d1(
        state.path(),
        &project(),
        &[
            "execute",
            "todo-db",
            "--command",
            "INSERT INTO todos (title, done) VALUES ('from the cli', 1)",
        ],
    );
    assert!(insert.status.success(), "{}", insert.stderr);
    assert!(
        insert.stdout.contains("1 command(s) executed successfully"),
        "{}",
        insert.stdout
    );
    assert_eq!(
        isola.get("/todos/2").json(),
        json!({"id": 2, "title": "from the cli", "done": 1}),
        "the server sees the CLI's write at once"
    );

    let json = d1(
        state.path(),
        &project(),
        &[
            "execute",
            "todo-db",
            "--command",
            "SELECT title FROM todos ORDER BY id; SELECT 1 AS one",
            "--json",
        ],
    );
    assert!(json.status.success(), "{}", json.stderr);
    let results: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        results[0]["results"],
        json!([{"title": "from the worker"}, {"title": "from the cli"}])
    );
    assert_eq!(results[0]["success"], true);
    assert!(results[0]["meta"]["duration"].is_number());
    assert_eq!(results[1]["results"], json!([{"one": 1}]));

    let bad = d1(
        state.path(),
        &project(),
        &[
            "execute",
            "todo-db",
            "--command",
            "SELECT * FROM nope",
            "--json",
        ],
    );
    assert!(!bad.status.success());
    let bad: Value = serde_json::from_str(&bad.stdout).unwrap();
    assert_eq!(
        bad,
        json!({"error": {"text": "no such table: nope: SQLITE_ERROR"}})
    );

    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("dump.sql");
    let export = d1(
        state.path(),
        &project(),
        &["export", "todo-db", "--output", output.to_str().unwrap()],
    );
    assert!(export.status.success(), "{}", export.stderr);
    let sql = std::fs::read_to_string(&output).unwrap();
    assert!(
        sql.starts_with("PRAGMA defer_foreign_keys=TRUE;\n"),
        "{sql}"
    );
    assert!(sql.contains("CREATE TABLE IF NOT EXISTS todos"), "{sql}");
    assert!(sql.contains("INSERT INTO \"todos\" (\"id\",\"title\",\"done\",\"owner_id\",\"attachment\") VALUES(2,'from the cli',1,NULL,NULL);"), "{sql}");
    assert!(
        sql.contains("INSERT INTO \"d1_migrations\""),
        "the migrations table is exported too: {sql}"
    );

    let unknown = d1(
        state.path(),
        &project(),
        &["execute", "nope-db", "--command", "SELECT 1"],
    );
    assert!(
        unknown
            .stderr
            .contains("no D1 database is named \"nope-db\""),
        "{}",
        unknown.stderr
    );
}

#[test]
fn a_statement_stops_when_its_client_leaves() {
    let state = migrated();
    let isola = Isola::serve_in(&[&project()], state.path());
    let impatient = ureq::AgentBuilder::new()
        .timeout(std::time::Duration::from_millis(500))
        .build();
    assert!(impatient.get(&isola.url("/scenario/forever")).call().is_err());
    // The endless statement held the database; it is stopped and the
    // database free again long before D1's 30 s statement limit.
    let patient = ureq::AgentBuilder::new()
        .timeout(std::time::Duration::from_secs(10))
        .build();
    let listed = patient.get(&isola.url("/todos")).call();
    assert!(listed.is_ok(), "the database stayed busy: {listed:?}");
}
