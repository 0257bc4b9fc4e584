use std::sync::atomic::{AtomicBool, Ordering};

use object_store::memory::InMemory;

use super::*;
use crate::d1::{Statement, Value};

/// A lease that holds until it is taken away.
struct Lease {
    token: u64,
    held: AtomicBool,
}

impl Lease {
    fn new(token: u64) -> Arc<Self> {
        Arc::new(Self {
            token,
            held: AtomicBool::new(true),
        })
    }
}

impl Fence for Lease {
    fn token(&self) -> u64 {
        self.token
    }

    fn check(&self) -> Result<(), String> {
        if self.held.load(Ordering::SeqCst) {
            Ok(())
        } else {
            Err("the lease is gone".into())
        }
    }
}

fn in_memory(mode: Mode) -> Replicas {
    Replicas::new(Arc::new(InMemory::new()), mode, "memory".into()).unwrap()
}

fn insert(db: &D1Database, n: i64) -> Result<(), D1Error> {
    db.run(&Statement::new(
        "INSERT INTO counts (n, pad) VALUES (?, randomblob(3000))",
        vec![Value::Integer(n)],
    ))
    .map(drop)
}

fn counts(db: &D1Database) -> Vec<i64> {
    db.run(&Statement::new("SELECT n FROM counts ORDER BY n", vec![]))
        .unwrap()
        .rows
        .into_iter()
        .map(|row| match row[0] {
            Value::Integer(n) => n,
            ref other => panic!("{other:?}"),
        })
        .collect()
}

/// Opens `name` at `path` under `lease`, with the table the tests count
/// rows in.
fn open_counts(
    replicas: &Replicas,
    name: &str,
    path: &Path,
    lease: Arc<dyn Fence>,
) -> (D1Database, ReplicaStatus, Restored) {
    let opened = replicas
        .open(name, path, Durability::Process, lease)
        .unwrap();
    opened
        .0
        .exec("CREATE TABLE IF NOT EXISTS counts (n INTEGER PRIMARY KEY, pad BLOB)")
        .unwrap();
    opened
}

/// Restores `name` into a fresh file of `dir` and opens it plainly.
fn restored(replicas: &Replicas, name: &str, dir: &Path) -> D1Database {
    let path = dir.join(format!("restored-{}.sqlite", rand::random::<u32>()));
    replicas.restore(name, &path).unwrap();
    D1Database::open(&path).unwrap()
}

#[test]
fn every_acknowledged_commit_is_in_the_restored_copy() {
    let dir = tempfile::tempdir().unwrap();
    let replicas = in_memory(Mode::Sync);
    let (db, status, _) = open_counts(
        &replicas,
        "shop",
        &dir.path().join("a.sqlite"),
        Lease::new(1),
    );
    for n in 0..50 {
        insert(&db, n).unwrap();
    }
    db.run(&Statement::new(
        "DELETE FROM counts WHERE n % 10 = 3",
        vec![],
    ))
    .unwrap();
    let progress = status.progress();
    assert_eq!(progress.snapshots, 1, "{progress:?}");
    assert_eq!(progress.segments, 52, "{progress:?}");
    let copy = restored(&replicas, "shop", dir.path());
    assert_eq!(counts(&copy), counts(&db));
    assert_eq!(counts(&copy).len(), 45);
}

#[test]
fn a_rolled_back_transaction_is_not_replicated() {
    let dir = tempfile::tempdir().unwrap();
    let replicas = in_memory(Mode::Sync);
    let (db, _, _) = open_counts(
        &replicas,
        "shop",
        &dir.path().join("a.sqlite"),
        Lease::new(1),
    );
    insert(&db, 1).unwrap();
    // Enough rows to spill pages into the log before the batch fails on
    // its last statement and rolls back.
    let fill = Statement::new(
        "WITH RECURSIVE c(x) AS (SELECT 100 UNION ALL SELECT x + 1 FROM c LIMIT 3000) \
         INSERT INTO counts SELECT x, randomblob(3000) FROM c",
        vec![],
    );
    let fail = Statement::new("INSERT INTO counts (n) VALUES (1)", vec![]);
    assert!(db.batch(&[fill, fail]).is_err());
    insert(&db, 2).unwrap();
    let copy = restored(&replicas, "shop", dir.path());
    assert_eq!(counts(&copy), vec![1, 2]);
    assert_eq!(counts(&db), vec![1, 2]);
}

