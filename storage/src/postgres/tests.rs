//! What only the PostgreSQL store has: pages of a scan, hosts sharing one
//! database, and a database that is absent or misconfigured.

use std::time::Duration;

use super::PgStore;
use crate::kv::{Entry, KvBackend, KvStore};
use crate::test_support::postgres_database;

/// Every key a scan of `namespace` visits, in order, with its value's size.
fn scan_all(store: &PgStore, namespace: &str) -> Vec<(String, usize)> {
    let mut seen = Vec::new();
    store
        .scan(namespace, "", None, &mut |key, bytes| {
            seen.push((key.to_string(), bytes.len()));
            Ok(true)
        })
        .unwrap();
    seen
}

#[test]
fn a_scan_goes_on_across_pages_of_rows_and_of_bytes() {
    let store = PgStore::open(&postgres_database()).unwrap();
    let keys: Vec<String> = (0..150).map(|i| format!("k{i:03}")).collect();
    store
        .put(
            "many",
            keys.iter().map(|k| (k.as_str(), vec![1; 10])).collect(),
        )
        .unwrap();
    let seen = scan_all(&store, "many");
    assert_eq!(seen.len(), 150, "more keys than one page of rows holds");
    assert!(seen.iter().map(|(k, _)| k).eq(keys.iter()));

    // 3 MiB each: a page's byte budget holds three or four of them.
    let big: Vec<String> = (0..10).map(|i| format!("big{i}")).collect();
    for key in &big {
        store.put("large", vec![(key, vec![7; 3 << 20])]).unwrap();
    }
    let seen = scan_all(&store, "large");
    assert_eq!(
        seen,
        big.iter().map(|k| (k.clone(), 3 << 20)).collect::<Vec<_>>()
    );
}

#[test]
fn hosts_on_one_database_see_each_others_writes_at_once() {
    let url = postgres_database();
    let (one, two) = (
        KvStore::postgres(&url, Duration::ZERO).unwrap(),
        KvStore::postgres(&url, Duration::ZERO).unwrap(),
    );
    let entry = Entry {
        value: b"from one".to_vec(),
        metadata: Some("{\"by\":1}".into()),
        expiration: None,
    };
    one.namespace("shared").unwrap().put("k", &entry).unwrap();
    assert_eq!(
        two.namespace("shared").unwrap().get("k", 0).unwrap(),
        Some(entry)
    );

    // Increments from both hosts at once are all counted.
    std::thread::scope(|scope| {
        for store in [&one, &two] {
            scope.spawn(move || {
                let ns = store.namespace("shared").unwrap();
                for _ in 0..25 {
                    ns.increment("n", 1, 0).unwrap();
                }
            });
        }
    });
    let n = one
        .namespace("shared")
        .unwrap()
        .get("n", 0)
        .unwrap()
        .unwrap();
    assert_eq!(n.value, b"50");
}

#[test]
fn another_hosts_write_shows_once_what_this_host_read_is_older_than_its_ttl() {
    let url = postgres_database();
    let (writer, reader) = (
        KvStore::postgres(&url, Duration::from_secs(60)).unwrap(),
        KvStore::postgres(&url, Duration::from_secs(2)).unwrap(),
    );
    let entry = |value: &str| Entry {
        value: value.as_bytes().to_vec(),
        metadata: None,
        expiration: None,
    };
    let (written, read) = (
        writer.namespace("n").unwrap(),
        reader.namespace("n").unwrap(),
    );
    assert_eq!(read.get("k", 0).unwrap(), None, "absent, and remembered so");
    written.put("k", &entry("one")).unwrap();
    assert_eq!(
        written.get("k", 0).unwrap(),
        Some(entry("one")),
        "its own write at once"
    );
    assert_eq!(
        read.get("k", 0).unwrap(),
        None,
        "the other host's read is two seconds old at most"
    );
    assert_eq!(
        read.get_cached("k", 0, Some(30)).unwrap(),
        None,
        "a cacheTtl does not make a remembered read fresher"
    );
    std::thread::sleep(Duration::from_millis(2100));
    assert_eq!(
        read.get("k", 0).unwrap(),
        Some(entry("one")),
        "past the TTL"
    );

    // A read with a cacheTtl is remembered that long, past the default.
    written.put("k", &entry("two")).unwrap();
    std::thread::sleep(Duration::from_millis(2100));
    assert_eq!(
        read.get_cached("k", 0, Some(30)).unwrap(),
        Some(entry("two"))
    );
    written.put("k", &entry("three")).unwrap();
    std::thread::sleep(Duration::from_millis(2100));
    assert_eq!(
        read.get("k", 0).unwrap(),
        Some(entry("two")),
        "kept for 30 s"
    );

    // Writes and atomic operations read the database itself.
    assert_eq!(read.version("k", 0).unwrap().entry(), Some(&entry("three")));
    read.delete("k").unwrap();
    assert_eq!(read.get("k", 0).unwrap(), None, "its own delete at once");
}

#[test]
fn a_database_that_cannot_be_reached_is_named_in_the_error() {
    // Port 1 on loopback: nothing listens there. The store opens (a host
    // serves its other Workers meanwhile); its calls fail.
    let store = KvStore::postgres("postgres://isola@127.0.0.1:1/kv", Duration::ZERO).unwrap();
    let error = store
        .namespace("n")
        .unwrap()
        .get("k", 0)
        .expect_err("nothing to connect to")
        .to_string();
    assert!(
        error.contains("postgres://isola@127.0.0.1:1/kv") && error.contains("cannot be reached"),
        "{error}"
    );
}

#[test]
fn a_password_belongs_in_the_environment_not_the_url() {
    let error = KvStore::postgres("postgres://isola:secret@127.0.0.1:1/kv", Duration::ZERO)
        .err()
        .expect("refused")
        .to_string();
    assert!(error.contains("PGPASSWORD"), "{error}");
    assert!(
        !error.contains("secret"),
        "the password stays out of messages"
    );

    let error = KvStore::postgres("mysql://x", Duration::ZERO)
        .err()
        .expect("refused")
        .to_string();
    assert!(error.contains("not a PostgreSQL URL"), "{error}");
}

#[test]
fn one_host_of_those_sharing_the_database_claims_each_event() {
    let url = postgres_database();
    let hosts: Vec<KvStore> = (0..3)
        .map(|_| KvStore::postgres(&url, Duration::ZERO).unwrap())
        .collect();
    let claimed: Vec<bool> = std::thread::scope(|scope| {
        let claims: Vec<_> = hosts
            .iter()
            .map(|host| scope.spawn(|| host.claims().claim("cron:w:* * * * *", 60_000).unwrap()))
            .collect();
        claims.into_iter().map(|c| c.join().unwrap()).collect()
    });
    assert_eq!(claimed.iter().filter(|c| **c).count(), 1, "{claimed:?}");
    assert!(
        hosts[1]
            .claims()
            .claim("cron:w:* * * * *", 120_000)
            .unwrap(),
        "the next one"
    );
    assert!(
        hosts[2].claims().claim("cron:other", 60_000).unwrap(),
        "another event"
    );
    assert!(
        !hosts[0]
            .claims()
            .claim("cron:w:* * * * *", 120_000)
            .unwrap()
    );

    let alone = KvStore::memory().unwrap();
    assert!(alone.claims().claim("e", 1).unwrap() && alone.claims().claim("e", 1).unwrap());
}
