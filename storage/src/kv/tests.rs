use super::*;
use crate::memory::MemoryStore;
use crate::postgres::PgStore;
use crate::sled_db::SledDb;
use crate::test_support::{on_every_backend, open_sled, postgres_database, reopen};

fn entry(value: &str, expiration: Option<u64>) -> Entry {
    Entry {
        value: value.as_bytes().to_vec(),
        metadata: None,
        expiration,
    }
}

fn names(page: &ListPage) -> Vec<&str> {
    page.keys.iter().map(|k| k.name.as_str()).collect()
}

/// Every key of `prefix` visible at `now`, read in pages of `limit`.
fn list_all(ns: &Namespace, prefix: &str, limit: usize, now: u64) -> Vec<String> {
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let page = ns.list(prefix, limit, cursor.as_deref(), now).unwrap();
        assert!(page.keys.len() <= limit);
        all.extend(page.keys.into_iter().map(|k| k.name));
        match page.cursor {
            Some(next) => cursor = Some(next),
            None => return all,
        }
    }
}

on_every_backend! {
    fn expired_entries_are_invisible_then_swept(store: KvStore) {
        let ns = store.namespace("a").unwrap();
        ns.put("old", &entry("x", Some(100))).unwrap();
        ns.put("new", &entry("y", Some(300))).unwrap();
        ns.put("forever", &entry("z", None)).unwrap();
        let other = store.namespace("b").unwrap();
        other.put("old", &entry("x", Some(150))).unwrap();
        assert!(ns.get("old", 99).unwrap().is_some());
        assert!(ns.get("old", 100).unwrap().is_none());
        assert_eq!(names(&ns.list("", 10, None, 200).unwrap()), ["forever", "new"]);

        assert_eq!(store.sweep_expired(200).unwrap(), 2, "in every namespace");
        assert!(ns.get("old", 0).unwrap().is_none(), "swept for good");
        assert!(other.get("old", 0).unwrap().is_none(), "swept for good");
        assert_eq!(list_all(&ns, "", 10, 0), ["forever", "new"]);
        assert_eq!(store.sweep_expired(200).unwrap(), 0);
    }

    fn a_key_written_again_without_expiration_is_not_swept(store: KvStore) {
        let ns = store.namespace("a").unwrap();
        ns.put("k", &entry("first", Some(100))).unwrap();
        ns.put("k", &entry("second", None)).unwrap();
        assert_eq!(store.sweep_expired(200).unwrap(), 0);
        assert_eq!(ns.get("k", 200).unwrap().unwrap().value, b"second");
    }

    fn namespaces_are_separate(store: KvStore) {
        let a = store.namespace("a").unwrap();
        let b = store.namespace("b").unwrap();
        a.put("k", &entry("in a", None)).unwrap();
        assert!(b.get("k", 0).unwrap().is_none());
        assert!(b.list("", 10, None, 0).unwrap().keys.is_empty());
        b.delete("k").unwrap();
        assert_eq!(a.get("k", 0).unwrap().unwrap().value, b"in a");
    }

    fn keys_list_in_the_order_of_their_utf8_bytes(store: KvStore) {
        let ns = store.namespace("a").unwrap();
        // U+FF61 sorts before U+10000 by UTF-8 bytes (not by UTF-16 units).
        for key in ["\u{10000}", "z", "é", "ab", "B", "\u{ff61}", "a\u{0}", "a"] {
            ns.put(key, &entry(key, None)).unwrap();
        }
        let order = ["B", "a", "a\u{0}", "ab", "z", "é", "\u{ff61}", "\u{10000}"];
        assert_eq!(names(&ns.list("", 100, None, 0).unwrap()), order);
        assert_eq!(list_all(&ns, "", 3, 0), order, "across pages");
    }

    fn a_prefix_lists_only_its_keys(store: KvStore) {
        let ns = store.namespace("a").unwrap();
        for key in ["p", "p:", "p:a", "p:b", "p;", "q", "o"] {
            ns.put(key, &entry(key, None)).unwrap();
        }
        assert_eq!(names(&ns.list("p:", 10, None, 0).unwrap()), ["p:", "p:a", "p:b"]);
        assert_eq!(list_all(&ns, "p:", 1, 0), ["p:", "p:a", "p:b"]);
        assert!(ns.list("r", 10, None, 0).unwrap().keys.is_empty());
    }

    fn list_pages_stay_correct_while_keys_change(store: KvStore) {
        let ns = store.namespace("a").unwrap();
        for name in ["p:1", "p:2", "p:3", "p:4", "p:5", "q:1"] {
            ns.put(name, &entry(name, None)).unwrap();
        }
        let page = ns.list("p:", 2, None, 0).unwrap();
        assert_eq!(names(&page), ["p:1", "p:2"]);
        let cursor = page.cursor.unwrap();
        // Between pages: delete the next key, add one before the cursor and
        // one after it.
        ns.delete("p:3").unwrap();
        ns.put("p:0", &entry("", None)).unwrap();
        ns.put("p:45", &entry("", None)).unwrap();
        let page = ns.list("p:", 2, Some(&cursor), 0).unwrap();
        assert_eq!(names(&page), ["p:4", "p:45"]);
        let page = ns.list("p:", 2, page.cursor.as_deref(), 0).unwrap();
        assert_eq!(names(&page), ["p:5"]);
        assert_eq!(page.cursor, None, "the last page has no cursor");
    }

    fn a_page_that_exactly_fills_the_limit_at_the_end_is_complete(store: KvStore) {
        let ns = store.namespace("a").unwrap();
        ns.put("a", &entry("", None)).unwrap();
        ns.put("b", &entry("", None)).unwrap();
        let page = ns.list("", 2, None, 0).unwrap();
        assert_eq!(names(&page), ["a", "b"]);
        assert_eq!(page.cursor, None);
    }

    fn expired_keys_do_not_shorten_a_page(store: KvStore) {
        let ns = store.namespace("a").unwrap();
        for i in 0..10 {
            let expiration = (1..8).contains(&i).then_some(100);
            ns.put(&format!("k{i}"), &entry("", expiration)).unwrap();
        }
        let page = ns.list("", 2, None, 150).unwrap();
        assert_eq!(names(&page), ["k0", "k8"]);
        let page = ns.list("", 2, page.cursor.as_deref(), 150).unwrap();
        assert_eq!(names(&page), ["k9"]);
        assert_eq!(page.cursor, None);
        assert_eq!(list_all(&ns, "", 4, 50).len(), 10, "none expired yet");
        // Nothing but expired keys after a full page: it is the last one.
        let page = ns.list("k7", 1, None, 150).unwrap();
        assert!(page.keys.is_empty() && page.cursor.is_none());
        let page = ns.list("", 1, Some(&encode_cursor("k0")), 150).unwrap();
        assert_eq!(names(&page), ["k8"]);
        assert!(page.cursor.is_some());
        let page = ns.list("", 1, page.cursor.as_deref(), 150).unwrap();
        assert_eq!(names(&page), ["k9"]);
        assert_eq!(page.cursor, None);
    }

    fn metadata_and_expiration_come_back(store: KvStore) {
        let ns = store.namespace("a").unwrap();
        let with = Entry {
            value: vec![0, 255],
            metadata: Some(r#"{"m":1}"#.into()),
            expiration: Some(4_000_000_000),
        };
        ns.put("with", &with).unwrap();
        ns.put("without", &entry("v", None)).unwrap();
        assert_eq!(ns.get("with", 0).unwrap(), Some(with));
        let page = ns.list("", 10, None, 0).unwrap();
        assert_eq!(
            page.keys,
            [
                ListedKey {
                    name: "with".into(),
                    expiration: Some(4_000_000_000),
                    metadata: Some(r#"{"m":1}"#.into()),
                },
                ListedKey {
                    name: "without".into(),
                    expiration: None,
                    metadata: None,
                },
            ]
        );
    }

    fn the_workers_verbs_keep_cloudflares_rules(store: KvStore) {
        let ns = store.namespace("a").unwrap();
        let now = 1_000_000;
        let put = |ttl| Put {
            value: b"v".to_vec(),
            metadata: Some("{}".into()),
            expiration: None,
            expiration_ttl: Some(ttl),
        };
        ns.write("k", put(120), now).unwrap();
        let read = ns.read("k", now).unwrap().unwrap();
        assert_eq!((read.value, read.expiration), (b"v".to_vec(), Some(now + 120)));
        assert!(ns.read("k", now + 120).unwrap().is_none());
        assert!(matches!(ns.write("short", put(30), now), Err(KvError::TtlTooShort(30))));
        assert!(ns.read("short", now).unwrap().is_none(), "a refused write writes nothing");
        assert!(matches!(ns.read("", now), Err(KvError::EmptyKey)));
        assert!(matches!(ns.remove(".."), Err(KvError::DotKey(".."))));
        ns.remove("k").unwrap();
        ns.remove("k").unwrap();
        assert!(ns.read("k", now).unwrap().is_none());

        for i in 0..3 {
            ns.write(&format!("n{i}"), Put::default(), now).unwrap();
        }
        assert_eq!(names(&ns.list_page("n", Some(0), None, now).unwrap()), ["n0", "n1", "n2"]);
        let page = ns.list_page("n", Some(2), None, now).unwrap();
        let page = ns.list_page("n", Some(2), page.cursor.as_deref(), now).unwrap();
        assert_eq!(names(&page), ["n2"]);
        assert!(matches!(
            ns.list_page("", Some(1001), None, now),
            Err(KvError::ListLimitTooLarge(1001))
        ));
        assert!(matches!(
            ns.list_page(&"p".repeat(513), None, None, now),
            Err(KvError::KeyTooLong { len: 513, .. })
        ));
        for cursor in ["not a cursor!", &URL_SAFE_NO_PAD.encode([0xff, 0xfe])] {
            assert!(matches!(
                ns.list_page("", None, Some(cursor), now),
                Err(KvError::InvalidCursor)
            ));
        }
    }

    fn a_bulk_put_writes_every_pair_or_none(store: KvStore) {
        let pair = |key: &str, ttl| BulkPair {
            key: key.into(),
            value: "aGk=".into(),
            expiration: None,
            expiration_ttl: ttl,
            metadata: Some(serde_json::json!({ "of": key })),
            base64: true,
        };
        let bulk = |pairs| KvCommand::BulkPut { namespace: "a".into(), pairs };
        let refused = bulk(vec![pair("one", None), pair("two", Some(10))]).run(&store, 0);
        assert!(matches!(refused, Err(KvError::TtlTooShort(10))));
        let list = KvCommand::List { namespace: "a".into(), prefix: None };
        assert_eq!(list.clone().run(&store, 0).unwrap(), KvOutput::Keys { keys: vec![] });

        bulk(vec![pair("one", None), pair("two", Some(60))]).run(&store, 0).unwrap();
        assert_eq!(
            list.run(&store, 0).unwrap(),
            KvOutput::Keys {
                keys: vec![
                    ListedKeyJson {
                        name: "one".into(),
                        expiration: None,
                        metadata: Some(serde_json::json!({ "of": "one" })),
                    },
                    ListedKeyJson {
                        name: "two".into(),
                        expiration: Some(60),
                        metadata: Some(serde_json::json!({ "of": "two" })),
                    },
                ]
            }
        );
        let get = KvCommand::Get { namespace: "a".into(), key: "two".into() };
        assert_eq!(get.run(&store, 0).unwrap(), KvOutput::Value { value: Some(b"hi".to_vec()) });
    }
}

on_every_backend! {
    fn a_swap_writes_only_over_what_was_read(store: KvStore) {
        let ns = store.namespace("a").unwrap();
        let absent = ns.version("k", 0).unwrap();
        assert!(absent.entry().is_none());
        let put = |value: &str| Put { value: value.into(), ..Put::default() };
        assert!(ns.swap("k", &absent, put("first"), 0).unwrap());
        assert!(!ns.swap("k", &absent, put("lost"), 0).unwrap(), "the key is no longer absent");
        let read = ns.version("k", 0).unwrap();
        assert_eq!(read.entry().unwrap().value, b"first");
        ns.put("k", &entry("rewritten", None)).unwrap();
        assert!(!ns.swap("k", &read, put("lost"), 0).unwrap(), "rewritten since it was read");
        assert_eq!(ns.get("k", 0).unwrap().unwrap().value, b"rewritten");
        let read = ns.version("k", 0).unwrap();
        assert!(ns.swap("k", &read, put("second"), 0).unwrap());
        assert_eq!(ns.get("k", 0).unwrap().unwrap().value, b"second");
        assert!(matches!(ns.version("", 0), Err(KvError::EmptyKey)));
    }

    fn concurrent_increments_are_not_lost(store: KvStore) {
        let ns = store.namespace("a").unwrap();
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..50 {
                        ns.increment("n", 1, 0).unwrap();
                    }
                });
            }
        });
        assert_eq!(ns.get("n", 0).unwrap().unwrap().value, b"200");
    }

    fn increments_add_to_decimal_text_and_keep_the_entry(store: KvStore) {
        let ns = store.namespace("a").unwrap();
        assert_eq!(ns.increment("n", 5, 0).unwrap(), 5, "an absent key counts as 0");
        assert_eq!(ns.increment("n", -7, 0).unwrap(), -2);
        assert_eq!(ns.get("n", 0).unwrap().unwrap().value, b"-2");
        let kept = Entry {
            value: b"41".to_vec(),
            metadata: Some("{\"of\":\"m\"}".into()),
            expiration: Some(500),
        };
        ns.put("m", &kept).unwrap();
        assert_eq!(ns.increment("m", 1, 0).unwrap(), 42);
        let m = ns.get("m", 0).unwrap().unwrap();
        assert_eq!((m.metadata, m.expiration), (kept.metadata, kept.expiration));
        assert_eq!(ns.increment("m", 1, 500).unwrap(), 1, "an expired entry counts as absent");
        ns.put("text", &entry("hello", None)).unwrap();
        assert!(matches!(ns.increment("text", 1, 0), Err(IncrementError::NotANumber(k)) if k == "text"));
        ns.put("big", &entry(&i64::MAX.to_string(), None)).unwrap();
        assert!(matches!(ns.increment("big", 1, 0), Err(IncrementError::Overflow(_))));
        assert_eq!(ns.get("big", 0).unwrap().unwrap().value, i64::MAX.to_string().as_bytes());
    }
}