#[test]
fn a_snapshot_replaces_the_segments_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut replicas = in_memory(Mode::Sync);
    replicas.snapshot_after = 64 * 1024;
    let (db, status, _) = open_counts(
        &replicas,
        "shop",
        &dir.path().join("a.sqlite"),
        Lease::new(7),
    );
    for n in 0..100 {
        insert(&db, n).unwrap();
    }
    let progress = status.progress();
    assert!(progress.snapshots > 2, "{progress:?}");
    let objects = replicas.list("shop").unwrap();
    assert!(
        objects.len() < 40,
        "what a snapshot replaces is removed: {objects:?}"
    );
    assert!(objects.iter().all(|o| o.generation == 7));
    assert_eq!(
        counts(&restored(&replicas, "shop", dir.path())),
        (0..100).collect::<Vec<_>>()
    );
}

#[test]
fn a_new_owner_continues_and_the_old_one_is_fenced() {
    let dir = tempfile::tempdir().unwrap();
    let replicas = in_memory(Mode::Sync);
    let first = Lease::new(1);
    let (old, _, _) = open_counts(
        &replicas,
        "shop",
        &dir.path().join("a.sqlite"),
        first.clone(),
    );
    insert(&old, 1).unwrap();

    // The lease passes to another host, which restores what was written.
    first.held.store(false, Ordering::SeqCst);
    let (new, _, took_over) = open_counts(
        &replicas,
        "shop",
        &dir.path().join("b.sqlite"),
        Lease::new(2),
    );
    assert_eq!(counts(&new), vec![1]);
    assert_eq!(took_over.generation, Some(1));
    insert(&new, 2).unwrap();

    // The old owner's write is refused, and never restored.
    let error = insert(&old, 3).unwrap_err().to_string();
    assert!(error.contains("no longer owns shop"), "{error}");
    let error = insert(&old, 4).unwrap_err().to_string();
    assert!(error.contains("could not be replicated"), "{error}");
    insert(&new, 5).unwrap();
    assert_eq!(
        counts(&restored(&replicas, "shop", dir.path())),
        vec![1, 2, 5]
    );
}

#[test]
fn an_asynchronous_replica_catches_up() {
    let dir = tempfile::tempdir().unwrap();
    let replicas = in_memory(Mode::Async);
    let (db, status, _) = open_counts(
        &replicas,
        "shop",
        &dir.path().join("a.sqlite"),
        Lease::new(1),
    );
    for n in 0..200 {
        insert(&db, n).unwrap();
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while status.progress().pending > 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(status.progress().segments, 201);
    assert_eq!(counts(&restored(&replicas, "shop", dir.path())).len(), 200);
}

#[test]
fn a_replica_in_a_real_s3_bucket_restores() {
    let endpoint = std::env::var("ISOLA_TEST_S3")
        .expect("ISOLA_TEST_S3 names the S3 server the tests use (scripts/test starts one)");
    let prefix = format!("replicas-{:016x}", rand::random::<u64>());
    let replicas = Replicas::connect(
        &format!("s3://isola-test/{prefix}?endpoint={endpoint}"),
        Mode::Sync,
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (db, _, _) = open_counts(
        &replicas,
        "todo",
        &dir.path().join("a.sqlite"),
        Lease::new(3),
    );
    for n in 0..20 {
        insert(&db, n).unwrap();
    }
    assert_eq!(
        counts(&restored(&replicas, "todo", dir.path())),
        (0..20).collect::<Vec<_>>()
    );
    // A second writer of the same generation is refused by the bucket.
    let error = replicas
        .put("todo/0000000000000003/0000000000000001.wal", vec![0])
        .unwrap_err();
    assert!(!error.is_empty());
}
