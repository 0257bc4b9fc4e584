use std::path::Path;

use super::*;
use crate::d1::{D1Database, ExportOptions, QueryResult, Statement, Value};

const DENIED: &str = "D1_ERROR: not authorized: SQLITE_AUTH";

/// Two Workers' databases side by side, as the state directory keeps them:
/// the victim's holds a secret.
struct Neighbours {
    dir: tempfile::TempDir,
    attacker: D1Database,
}

impl Neighbours {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let victim = D1Database::open(&dir.path().join("victim.sqlite")).unwrap();
        victim
            .exec("CREATE TABLE secret (v TEXT); INSERT INTO secret VALUES ('kept');")
            .unwrap();
        let attacker = D1Database::open(&dir.path().join("attacker.sqlite")).unwrap();
        attacker.exec("CREATE TABLE mine (v TEXT);").unwrap();
        Self { dir, attacker }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_string()
    }

    fn run(&self, sql: &str) -> Result<QueryResult, D1Error> {
        self.attacker.run(&Statement::new(sql, vec![]))
    }

    /// `sql` fails with D1's refusal, whether prepared or exec'd.
    fn refused(&self, sql: &str) {
        let err = self.run(sql).unwrap_err();
        assert_eq!(err.to_string(), DENIED, "{sql}");
        let err = self.attacker.exec(sql).unwrap_err();
        let line = sql.lines().next().unwrap();
        assert_eq!(
            err.to_string(),
            format!("D1_EXEC_ERROR: Error in line 1: {line}: not authorized: SQLITE_AUTH"),
        );
    }

    /// The files in the directory, SQLite's own `-wal`/`-shm` left out.
    fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .filter(|name| !name.ends_with("-wal") && !name.ends_with("-shm"))
            .collect();
        names.sort();
        names
    }

    fn victim_rows(&self) -> Vec<Vec<Value>> {
        let victim = D1Database::open(&self.dir.path().join("victim.sqlite")).unwrap();
        victim
            .run(&Statement::new("SELECT v FROM secret", vec![]))
            .unwrap()
            .rows
    }
}

#[test]
fn attaching_a_neighbours_database_or_a_new_file_is_refused() {
    let db = Neighbours::new();
    let victim = db.path("victim.sqlite");
    db.refused(&format!("ATTACH DATABASE '{victim}' AS v"));
    db.refused(&format!("attach '{victim}' as v"));
    db.refused(&format!("ATTACH 'file:{victim}?mode=rw' AS v"));
    db.refused("ATTACH ':memory:' AS m");
    db.refused("ATTACH '' AS t");
    let created = db.path("created.sqlite");
    db.refused(&format!("ATTACH DATABASE '{created}' AS c"));
    db.refused("DETACH DATABASE main");
    // A path bound as a parameter reaches the authorizer as no name at all.
    let bound = db
        .attacker
        .run(&Statement::new(
            "ATTACH ? AS c",
            vec![Value::Text(created.clone())],
        ))
        .unwrap_err();
    assert_eq!(bound.to_string(), DENIED);
    // After a statement that runs, in the same call.
    let batch = db
        .attacker
        .batch(&[
            Statement::new("INSERT INTO mine VALUES ('x')", vec![]),
            Statement::new(
                format!("ATTACH '{victim}' AS v; DELETE FROM v.secret"),
                vec![],
            ),
        ])
        .unwrap_err();
    assert_eq!(batch.to_string(), DENIED);

    assert_eq!(db.files(), ["attacker.sqlite", "victim.sqlite"]);
    assert_eq!(db.victim_rows(), [vec![Value::Text("kept".into())]]);
    let mine = db.run("SELECT count(*) FROM mine").unwrap();
    assert_eq!(
        mine.rows,
        [vec![Value::Integer(0)]],
        "the batch rolled back"
    );
}