/// Increments from many threads at once all count.
/// The raw operations every backend must agree on, below `Namespace`.
#[test]
fn backends_scan_and_remove_alike() {
    let dir = tempfile::tempdir().unwrap();
    let backends: [(&str, Box<dyn KvBackend>); 3] = [
        ("memory", Box::new(MemoryStore::default())),
        (
            "sled",
            Box::new(SledDb::open(&dir.path().join("kv")).unwrap()),
        ),
        (
            "postgres",
            Box::new(PgStore::open(&postgres_database()).unwrap()),
        ),
    ];
    for (name, backend) in backends {
        let pairs = |keys: &[&str]| {
            keys.iter()
                .map(|key| (key.to_string(), key.as_bytes().to_vec()))
                .collect::<Vec<_>>()
        };
        // Up to `limit` pairs of a scan.
        let scan = |namespace: &str, prefix: &str, after: Option<&str>, limit: usize| {
            let mut seen = Vec::new();
            backend
                .scan(namespace, prefix, after, &mut |key, bytes| {
                    seen.push((key.to_string(), bytes.to_vec()));
                    Ok(seen.len() < limit)
                })
                .unwrap();
            seen
        };
        backend
            .put(
                "n",
                ["b:2", "a", "b:1", "b:3", "c"]
                    .map(|k| (k, k.as_bytes().to_vec()))
                    .to_vec(),
            )
            .unwrap();
        assert_eq!(
            scan("n", "b:", None, 10),
            pairs(&["b:1", "b:2", "b:3"]),
            "{name}"
        );
        assert_eq!(scan("n", "b:", None, 2), pairs(&["b:1", "b:2"]), "{name}");
        assert_eq!(
            scan("n", "b:", Some("b:1"), 10),
            pairs(&["b:2", "b:3"]),
            "{name}"
        );
        assert_eq!(
            scan("n", "b:", Some("a"), 10),
            pairs(&["b:1", "b:2", "b:3"]),
            "{name}: a start before the prefix starts at the prefix"
        );
        assert_eq!(scan("n", "b:", Some("b:3"), 10), pairs(&[]), "{name}");
        assert_eq!(scan("other", "", None, 10), pairs(&[]), "{name}");

        let mut visited = 0;
        let failed = backend.scan("n", "", None, &mut |_, _| {
            visited += 1;
            Err(StoreError::Corrupt("bad".into()))
        });
        assert!(matches!(failed, Err(StoreError::Corrupt(_))), "{name}");
        assert_eq!(visited, 1, "{name}: a failing visit stops the scan");

        backend.put("m", vec![("b:1", b"b:1".to_vec())]).unwrap();
        let removed = backend
            .remove_where(&|bytes| Ok(bytes.starts_with(b"b:")))
            .unwrap();
        assert_eq!(removed, 4, "{name}");
        assert_eq!(scan("n", "", None, 10), pairs(&["a", "c"]), "{name}");
        assert_eq!(backend.get("m", "b:1").unwrap(), None, "{name}");
        let failed = backend.remove_where(&|_| Err(StoreError::Corrupt("bad".into())));
        assert!(matches!(failed, Err(StoreError::Corrupt(_))), "{name}");
        assert_eq!(
            backend.get("n", "a").unwrap().as_deref(),
            Some(&b"a"[..]),
            "{name}"
        );
    }
}

