use bytes::Bytes;
use futures::StreamExt;
use futures::stream::{self, BoxStream};

use super::*;

fn body(chunks: Vec<&'static [u8]>) -> BoxStream<'static, Result<Bytes, String>> {
    stream::iter(chunks.into_iter().map(|c| Ok(Bytes::from_static(c)))).boxed()
}

fn owned(bytes: Vec<u8>) -> BoxStream<'static, Result<Bytes, String>> {
    stream::iter([Ok(Bytes::from(bytes))]).boxed()
}

async fn read(bucket: &Bucket, key: &str, options: GetOptions) -> Option<Vec<u8>> {
    match bucket.get(key, options).await.unwrap()? {
        Got::Body { mut body, .. } => {
            let mut out = Vec::new();
            while let Some(chunk) = body.next().await {
                out.extend_from_slice(&chunk.unwrap());
            }
            Some(out)
        }
        Got::Unmet(_) => None,
    }
}

#[tokio::test]
async fn put_get_head_delete_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let store = R2Store::open(dir.path()).unwrap();
    let bucket = store.bucket("photos").unwrap();
    let info = bucket
        .put("a/b.txt", PutOptions::default(), body(vec![b"val", b"ue"]))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(info.size, 5);
    assert_eq!(info.etag, "2063c1608d6e0baf80249c42e2be5804");
    assert_eq!(info.checksums.md5.as_deref(), Some(info.etag.as_str()));
    assert_eq!(
        read(&bucket, "a/b.txt", GetOptions::default())
            .await
            .unwrap(),
        b"value"
    );
    let ranged = GetOptions {
        range: Some(RangeSpec {
            offset: Some(1),
            length: Some(3),
            suffix: None,
        }),
        ..Default::default()
    };
    assert_eq!(read(&bucket, "a/b.txt", ranged).await.unwrap(), b"alu");
    drop(store);

    let store = R2Store::open(dir.path()).unwrap();
    let bucket = store.bucket("photos").unwrap();
    assert_eq!(bucket.head("a/b.txt").await.unwrap().unwrap(), info);
    bucket
        .delete(vec!["a/b.txt".into(), "none".into()])
        .await
        .unwrap();
    assert!(bucket.head("a/b.txt").await.unwrap().is_none());
    assert!(
        bucket
            .get("a/b.txt", GetOptions::default())
            .await
            .unwrap()
            .is_none()
    );
    // The blob went with the object.
    let left: Vec<_> = walk(&dir.path().join("r2/blobs"));
    assert!(left.is_empty(), "{left:?}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .flat_map(|e| {
            if e.path().is_dir() {
                walk(&e.path())
            } else {
                vec![e.path()]
            }
        })
        .collect()
}