#[test]
fn vacuum_into_a_file_is_refused() {
    let db = Neighbours::new();
    let copy = db.path("copy.sqlite");
    db.refused(&format!("VACUUM INTO '{copy}'"));
    db.refused(&format!("vacuum main into '{copy}'"));
    db.refused(&format!("/* c */ VACUUM -- c\n \"main\" INTO '{copy}';"));
    let bound = db
        .attacker
        .run(&Statement::new(
            "VACUUM INTO ?",
            vec![Value::Text(copy.clone())],
        ))
        .unwrap_err();
    assert_eq!(bound.to_string(), DENIED);
    let later = db
        .run(&format!(
            "INSERT INTO mine VALUES ('y'); VACUUM INTO '{copy}'"
        ))
        .unwrap_err();
    assert_eq!(later.to_string(), DENIED);
    // VACUUM alone is not refused, but cannot run inside the call's
    // transaction (and its own ATTACH would be refused if it could).
    assert_eq!(
        db.run("VACUUM").unwrap_err().to_string(),
        "D1_ERROR: cannot VACUUM from within a transaction: SQLITE_ERROR"
    );
    assert_eq!(db.files(), ["attacker.sqlite", "victim.sqlite"]);
}

#[test]
fn extensions_cannot_be_loaded() {
    let db = Neighbours::new();
    let lib = db.path("evil.so");
    // SQLite's wording for a refused function, as D1 reports it.
    let err = db
        .run(&format!("SELECT load_extension('{lib}')"))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "D1_ERROR: not authorized to use function: load_extension at offset 7: SQLITE_ERROR"
    );
    let err = db
        .run(&format!("SELECT LOAD_EXTENSION('{lib}', 'init')"))
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("D1_ERROR: not authorized to use function: LOAD_EXTENSION"),
        "{err}"
    );
}

#[test]
fn pragmas_that_reach_files_or_the_connection_are_refused() {
    let db = Neighbours::new();
    for sql in [
        "PRAGMA database_list",
        "PRAGMA main.database_list",
        "PRAGMA journal_mode",
        "PRAGMA main.journal_mode = DELETE",
        "PRAGMA journal_mode = OFF",
        "PRAGMA locking_mode = EXCLUSIVE",
        "PRAGMA mmap_size = 268435456",
        "PRAGMA temp_store_directory = '/tmp'",
        "PRAGMA data_store_directory = '/tmp'",
        "PRAGMA temp_store = FILE",
        "PRAGMA wal_checkpoint(TRUNCATE)",
        "PRAGMA writable_schema = ON",
        "PRAGMA schema_version = 1",
        "PRAGMA user_version = 7",
        "PRAGMA busy_timeout = 0",
        "PRAGMA synchronous = OFF",
        "PRAGMA page_count",
        "PRAGMA compile_options",
        "PRAGMA function_list",
        "PRAGMA module_list",
        "PRAGMA data_version = 1",
        "PRAGMA foreign_keys = maybe",
        "PRAGMA optimize = 'all'",
        "PRAGMA table_info",
        "PRAGMA temp.table_info(mine)",
        "PRAGMA no_such_pragma",
    ] {
        db.refused(sql);
    }
    // The same PRAGMAs as table-valued functions.
    for sql in [
        "SELECT file FROM pragma_database_list",
        "SELECT * FROM pragma_journal_mode",
        "SELECT * FROM main.pragma_compile_options",
    ] {
        assert_eq!(db.run(sql).unwrap_err().to_string(), DENIED, "{sql}");
    }
    // Temporary objects would live on the shared connection, in files of
    // their own.
    db.refused("CREATE TEMP TABLE t (x)");
    db.refused("CREATE TEMPORARY VIEW v AS SELECT 1");
    db.refused("CREATE TEMP TRIGGER t AFTER INSERT ON mine BEGIN SELECT 1; END");
    db.refused("CREATE VIRTUAL TABLE r USING rtree(id, x0, x1)");
    assert_eq!(db.files(), ["attacker.sqlite", "victim.sqlite"]);
}