#[test]
fn a_store_in_use_is_reported_as_locked() {
    let dir = tempfile::tempdir().unwrap();
    let _first = KvStore::open(dir.path()).unwrap();
    let second = KvStore::open(dir.path());
    assert!(
        matches!(second, Err(StoreError::Locked(_))),
        "{:?}",
        second.err()
    );
}

#[test]
fn data_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let kept = Entry {
        value: b"v".to_vec(),
        metadata: Some("{\"m\":true}".into()),
        expiration: Some(4_000_000_000),
    };
    {
        let store = KvStore::open(dir.path()).unwrap();
        let ns = store.namespace("n").unwrap();
        ns.put("k", &kept).unwrap();
        ns.put_many(&[
            ("a".into(), entry("1", None)),
            ("gone".into(), entry("2", None)),
        ])
        .unwrap();
        ns.delete("gone").unwrap();
        ns.put("expired", &entry("3", Some(100))).unwrap();
    }
    let store = reopen(dir.path());
    let ns = store.namespace("n").unwrap();
    assert_eq!(ns.get("k", 0).unwrap(), Some(kept));
    assert_eq!(list_all(&ns, "", 10, 200), ["a", "k"]);
    assert_eq!(store.sweep_expired(200).unwrap(), 1);
    drop((ns, store));
    let store = reopen(dir.path());
    assert_eq!(
        list_all(&store.namespace("n").unwrap(), "", 10, 0),
        ["a", "k"]
    );
}

/// State directories keep their layout: a tree `ns:<id>` per namespace,
/// holding the entries' bytes under their keys.
#[test]
fn the_sled_layout_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = KvStore::open(dir.path()).unwrap();
        store
            .namespace("n")
            .unwrap()
            .put("new", &entry("by KvStore", None))
            .unwrap();
    }
    {
        let db = open_sled(dir.path());
        let tree = db.open_tree("ns:n").unwrap();
        let bytes = tree.get("new").unwrap().unwrap().to_vec();
        assert_eq!(Entry::decode(bytes).unwrap(), entry("by KvStore", None));
        tree.insert("old", entry("by sled", Some(4_000_000_000)).encode())
            .unwrap();
        db.flush().unwrap();
    }
    let store = reopen(dir.path());
    let old = store.namespace("n").unwrap().get("old", 0).unwrap();
    assert_eq!(old, Some(entry("by sled", Some(4_000_000_000))));
}
