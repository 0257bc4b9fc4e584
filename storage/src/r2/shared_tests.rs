//! R2 shared by two hosts: two stores over the same S3 prefix and
//! database, as two `isola serve` processes configured alike hold them.

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::{self, BoxStream};

use super::tests::shared_location;
use super::*;

fn owned(bytes: Vec<u8>) -> BoxStream<'static, Result<Bytes, String>> {
    stream::iter([Ok(Bytes::from(bytes))]).boxed()
}

async fn read(bucket: &Bucket, key: &str) -> Vec<u8> {
    let Some(Got::Body { mut body, .. }) = bucket.get(key, GetOptions::default()).await.unwrap()
    else {
        panic!("{key} has no body");
    };
    let mut out = Vec::new();
    while let Some(chunk) = body.next().await {
        out.extend_from_slice(&chunk.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn two_hosts_share_objects_uploads_and_their_removal() {
    let (location, database) = shared_location();
    let one = R2Store::shared(&location, &database).unwrap();
    let two = R2Store::shared(&location, &database).unwrap();
    let (a, b) = (one.bucket("media").unwrap(), two.bucket("media").unwrap());

    // A small object is one PUT; what one host wrote, the other reads.
    let options = PutOptions {
        http_metadata: HttpMetadata {
            content_type: Some("text/plain".into()),
            ..Default::default()
        },
        custom_metadata: [("Owner".into(), "Zoë".into())].into(),
        ..Default::default()
    };
    let small = a
        .put("notes/a.txt", options, owned(b"value".to_vec()))
        .await;
    let small = small.unwrap().unwrap();
    assert_eq!(small.etag, "2063c1608d6e0baf80249c42e2be5804");
    assert_eq!(b.head("notes/a.txt").await.unwrap().unwrap(), small);
    assert_eq!(read(&b, "notes/a.txt").await, b"value");

    // One larger than a part goes up in parts, and keeps R2's etag (the
    // MD5 of its bytes, as for any single put).
    let mib = 1 << 20;
    let large: Vec<u8> = (0..11 * mib).map(|i| (i % 251) as u8).collect();
    let info = b
        .put("large.bin", PutOptions::default(), owned(large.clone()))
        .await;
    let info = info.unwrap().unwrap();
    assert_eq!(info.size, large.len() as u64);
    assert!(!info.etag.contains('-'), "{}", info.etag);
    assert_eq!(read(&a, "large.bin").await, large);

    // A conditional put checks what the other host wrote.
    let stale = PutOptions {
        only_if: Some(Conditions {
            etag_matches: Some(vec!["0".repeat(32)]),
            ..Default::default()
        }),
        ..Default::default()
    };
    assert!(
        a.put("large.bin", stale, owned(vec![1]))
            .await
            .unwrap()
            .is_none()
    );

    // A multipart upload begun on one host is continued and completed on
    // the other.
    let id = a
        .create_multipart_upload("joined", HttpMetadata::default(), Default::default())
        .await
        .unwrap();
    let first = a
        .upload_part("joined", &id, 1, owned(vec![1; 5 * mib]))
        .await
        .unwrap();
    let second = b
        .upload_part("joined", &id, 2, owned(vec![2; 10]))
        .await
        .unwrap();
    let joined = b
        .complete_multipart_upload("joined", &id, vec![first, second])
        .await
        .unwrap();
    assert!(joined.etag.ends_with("-2"), "{}", joined.etag);
    assert_eq!(read(&a, "joined").await.len(), 5 * mib + 10);

    let page = b.list(ListOptions::default()).await.unwrap();
    let keys: Vec<_> = page.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["joined", "large.bin", "notes/a.txt"]);

    // Parts went with their upload; deleted objects take their blobs.
    assert_eq!(one.blobs.ids().await.len(), 3);
    a.delete(vec!["joined".into(), "large.bin".into()])
        .await
        .unwrap();
    assert!(b.head("large.bin").await.unwrap().is_none());
    assert_eq!(one.blobs.ids().await, [small.version]);

    let health = two.health();
    let stores: Vec<_> = health.iter().map(|h| h.backend.as_str()).collect();
    assert!(stores[0].starts_with("postgres://"), "{stores:?}");
    assert!(stores[1].starts_with("s3://isola-test/r2-"), "{stores:?}");
    assert!(
        health.iter().all(|h| h.healthy && h.calls > 0),
        "{health:?}"
    );
}

#[test]
fn bucket_urls_name_their_parts_and_refuse_secrets() {
    let location =
        S3Location::parse("s3://media/site/v1?endpoint=http://127.0.0.1:9000/&region=eu-west-1")
            .unwrap();
    assert_eq!(
        location,
        S3Location {
            bucket: "media".into(),
            prefix: "site/v1".into(),
            endpoint: Some("http://127.0.0.1:9000".into()),
            region: "eu-west-1".into(),
        }
    );
    assert_eq!(
        location.describe(),
        "s3://media/site/v1 at http://127.0.0.1:9000"
    );
    for (url, why) in [
        ("s3://key:secret@media", "credentials"),
        (
            "s3://media?secret_access_key=x",
            "unknown parameter `secret_access_key`",
        ),
        ("http://media", "s3://"),
        ("s3:///prefix", "no bucket"),
    ] {
        let error = S3Location::parse(url).unwrap_err().to_string();
        assert!(error.contains(why), "{url}: {error}");
    }
}