#[test]
fn the_host_scope_does_not_outlast_the_hosts_statements() {
    let db = Neighbours::new();
    // Running statements reads the size through the host's PRAGMAs, and
    // dump serializes through them; a Worker still may not run them after.
    let inserted = db.run("INSERT INTO mine VALUES ('a')").unwrap();
    assert!(inserted.meta.size_after > 0);
    assert!(
        db.attacker
            .dump()
            .unwrap()
            .starts_with(b"SQLite format 3\0")
    );
    db.refused("PRAGMA page_count");
    db.refused("PRAGMA page_size");
    db.refused("PRAGMA main.page_count");
}

#[test]
fn what_workers_do_still_works() {
    let db = Neighbours::new();
    let run = |sql: &str| db.run(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let schema = "CREATE TABLE author (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n\
        CREATE TABLE book (id INTEGER PRIMARY KEY, author_id INTEGER REFERENCES author(id), title TEXT);\n\
        CREATE INDEX book_title ON book (title);\n\
        CREATE VIEW titles AS SELECT title FROM book;\n\
        CREATE TRIGGER named AFTER INSERT ON author BEGIN UPDATE author SET name = upper(name) WHERE id = new.id; END;";
    db.attacker.exec(schema).unwrap();
    db.attacker
        .batch(&[
            Statement::new(
                "INSERT INTO author (name) VALUES (?)",
                vec![Value::Text("ann".into())],
            ),
            Statement::new(
                "INSERT INTO book (author_id, title) VALUES (1, ?)",
                vec![Value::Text("one".into())],
            ),
        ])
        .unwrap();
    let joined = run("SELECT a.name, b.title FROM book b JOIN author a ON a.id = b.author_id");
    assert_eq!(
        joined.rows,
        [vec![Value::Text("ANN".into()), Value::Text("one".into())]]
    );
    run("ALTER TABLE book ADD COLUMN year INTEGER");
    run("ALTER TABLE book RENAME COLUMN year TO published");
    run(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) SELECT i FROM n",
    );
    run("SELECT json_extract('{\"a\":1}', '$.a'), datetime('now'), count(*) FROM titles");
    run("CREATE VIRTUAL TABLE search USING fts5(body)");
    run("INSERT INTO search VALUES ('hello world')");
    let found = run("SELECT body FROM search WHERE search MATCH 'hello'");
    assert_eq!(found.rows.len(), 1);
    run("SAVEPOINT s; INSERT INTO author (name) VALUES ('bo'); ROLLBACK TO s; RELEASE s");

    let info = run("PRAGMA table_info(book)");
    assert_eq!(info.columns[1], "name");
    assert_eq!(info.rows.len(), 4);
    let info = run("SELECT name FROM pragma_table_info('author') ORDER BY cid");
    assert_eq!(
        info.rows,
        [
            vec![Value::Text("id".into())],
            vec![Value::Text("name".into())]
        ]
    );
    assert_eq!(run("PRAGMA foreign_keys").rows, [vec![Value::Integer(1)]]);
    assert_eq!(
        run("PRAGMA main.user_version").rows,
        [vec![Value::Integer(0)]]
    );
    for sql in [
        "PRAGMA foreign_keys = ON",
        "PRAGMA defer_foreign_keys = TRUE",
        "PRAGMA defer_foreign_keys = off",
        "PRAGMA case_sensitive_like = 1",
        "PRAGMA case_sensitive_like = 0",
        "PRAGMA recursive_triggers",
        "PRAGMA table_list",
        "PRAGMA table_list(book)",
        "PRAGMA table_xinfo(book)",
        "PRAGMA index_list(book)",
        "PRAGMA index_info(book_title)",
        "PRAGMA index_xinfo(book_title)",
        "PRAGMA foreign_key_list(book)",
        "PRAGMA foreign_key_check",
        "PRAGMA foreign_key_check(book)",
        "PRAGMA quick_check",
        "PRAGMA quick_check(10)",
        "PRAGMA integrity_check",
        "PRAGMA data_version",
        "PRAGMA optimize",
        "PRAGMA optimize(65538)",
        "PRAGMA main.table_info(author)",
        "PRAGMA TABLE_INFO('author')",
        "SELECT * FROM pragma_foreign_key_list('book')",
    ] {
        if let Err(err) = db.run(sql) {
            panic!("{sql}: {err}");
        }
    }
    assert_eq!(
        run("SELECT name FROM sqlite_schema WHERE type = 'index'").rows,
        [vec![Value::Text("book_title".into())]]
    );
}

