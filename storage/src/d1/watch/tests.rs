use std::time::{Duration, Instant};

use crate::d1::{
    CancelToken, D1Database, D1Error, DEFAULT_RESULT_LIMIT, DEFAULT_TIMEOUT, ExportOptions, Limits,
    Statement, Value,
};

const ENDLESS: &str =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
const ENDLESS_INSERT: &str =
    "INSERT INTO t WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c";
const TIMED_OUT: &str =
    "D1_ERROR: the statement exceeded the 200 ms limit and was interrupted: SQLITE_INTERRUPT";
const CANCELLED: &str = "D1_ERROR: the statement was cancelled: SQLITE_INTERRUPT";
const TOO_LARGE: &str = "D1_ERROR: the result is larger than the 1 MiB limit: SQLITE_TOOBIG";

/// A database file with table `t` (one row), and a handle on it that may
/// run for 200 ms and read 1 MiB.
fn database(dir: &tempfile::TempDir) -> D1Database {
    let mut db = D1Database::open(&dir.path().join("db.sqlite")).unwrap();
    db.exec("CREATE TABLE t (v); INSERT INTO t VALUES (1);")
        .unwrap();
    db.set_timeout(Duration::from_millis(200));
    db.set_result_limit(1024 * 1024);
    db
}

fn sql(sql: &str) -> Statement {
    Statement::new(sql, vec![])
}

fn count(db: &D1Database) -> Value {
    db.run(&sql("SELECT count(*) FROM t")).unwrap().rows[0][0].clone()
}

#[test]
fn defaults_are_d1s() {
    let db = D1Database::memory().unwrap();
    assert_eq!(db.limits(), Limits::default());
    assert_eq!(db.limits().timeout, DEFAULT_TIMEOUT);
    assert_eq!(
        D1Error::Timeout(DEFAULT_TIMEOUT).to_string(),
        "D1_ERROR: the statement exceeded the 30 s limit and was interrupted: SQLITE_INTERRUPT"
    );
    assert_eq!(
        D1Error::ResultTooLarge(DEFAULT_RESULT_LIMIT).to_string(),
        "D1_ERROR: the result is larger than the 100 MiB limit: SQLITE_TOOBIG"
    );
}

#[test]
fn an_endless_query_times_out_and_leaves_the_database_usable() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(&dir);
    for statement in [ENDLESS, ENDLESS_INSERT] {
        let started = Instant::now();
        let err = db
            .batch(&[sql("INSERT INTO t VALUES (2)"), sql(statement)])
            .unwrap_err();
        let took = started.elapsed();
        assert_eq!(err.to_string(), TIMED_OUT, "{statement}");
        assert!(took >= Duration::from_millis(200), "{took:?}");
        assert!(took < Duration::from_secs(2), "{took:?}");
        assert_eq!(count(&db), Value::Integer(1), "rolled back: {statement}");
    }
    // No lock is left: another connection writes at once.
    let other = D1Database::open(&dir.path().join("db.sqlite")).unwrap();
    other.run(&sql("INSERT INTO t VALUES (3)")).unwrap();
    assert_eq!(count(&db), Value::Integer(2));
    let err = db.exec(ENDLESS).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "D1_EXEC_ERROR: Error in line 1: {ENDLESS}: {}",
            &TIMED_OUT[10..]
        )
    );
    let err = db.script(&format!("SELECT 1; {ENDLESS}")).unwrap_err();
    assert_eq!(err.to_string(), TIMED_OUT);
}