/// Makes each `async fn case(store: R2Store)` a module with one test per
/// backend (`case::memory`, `case::shared`: the tests' S3 bucket and
/// PostgreSQL server), so a failure names its backend.
macro_rules! on_every_backend {
    ($(async fn $case:ident($store:ident: R2Store) $body:block)*) => {$(
        mod $case {
            use super::*;

            async fn case($store: R2Store) $body

            #[tokio::test]
            async fn memory() {
                case(R2Store::memory().unwrap()).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn shared() {
                case(shared_store()).await;
            }
        }
    )*};
}

/// R2 in the tests' S3 bucket, under a prefix of its own, with its rows in
/// a database of its own.
pub(super) fn shared_store() -> R2Store {
    let (bucket, database) = shared_location();
    R2Store::shared(&bucket, &database).unwrap()
}

/// A fresh place for shared R2 state: a prefix of the tests' bucket and a
/// database.
pub(super) fn shared_location() -> (S3Location, String) {
    let endpoint = std::env::var("ISOLA_TEST_S3").expect(
        "ISOLA_TEST_S3 names the S3 server the tests use, with the bucket \
         isola-test (scripts/test starts one)",
    );
    let prefix = format!("r2-{:016x}", rand::random::<u64>());
    let url = format!("s3://isola-test/{prefix}?endpoint={endpoint}");
    // Made on a thread of its own, which may start a runtime.
    let database = std::thread::spawn(crate::test_support::postgres_database)
        .join()
        .unwrap();
    (S3Location::parse(&url).unwrap(), database)
}

on_every_backend! {
async fn checksums_conditions_and_limits(store: R2Store) {
    let bucket = store.bucket("b").unwrap();
    let wrong = PutOptions {
        checksums: Checksums {
            sha256: Some("00".repeat(32)),
            ..Default::default()
        },
        ..Default::default()
    };
    let error = bucket.put("k", wrong, body(vec![b"x"])).await.unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("The SHA-256 checksum you specified")
    );
    assert!(error.to_string().ends_with("(10037)"));
    assert!(bucket.head("k").await.unwrap().is_none());

    let first = bucket
        .put("k", PutOptions::default(), body(vec![b"one"]))
        .await
        .unwrap()
        .unwrap();
    let unless_same = |etag: &str| PutOptions {
        only_if: Some(Conditions {
            etag_does_not_match: Some(vec![etag.to_string()]),
            ..Default::default()
        }),
        ..Default::default()
    };
    assert!(
        bucket
            .put("k", unless_same(&first.etag), body(vec![b"two"]))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        bucket
            .put("k", unless_same("other"), body(vec![b"two"]))
            .await
            .unwrap()
            .is_some()
    );
    let unmet = GetOptions {
        only_if: Some(Conditions {
            etag_matches: Some(vec![first.etag.clone()]),
            ..Default::default()
        }),
        ..Default::default()
    };
    assert!(matches!(
        bucket.get("k", unmet).await.unwrap(),
        Some(Got::Unmet(_))
    ));

    let long = "k".repeat(1025);
    assert_eq!(bucket.head(&long).await.unwrap_err().code(), Some(10020));
    let big = PutOptions {
        custom_metadata: [("key".into(), "x".repeat(2046))].into(),
        ..Default::default()
    };
    assert_eq!(
        bucket.put("m", big, body(vec![])).await.unwrap_err().code(),
        Some(10012)
    );
}

async fn lists_pages_and_delimited_prefixes(store: R2Store) {
    let bucket = store.bucket("b").unwrap();
    for key in ["a", "dir/1", "dir/2", "dir/sub/3", "e", "f"] {
        bucket
            .put(key, PutOptions::default(), body(vec![b"x"]))
            .await
            .unwrap();
    }
    let page = bucket
        .list(ListOptions {
            delimiter: Some("/".into()),
            limit: Some(2),
            ..Default::default()
        })
        .await
        .unwrap();
    let keys: Vec<_> = page.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(
        (keys, page.delimited_prefixes.clone()),
        (vec!["a"], vec!["dir/".to_string()])
    );
    assert!(page.truncated);
    let rest = bucket
        .list(ListOptions {
            delimiter: Some("/".into()),
            cursor: page.cursor,
            ..Default::default()
        })
        .await
        .unwrap();
    let keys: Vec<_> = rest.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["e", "f"]);
    assert!(!rest.truncated && rest.cursor.is_none());

    let under = bucket
        .list(ListOptions {
            prefix: "dir/".into(),
            delimiter: Some("/".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let keys: Vec<_> = under.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["dir/1", "dir/2"]);
    assert_eq!(under.delimited_prefixes, ["dir/sub/"]);
    let after = bucket
        .list(ListOptions {
            start_after: Some("dir/2".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(after.objects[0].key, "dir/sub/3");
    assert_eq!(
        bucket
            .list(ListOptions {
                limit: Some(1001),
                ..Default::default()
            })
            .await
            .unwrap_err()
            .code(),
        Some(10022)
    );
}
}

#[tokio::test]
async fn multipart_joins_parts_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = R2Store::open(dir.path()).unwrap();
    let bucket = store.bucket("b").unwrap();
    let id = bucket
        .create_multipart_upload("big", HttpMetadata::default(), Default::default())
        .await
        .unwrap();
    let mib = 1024 * 1024;
    let second = bucket
        .upload_part("big", &id, 2, owned(vec![2u8; 5 * mib]))
        .await
        .unwrap();
    let first = bucket
        .upload_part("big", &id, 1, owned(vec![1u8; 5 * mib]))
        .await
        .unwrap();
    let third = bucket
        .upload_part("big", &id, 3, owned(vec![3u8; 10]))
        .await
        .unwrap();
    let bad = UploadedPart {
        part_number: 3,
        etag: "nope".into(),
    };
    let error = bucket
        .complete_multipart_upload("big", &id, vec![first.clone(), second.clone(), bad])
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some(10025));
    let info = bucket
        .complete_multipart_upload("big", &id, vec![first, second, third])
        .await
        .unwrap();
    assert_eq!(info.size as usize, 10 * mib + 10);
    assert!(info.etag.ends_with("-3"));
    let bytes = read(&bucket, "big", GetOptions::default()).await.unwrap();
    assert_eq!(bytes[0], 1);
    assert_eq!(bytes[5 * mib], 2);
    assert_eq!(bytes[10 * mib], 3);
    // Closed: parts are gone, and it cannot take more.
    let late = bucket
        .upload_part("big", &id, 4, owned(vec![0]))
        .await
        .unwrap_err();
    assert_eq!(late.code(), Some(10024));
    assert_eq!(walk(&dir.path().join("r2/blobs")).len(), 1);

    let small = bucket
        .create_multipart_upload("small", HttpMetadata::default(), Default::default())
        .await
        .unwrap();
    let a = bucket
        .upload_part("small", &small, 1, owned(vec![0; 10]))
        .await
        .unwrap();
    let b = bucket
        .upload_part("small", &small, 2, owned(vec![0; 10]))
        .await
        .unwrap();
    let error = bucket
        .complete_multipart_upload("small", &small, vec![a, b])
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some(10011));
    bucket
        .abort_multipart_upload("small", &small)
        .await
        .unwrap();
    assert_eq!(
        bucket
            .abort_multipart_upload("small", "unknown")
            .await
            .unwrap_err()
            .code(),
        Some(10001)
    );
}

#[tokio::test]
async fn orphan_blobs_are_swept_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let orphan = dir.path().join("r2/blobs/ab/abcdef");
    std::fs::create_dir_all(orphan.parent().unwrap()).unwrap();
    std::fs::write(&orphan, b"torn").unwrap();
    // Left by a crash some time ago: newer blobs may be writes under way.
    let long_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&orphan)
        .unwrap()
        .set_modified(long_ago)
        .unwrap();
    let store = R2Store::open(dir.path()).unwrap();
    let bucket = store.bucket("b").unwrap();
    bucket
        .put("kept", PutOptions::default(), body(vec![b"x"]))
        .await
        .unwrap();
    drop(store);
    // The sweep runs beside the store; a second open, outside a runtime,
    // sweeps before it returns.
    std::thread::spawn({
        let dir = dir.path().to_path_buf();
        move || R2Store::open(&dir).unwrap()
    })
    .join()
    .unwrap();
    assert!(!orphan.exists());
    assert_eq!(walk(&dir.path().join("r2/blobs")).len(), 1);
}