#[test]
fn the_hosts_own_work_still_works_on_a_confined_file() {
    let db = Neighbours::new();
    let migrations = tempfile::tempdir().unwrap();
    let m = db.attacker.migrations(migrations.path(), "d1_migrations");
    let first = m.create("notes").unwrap();
    std::fs::write(
        &first,
        "PRAGMA defer_foreign_keys = true;\nCREATE TABLE note (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT);\nINSERT INTO note (body) VALUES ('hi');",
    )
    .unwrap();
    let (applied, failed) = m.apply();
    assert!(failed.is_none(), "{:?}", failed.map(|(_, e)| e.to_string()));
    assert_eq!(applied.len(), 1);

    let sql = db.attacker.export(&ExportOptions::default()).unwrap();
    assert!(
        sql.contains("INSERT INTO \"note\" (\"id\",\"body\") VALUES(1,'hi');"),
        "{sql}"
    );
    let copy = D1Database::open(&db.dir.path().join("copy.sqlite")).unwrap();
    copy.exec(&sql).unwrap();
    let rows = copy
        .run(&Statement::new("SELECT body FROM note", vec![]))
        .unwrap();
    assert_eq!(rows.rows, [vec![Value::Text("hi".into())]]);

    let bytes = db.attacker.dump().unwrap();
    assert!(bytes.starts_with(b"SQLite format 3\0"));
    assert!(bytes.len() >= 4096);
    // Reopening keeps WAL mode and foreign keys, set before confinement.
    let again = D1Database::open(&db.dir.path().join("attacker.sqlite")).unwrap();
    let fk = again
        .run(&Statement::new("PRAGMA foreign_keys", vec![]))
        .unwrap();
    assert_eq!(fk.rows, [vec![Value::Integer(1)]]);
    assert!(Path::new(&db.path("attacker.sqlite-wal")).exists());
}

#[test]
fn pragma_arguments_are_checked() {
    assert!(pragma_may("table_info", Some("t")));
    assert!(pragma_may("Table_Info", Some("t")));
    assert!(!pragma_may("table_info", None));
    assert!(pragma_may("foreign_keys", None));
    assert!(pragma_may("foreign_keys", Some("OFF")));
    assert!(!pragma_may("foreign_keys", Some("2")));
    assert!(pragma_may("optimize", Some("-1")));
    assert!(!pragma_may("optimize", Some("all")));
    assert!(pragma_may("user_version", None));
    assert!(!pragma_may("user_version", Some("1")));
    assert!(pragma_may("quick_check", Some("t")));
    assert!(!pragma_may("database_list", None));
    assert!(!pragma_may("journal_mode", None));
}

#[test]
fn only_vacuum_into_writes_elsewhere() {
    for sql in [
        "VACUUM INTO '/tmp/x'",
        "vacuum into'/tmp/x'",
        "VACUUM main INTO '/tmp/x'",
        "VACUUM \"main\" INTO ?",
        "VACUUM [main] into ('/tmp/' || 'x')",
        "  -- note\n/* more */ VACUUM\tINTO '/tmp/x';",
        "VACUUM main main",
        "VACUUM 'main' (",
    ] {
        assert!(writes_elsewhere(sql), "{sql}");
    }
    for sql in [
        "VACUUM",
        "VACUUM;",
        "vacuum main",
        "VACUUM \"into\"",
        "VACUUM `x` ; -- INTO",
        "SELECT 'VACUUM INTO'",
        "EXPLAIN VACUUM INTO '/tmp/x'",
        "INSERT INTO vacuum VALUES (1)",
    ] {
        assert!(!writes_elsewhere(sql), "{sql}");
    }
}

