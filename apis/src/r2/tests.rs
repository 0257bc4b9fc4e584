//! R2: a real Worker drives `env.BUCKET` through every method, option and
//! error, on the embedded state and on S3 with PostgreSQL; objects stream
//! through the HTTP server both ways and survive a restart; `isola r2`
//! works beside a running server.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::{Isola, case, on_every_backend, request};

fn worker() -> String {
    case("r2").to_str().unwrap().to_string()
}

fn scenario(isola: &Isola, name: &str) -> Value {
    let reply = isola.get(&format!("/scenario/{name}"));
    assert_eq!(reply.status, 200, "{}\n{}", reply.text(), isola.log());
    reply.json()
}

fn error(message: &str) -> Value {
    json!({"error": {"name": "Error", "message": message}})
}

fn type_error(name: &str, message: &str) -> Value {
    json!({"error": {"name": name, "message": message}})
}

on_every_backend! {
    fn objects_of_every_type_round_trip_with_r2s_fields(backend: Backend) {
        let isola = backend.serve(&worker());
        let seen = scenario(&isola, "basics");
        let etag = "2063c1608d6e0baf80249c42e2be5804"; // MD5 of "value"
        assert_eq!(seen["head"]["etag"], etag);
        assert_eq!(seen["head"]["httpEtag"], format!("\"{etag}\""));
        assert_eq!(seen["head"]["size"], 5);
        assert_eq!(seen["head"]["uploadedIsDate"], true);
        assert_eq!(seen["head"]["checksums"], json!({"md5": etag}));
        assert_eq!(seen["head"]["storageClass"], "Standard");
        assert_eq!(seen["head"]["range"], json!({"offset": 0, "length": 5}));
        assert_eq!(seen["head"]["hasBody"], false);
        assert_eq!(seen["put"]["range"], Value::Null, "a put's object has no range");
        assert_eq!(seen["got"]["hasBody"], true);
        assert_eq!(seen["text"], "value");
        assert_eq!(seen["bodyUsed"], true);
        assert_eq!(
            seen["reread"],
            type_error(
                "TypeError",
                "Body has already been used. It can only be used once. Use tee() first if you need to read it twice."
            )
        );
        assert_eq!(seen["buffer"], json!([1, 2, 3]));
        assert_eq!(seen["bufferIsArrayBuffer"], true);
        assert_eq!(seen["blob"], "from a blob");
        assert_eq!(seen["streamed"], "from a stream");
        assert_eq!(seen["json"], json!({"a": [1, 2]}));
        assert_eq!(seen["empty"], json!({"size": 0, "text": ""}));
        assert_eq!(seen["missing"], Value::Null);
        assert_eq!(seen["missingHead"], Value::Null);
        assert_eq!(seen["deleted"], json!([null, null, null]));
        assert_eq!(seen["otherBucket"], Value::Null, "buckets are separate");
        assert_eq!(seen["serialised"], "a.txt", "fields are own properties");
    }

    fn metadata_conditions_ranges_and_checksums(backend: Backend) {
        let isola = backend.serve(&worker());
        let meta = scenario(&isola, "metadata");
        assert_eq!(
            meta["httpMetadata"],
            json!({"contentType": "text/plain", "contentLanguage": "en",
                   "cacheControl": "max-age=60", "cacheExpiry": "2030-01-02T03:04:05.000Z"})
        );
        assert_eq!(meta["expiryIsDate"], true);
        assert_eq!(meta["customMetadata"], json!({"n": "1", "owner": "ada"}));
        assert_eq!(
            meta["fromHeaders"],
            json!({"contentType": "image/png", "contentEncoding": "gzip"})
        );
        assert_eq!(meta["written"]["expires"], "Wed, 02 Jan 2030 03:04:05 GMT");
        assert_eq!(meta["written"]["content-type"], "text/plain");
        assert_eq!(
            meta["tooBig"],
            error("put: Your metadata headers exceed the maximum allowed metadata size. (10012)")
        );
        assert_eq!(meta["justFits"], json!({"ok": "fits"}));

        let cond = scenario(&isola, "conditional");
        assert_eq!(cond["ifMatch"], true);
        assert_eq!(cond["ifNotMatch"]["hasBody"], false, "an unmet get has no body");
        assert_eq!(cond["ifNotMatch"]["key"], "cond");
        assert_eq!(cond["wildcardHasBody"], false);
        assert_eq!(cond["beforeHasBody"], false);
        assert_eq!(cond["afterHasBody"], true);
        assert_eq!(cond["headers304HasBody"], false);
        assert_eq!(cond["weakMatchHasBody"], false, "a weak etag never matches If-Match");
        assert_eq!(cond["quoted"]["error"]["name"], "TypeError");
        assert_eq!(cond["badHeader"], error("Invalid ETag in if-match header"));
        assert_eq!(cond["putUnless"], Value::Null, "an unmet put writes nothing");
        assert_eq!(cond["putIf"], 5);
        assert_eq!(cond["now"], "three");
        assert_eq!(cond["putNew"], Value::Null);

        let ranges = scenario(&isola, "ranges");
        let read = |name: &str, text: &str, offset: u64, length: u64| {
            assert_eq!(
                ranges[name],
                json!({"text": text, "range": {"offset": offset, "length": length}}),
                "{name}"
            );
        };
        read("offsetLength", "234", 2, 3);
        read("offset", "789", 7, 3);
        read("length", "0123", 0, 4);
        read("suffix", "789", 7, 3);
        read("longSuffix", "0123456789", 0, 10);
        read("pastEnd", "89", 8, 2);
        read("header", "123", 1, 3);
        read("headerSuffix", "89", 8, 2);
        read("headerMulti", "0123456789", 0, 10);
        let unsatisfiable = error("get: The requested range is not satisfiable (10039)");
        assert_eq!(ranges["outside"], unsatisfiable);
        assert_eq!(ranges["zero"], unsatisfiable);
        assert_eq!(
            ranges["negative"],
            type_error(
                "RangeError",
                "Invalid range. Starting offset (-1) must be greater than or equal to 0."
            )
        );
        assert_eq!(ranges["fraction"]["error"]["name"], "RangeError");
        assert_eq!(
            ranges["mixed"],
            type_error("TypeError", "Suffix is incompatible with offset.")
        );

        let sums = scenario(&isola, "checksums");
        let md5 = "2063c1608d6e0baf80249c42e2be5804";
        assert_eq!(sums["withMd5"], json!({"md5": md5}));
        assert_eq!(
            sums["withSha"],
            json!({"md5": md5, "sha256": "cd42404d52ad55ccfa9aca4adc828aa5800ad9d385a0671fbcbf724118320619"})
        );
        assert_eq!(sums["withBuffer"], json!({"md5": md5}));
        assert_eq!(sums["md5Bytes"], 16);
        assert_eq!(
            sums["wrong"],
            error(
                "put: The SHA-1 checksum you specified did not match what we received.\n\
                 You provided a SHA-1 checksum with value: 0000000000000000000000000000000000000000\n\
                 Actual SHA-1 was: f32b67c7e26342af42efabc674d441dca0a281c5 (10037)"
            )
        );
        assert_eq!(sums["wrongLeftNothing"], Value::Null);
        assert_eq!(
            sums["two"],
            type_error("TypeError", "You cannot specify multiple hashing algorithms.")
        );
        assert_eq!(
            sums["short"],
            type_error("TypeError", "MD5 is 32 hex characters, not 3")
        );
    }

    fn lists_pages_prefixes_and_included_metadata(backend: Backend) {
        let isola = backend.serve(&worker());
        let seen = scenario(&isola, "list");
        assert_eq!(
            seen["first"],
            json!({"keys": ["l/a"], "prefixes": ["l/dir/"], "truncated": true, "hasCursor": "string"})
        );
        assert_eq!(
            seen["rest"],
            json!({"keys": ["l/e", "l/f"], "prefixes": [], "truncated": false})
        );
        assert_eq!(
            seen["all"],
            json!(["l/a", "l/dir/1", "l/dir/2", "l/dir/sub/3", "l/e", "l/f"])
        );
        assert_eq!(seen["startAfter"], json!(["l/dir/sub/3", "l/e", "l/f"]));
        assert_eq!(seen["plain"], json!({"metadata": {}, "http": {}}));
        assert_eq!(
            seen["included"],
            json!({"metadata": {"k": "l/e"}, "http": {"contentType": "t"}})
        );
        assert_eq!(
            seen["tooMany"],
            error("list: MaxKeys params must be positive integer <= 1000. (10022)")
        );
        assert_eq!(
            seen["badInclude"],
            type_error("RangeError", "Unsupported include value nope")
        );
    }

    fn multipart_uploads_join_three_five_mib_parts(backend: Backend) {
        let isola = backend.serve(&worker());
        let seen = scenario(&isola, "multipart");
        assert_eq!(seen["size"], 15 * 1024 * 1024);
        assert_eq!(seen["samples"], json!([1, 2, 3, 3]), "parts join in part order");
        assert_eq!(seen["partNumbers"], json!([1, 2, 3]));
        let etag = seen["object"]["etag"].as_str().unwrap();
        assert!(etag.ends_with("-3") && etag.len() == 34, "{etag}");
        assert_eq!(seen["object"]["checksums"], json!({}));
        assert_eq!(
            seen["gotMetadata"],
            json!(["application/octet-stream", "in parts"])
        );
        assert_eq!(
            seen["badPart"],
            error("completeMultipartUpload: One or more of the specified parts could not be found. (10025)")
        );
        assert_eq!(
            seen["badNumber"],
            type_error(
                "TypeError",
                "Part number must be between 1 and 10000 (inclusive). Actual value was: 0"
            )
        );
        let gone = error("uploadPart: The specified multipart upload does not exist. (10024)");
        assert_eq!(seen["late"], gone);
        assert_eq!(seen["afterAbort"], gone);
        assert_eq!(
            seen["tooSmall"],
            error("completeMultipartUpload: Your proposed upload is smaller than the minimum allowed object size. (10011)")
        );
        assert_eq!(
            seen["unknown"],
            error("abortMultipartUpload: We encountered an internal error. Please try again. (10001)")
        );
        assert_eq!(seen["smallExists"], Value::Null);
    }

    fn bad_keys_and_sizes_get_r2s_errors(backend: Backend) {
        let isola = backend.serve(&worker());
        let seen = scenario(&isola, "errors");
        let bad_name = |method: &str| error(&format!("{method}: The specified object name is not valid. (10020)"));
        assert_eq!(seen["longKeyGet"], bad_name("get"));
        assert_eq!(seen["longKeyPut"], bad_name("put"));
        assert_eq!(seen["longKeyDelete"], bad_name("delete"));
        assert_eq!(
            seen["tooLarge"],
            error("put: Your proposed upload exceeds the maximum allowed object size. (100100)")
        );
        assert_eq!(
            seen["limitZero"],
            error("list: MaxKeys params must be positive integer <= 1000. (10022)")
        );
    }
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    Sha256::digest(bytes).to_vec()
}