#[test]
fn the_time_limit_is_for_the_whole_call() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = database(&dir);
    let unbounded = {
        let mut db = db.clone();
        db.set_limits(Limits {
            timeout: Duration::from_secs(30),
            ..db.limits()
        });
        db
    };
    // A statement that takes 10 to 80 ms here, so well under the limit.
    let mut rows = 20_000u64;
    let (statement, took) = loop {
        let statement = sql(&format!(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT {rows}) SELECT count(*) FROM c"
        ));
        let started = Instant::now();
        unbounded.run(&statement).unwrap();
        let took = started.elapsed();
        if took >= Duration::from_millis(10) && took <= Duration::from_millis(80) {
            break (statement, took);
        }
        assert!(rows < 1 << 40, "cannot calibrate: {took:?}");
        rows = if took < Duration::from_millis(10) {
            rows * 2
        } else {
            rows * 2 / 3
        };
    };
    // Enough of them to take a second or more together.
    let n = (Duration::from_secs(1).as_nanos() / took.as_nanos()) as usize + 1;
    let batch = vec![statement; n];
    let err = db.batch(&batch).unwrap_err();
    assert_eq!(err.to_string(), TIMED_OUT, "{n} statements of {took:?}");
    db.set_timeout(Duration::from_secs(30));
    assert_eq!(db.batch(&batch).unwrap().len(), n);
}

#[test]
fn a_result_past_the_limit_fails_and_leaves_the_database_usable() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(&dir);
    let big = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 50000) \
               SELECT randomblob(1000) FROM c";
    let err = db
        .batch(&[sql("INSERT INTO t VALUES (2)"), sql(big)])
        .unwrap_err();
    assert_eq!(err.to_string(), TOO_LARGE);
    assert_eq!(count(&db), Value::Integer(1), "rolled back");
    let err = db.exec(big).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "D1_EXEC_ERROR: Error in line 1: {big}: {}",
            &TOO_LARGE[10..]
        )
    );
    // The limit is for the call: two halves fail together, pass apart.
    let half = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 600) \
                SELECT randomblob(1000) FROM c";
    assert_eq!(db.run(&sql(half)).unwrap().rows.len(), 600);
    let err = db.batch(&[sql(half), sql(half)]).unwrap_err();
    assert_eq!(err.to_string(), TOO_LARGE);
    // Numbers count 8 bytes each.
    let numbers = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 140000) \
                   SELECT x FROM c";
    assert_eq!(
        db.run(&sql(numbers)).unwrap_err().to_string(),
        TOO_LARGE,
        "140000 x 8 bytes"
    );
    let other = D1Database::open(&dir.path().join("db.sqlite")).unwrap();
    other.run(&sql("INSERT INTO t VALUES (3)")).unwrap();
    assert_eq!(count(&db), Value::Integer(2));
}

#[test]
fn export_is_not_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = database(&dir);
    db.exec("INSERT INTO t SELECT randomblob(100) FROM t;")
        .unwrap();
    db.set_result_limit(16);
    assert!(db.run(&sql("SELECT * FROM t")).is_err());
    let sql = db.export(&ExportOptions::default()).unwrap();
    assert!(sql.contains("INSERT INTO"), "{sql}");
}

#[test]
fn cancelling_stops_a_running_call_from_another_thread() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = database(&dir);
    db.set_timeout(DEFAULT_TIMEOUT);
    let plain = db.clone();
    let cancel = CancelToken::new();
    db.set_cancel(cancel.clone());
    let running = std::thread::spawn(move || {
        let err = db.run(&sql(ENDLESS)).unwrap_err();
        (err, Instant::now(), db)
    });
    std::thread::sleep(Duration::from_millis(100));
    assert!(!running.is_finished(), "the query runs until cancelled");
    let cancelled = Instant::now();
    cancel.cancel();
    let (err, stopped, db) = running.join().unwrap();
    assert_eq!(err.to_string(), CANCELLED);
    assert!(
        stopped.duration_since(cancelled) < Duration::from_secs(1),
        "{:?}",
        stopped.duration_since(cancelled)
    );
    // The cancelled handle fails at once; other handles work.
    assert!(cancel.is_cancelled());
    assert_eq!(db.run(&sql("SELECT 1")).unwrap_err().to_string(), CANCELLED);
    assert_eq!(count(&plain), Value::Integer(1));
}
