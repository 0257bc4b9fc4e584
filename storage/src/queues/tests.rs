use super::*;

fn message(body: &str, delay: u32) -> Outgoing {
    Outgoing {
        body: body.as_bytes().to_vec(),
        content_type: "text".into(),
        delay_seconds: delay,
    }
}

#[test]
fn messages_are_leased_retried_and_acknowledged() {
    let store = QueueStore::memory().unwrap();
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
    let store = QueueStore::memory().unwrap();
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
    assert!(validate_delay(1.5).is_err() && validate_delay(86_401.0).is_err());
    assert_eq!(validate_delay(30.0).unwrap(), 30);
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
