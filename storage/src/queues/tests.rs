use super::*;
use crate::test_support::postgres_database;

/// Runs `case` on queues in memory, in a SQLite file and in PostgreSQL.
fn on_every_backend(case: impl Fn(QueueStore)) {
    let dir = tempfile::tempdir().unwrap();
    for (backend, store) in [
        ("memory", QueueStore::memory().unwrap()),
        ("sqlite", QueueStore::open(dir.path()).unwrap()),
        (
            "postgres",
            QueueStore::postgres(&postgres_database()).unwrap(),
        ),
    ] {
        eprintln!("on {backend}:");
        case(store);
    }
}

fn message(body: &str, delay: u32) -> Outgoing {
    Outgoing {
        body: body.as_bytes().to_vec(),
        content_type: "text".into(),
        delay_seconds: delay,
    }
}

#[test]
fn messages_are_leased_retried_and_acknowledged() {
    on_every_backend(leased_retried_and_acknowledged);
}

fn leased_retried_and_acknowledged(store: QueueStore) {
    let backlog = store
        .send(
            "jobs",
            &[message("a", 0), message("b", 0), message("later", 60)],
        )
        .unwrap();
    assert_eq!((backlog.backlog_count, backlog.backlog_bytes), (3, 7));
    let now = now_ms();
    let ready = store.readiness("jobs", now, 10).unwrap();
    assert_eq!(ready.visible, 2);

    let batch = store.take("jobs", 10, now).unwrap();
    let ready = store.readiness("jobs", now, 10).unwrap();
    assert_eq!(ready.visible, 0);
    assert!(
        (now + 59_000..now + 61_000).contains(&ready.next_visible.unwrap()),
        "the delayed message comes next, before the lease ends"
    );
    let bodies: Vec<_> = batch.iter().map(|m| m.body.clone()).collect();
    assert_eq!(bodies, [b"a".to_vec(), b"b".to_vec()]);
    assert_eq!(batch[0].attempts, 1);
    // Leased: not taken twice.
    assert!(store.take("jobs", 10, now).unwrap().is_empty());
    store.ack(&[batch[0].seq]).unwrap();
    store.retry(&[batch[1].seq], 0).unwrap();
    let again = store.take("jobs", 10, now_ms()).unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(
        (again[0].id.clone(), again[0].attempts),
        (batch[1].id.clone(), 2)
    );
    store.move_to(&[again[0].seq], "jobs", "dead").unwrap();
    assert_eq!(store.backlog("dead").unwrap().backlog_count, 1);
    let dead = store.take("dead", 10, now_ms()).unwrap();
    assert_eq!(
        (dead[0].attempts, dead[0].timestamp),
        (1, batch[1].timestamp)
    );
    assert_eq!(store.backlog("jobs").unwrap().backlog_count, 1);
}

#[test]
fn leases_end_when_the_store_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let store = QueueStore::open(dir.path()).unwrap();
    store.send("q", &[message("x", 0)]).unwrap();
    assert_eq!(store.take("q", 10, now_ms()).unwrap().len(), 1);
    drop(store);
    let store = QueueStore::open(dir.path()).unwrap();
    let again = store.take("q", 10, now_ms()).unwrap();
    assert_eq!(again.len(), 1, "a message in flight is delivered again");
    assert_eq!(again[0].attempts, 2);
}

#[test]
fn limits_are_cloudflares() {
    on_every_backend(limits_hold);
    assert!(validate_delay(1.5).is_err() && validate_delay(86_401.0).is_err());
    assert_eq!(validate_delay(30.0).unwrap(), 30);
}

fn limits_hold(store: QueueStore) {
    let big = "x".repeat(MAX_MESSAGE_BYTES + 1);
    assert_eq!(
        store
            .send("q", &[message(&big, 0)])
            .unwrap_err()
            .to_string(),
        "message length of 128001 bytes exceeds limit of 128000"
    );
    let many: Vec<_> = (0..101).map(|_| message("x", 0)).collect();
    assert!(matches!(
        store.send("q", &many),
        Err(QueueError::TooManyMessages(101))
    ));
    let half = "x".repeat(100_000);
    let heavy = [message(&half, 0), message(&half, 0), message(&half, 0)];
    assert!(matches!(
        store.send("q", &heavy),
        Err(QueueError::BatchTooLarge(300_000))
    ));
    assert_eq!(
        store.backlog("q").unwrap().backlog_count,
        0,
        "nothing was sent"
    );
}

#[test]
fn a_damaged_file_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    drop(QueueStore::open(dir.path()).unwrap());
    let path = dir.path().join("queues.sqlite");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.truncate(100);
    bytes.extend(std::iter::repeat_n(0xAB, 8000));
    std::fs::write(&path, bytes).unwrap();
    let _ = std::fs::remove_file(dir.path().join("queues.sqlite-wal"));
    let error = QueueStore::open(dir.path()).err().unwrap().to_string();
    assert!(error.contains("queues.sqlite"), "{error}");
}

#[test]
fn hosts_sharing_a_database_take_each_message_once() {
    let url = postgres_database();
    let hosts: Vec<QueueStore> = (0..3)
        .map(|_| QueueStore::postgres(&url).unwrap())
        .collect();
    let sent: Vec<Outgoing> = (0..90).map(|i| message(&i.to_string(), 0)).collect();
    for (host, batch) in hosts.iter().zip(sent.chunks(30)) {
        host.send("jobs", batch).unwrap();
    }
    assert_eq!(hosts[2].backlog("jobs").unwrap().backlog_count, 90);
    assert!(
        hosts[0].poll().is_some(),
        "consumers look for other hosts' messages"
    );

    // Three hosts take in small batches at once, until nothing is left.
    let taken: Vec<Vec<Message>> = std::thread::scope(|scope| {
        let takers: Vec<_> = hosts
            .iter()
            .map(|host| {
                scope.spawn(move || {
                    let mut mine = Vec::new();
                    loop {
                        let batch = host.take("jobs", 7, now_ms()).unwrap();
                        if batch.is_empty() {
                            return mine;
                        }
                        mine.extend(batch);
                    }
                })
            })
            .collect();
        takers.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let mut bodies: Vec<i64> = taken
        .iter()
        .flatten()
        .map(|m| String::from_utf8_lossy(&m.body).parse().unwrap())
        .collect();
    bodies.sort_unstable();
    assert_eq!(bodies, (0..90).collect::<Vec<_>>(), "each once, none lost");
    assert!(taken.iter().flatten().all(|m| m.attempts == 1));

    let seqs: Vec<i64> = taken.iter().flatten().map(|m| m.seq).collect();
    hosts[1].ack(&seqs).unwrap();
    assert_eq!(hosts[0].backlog("jobs").unwrap().backlog_count, 0);
}