#[test]
fn large_objects_stream_both_ways_and_survive_a_restart() {
    let state = tempfile::tempdir().unwrap();
    let body: Vec<u8> = (0..10 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let etag = {
        let isola = Isola::serve_in(&[&worker()], state.path());
        let put = request(
            "PUT",
            &isola.url("/objects/big.bin"),
            &[("content-type", "application/x-test")],
            Some(&body),
        );
        assert_eq!(put.status, 200, "{}", isola.log());
        assert_eq!(put.json()["size"], body.len());
        let got = isola.get("/objects/big.bin");
        assert_eq!(got.status, 200);
        assert_eq!(got.header("content-type"), Some("application/x-test"));
        assert_eq!(sha256(&got.body), sha256(&body));
        let etag = got.header("etag").unwrap().to_string();
        let unchanged = request(
            "GET",
            &isola.url("/objects/big.bin"),
            &[("if-none-match", &etag)],
            None,
        );
        assert_eq!(unchanged.status, 304);
        let ranged = request(
            "GET",
            &isola.url("/objects/big.bin"),
            &[("range", "bytes=5000000-5000009")],
            None,
        );
        assert_eq!(ranged.body, &body[5_000_000..5_000_010]);
        etag
    };
    let isola = Isola::serve_in(&[&worker()], state.path());
    let got = isola.get("/objects/big.bin");
    assert_eq!(got.header("etag"), Some(etag.as_str()));
    assert_eq!(sha256(&got.body), sha256(&body));
}

#[test]
fn the_r2_command_works_beside_a_running_server() {
    let isola = Isola::serve(&[&worker()]);
    // The binding made its bucket; the command sees it.
    let listed = isola.command(&["r2", "bucket", "list"]);
    assert!(listed.status.success(), "{}", listed.stderr);
    assert!(listed.stdout.contains("name:           r2-test-bucket"), "{}", listed.stdout);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.txt");
    std::fs::write(&file, "from the command line").unwrap();
    let put = isola.command(&[
        "r2",
        "object",
        "put",
        "r2-test-bucket/cli/one.txt",
        "--file",
        file.to_str().unwrap(),
        "--content-type",
        "text/plain",
    ]);
    assert!(put.status.success(), "{}", put.stderr);
    assert!(put.stdout.contains("Upload complete."));
    let seen = isola.get("/objects/cli/one.txt");
    assert_eq!(seen.text(), "from the command line");
    assert_eq!(seen.header("content-type"), Some("text/plain"));

    let stored = request("PUT", &isola.url("/objects/from-worker"), &[], Some(b"hello"));
    assert_eq!(stored.status, 200);
    let out = dir.path().join("out.txt");
    let get = isola.command(&[
        "r2",
        "object",
        "get",
        "r2-test-bucket/from-worker",
        "--file",
        out.to_str().unwrap(),
    ]);
    assert!(get.status.success(), "{}", get.stderr);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "hello");

    let not_empty = isola.command(&["r2", "bucket", "delete", "r2-test-bucket"]);
    assert!(!not_empty.status.success());
    assert!(not_empty.stderr.contains("is not empty"), "{}", not_empty.stderr);
    let created = isola.command(&["r2", "bucket", "create", "scratch"]);
    assert!(created.status.success(), "{}", created.stderr);
    let again = isola.command(&["r2", "bucket", "create", "scratch"]);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    let invalid = isola.command(&["r2", "bucket", "create", "No_Good"]);
    assert!(invalid.stderr.contains("is invalid"), "{}", invalid.stderr);
    let deleted = isola.command(&["r2", "bucket", "delete", "scratch"]);
    assert!(deleted.stdout.contains("Deleted bucket scratch."), "{}", deleted.stdout);

    for key in ["cli/one.txt", "from-worker"] {
        let path = format!("r2-test-bucket/{key}");
        let removed = isola.command(&["r2", "object", "delete", &path]);
        assert!(removed.status.success(), "{}", removed.stderr);
    }
    assert_eq!(isola.get("/objects/from-worker").status, 404);
}