#[test]
fn host_tables_are_the_hosts_alone() {
    let db = crate::d1::D1Database::memory().unwrap();
    let statement = |sql: &str| crate::d1::Statement::new(sql, Vec::new());
    db.batch_as_host(&[statement(
        "CREATE TABLE _cf_KV (key TEXT PRIMARY KEY, value BLOB)",
    )])
    .unwrap();
    db.batch_as_host(&[statement("INSERT INTO _cf_KV VALUES ('k', 'v')")])
        .unwrap();
    for sql in [
        "SELECT * FROM _cf_KV",
        "select value from _CF_kv",
        "DELETE FROM _cf_KV",
        "UPDATE _cf_KV SET value = 1",
        "INSERT INTO _cf_KV VALUES ('x', 'y')",
        "DROP TABLE _cf_KV",
        "CREATE TABLE _cf_mine (x)",
        "CREATE INDEX i ON _cf_KV (value)",
        "CREATE TRIGGER t AFTER INSERT ON _cf_KV BEGIN SELECT 1; END",
        "ALTER TABLE _cf_KV RENAME TO stolen",
        "PRAGMA table_info(_cf_KV)",
        "PRAGMA index_list('_cf_KV')",
    ] {
        let error = db.run(&statement(sql)).unwrap_err();
        assert!(error.to_string().contains("SQLITE_AUTH"), "{sql}: {error}");
    }
    // The host's statement was not cached where a Worker's text finds it.
    let seen = db
        .batch_as_host(&[statement("SELECT value FROM _cf_KV")])
        .unwrap();
    assert_eq!(seen[0].rows.len(), 1);
    assert!(db.run(&statement("SELECT value FROM _cf_KV")).is_err());
    // Tables of the Worker's own remain its own.
    db.run(&statement("CREATE TABLE cf_not_reserved (x)"))
        .unwrap();
}

#[test]
fn a_spanning_savepoint_commits_or_rolls_back_the_calls_inside_it() {
    use crate::d1::SavepointStep;
    let db = crate::d1::D1Database::memory().unwrap();
    let statement = |sql: &str| crate::d1::Statement::new(sql, Vec::new());
    db.run(&statement("CREATE TABLE t (x)")).unwrap();
    db.savepoint(SavepointStep::Begin).unwrap();
    db.run(&statement("INSERT INTO t VALUES (1)")).unwrap();
    db.savepoint(SavepointStep::RollBack).unwrap();
    db.savepoint(SavepointStep::Begin).unwrap();
    db.run(&statement("INSERT INTO t VALUES (2)")).unwrap();
    db.savepoint(SavepointStep::Release).unwrap();
    let rows = db.run(&statement("SELECT x FROM t")).unwrap().rows;
    assert_eq!(rows, vec![vec![crate::d1::Value::Integer(2)]]);
}

#[test]
fn gathered_writes_commit_or_roll_back_together_around_savepoints() {
    use crate::d1::SavepointStep;
    let db = crate::d1::D1Database::memory().unwrap();
    let statement = |sql: &str| crate::d1::Statement::new(sql, Vec::new());
    let count = || db.run(&statement("SELECT count(*) FROM t")).unwrap().rows;
    db.run(&statement("CREATE TABLE t (x)")).unwrap();
    // Writes gathered, a savepoint inside rolled back, the rest committed.
    db.savepoint(SavepointStep::BeginWrites).unwrap();
    db.run(&statement("INSERT INTO t VALUES (1)")).unwrap();
    db.savepoint(SavepointStep::Begin).unwrap();
    db.run(&statement("INSERT INTO t VALUES (2)")).unwrap();
    db.savepoint(SavepointStep::RollBack).unwrap();
    assert!(db.run(&statement("INSERT INTO nope VALUES (3)")).is_err());
    db.savepoint(SavepointStep::CommitWrites).unwrap();
    assert_eq!(count(), vec![vec![crate::d1::Value::Integer(1)]]);
    // Gathered writes dropped whole.
    db.savepoint(SavepointStep::BeginWrites).unwrap();
    db.run(&statement("INSERT INTO t VALUES (4)")).unwrap();
    db.run(&statement("INSERT INTO t VALUES (5)")).unwrap();
    db.savepoint(SavepointStep::RollBackWrites).unwrap();
    assert_eq!(count(), vec![vec![crate::d1::Value::Integer(1)]]);
}
