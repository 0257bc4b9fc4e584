//! Workers' additions to Web Crypto through the real binary:
//! `crypto.DigestStream` and `crypto.subtle.timingSafeEqual`
//! (`tests/cases/workers-apis`), and the work workerd refuses to start.

use serde_json::json;

use crate::support::{Isola, case};

/// Serves `source` as a Worker of its own (the directory holds it), with
/// `args` for `isola serve`.
fn serve_script(source: &str, args: &[&str]) -> (tempfile::TempDir, Isola) {
    let dir = tempfile::tempdir().unwrap();
    let worker = dir.path().join("worker.js");
    std::fs::write(&worker, source).unwrap();
    let mut all = vec![worker.to_str().unwrap()];
    all.extend_from_slice(args);
    let isola = Isola::serve(&all);
    (dir, isola)
}

fn apis() -> Isola {
    Isola::serve(&[case("workers-apis").join("worker.js").to_str().unwrap()])
}

#[test]
fn digest_stream_hashes_what_is_written() {
    let json = apis().get("/digest").json();
    assert_eq!(
        json,
        json!({
            "SHA-256": "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9",
            "sha-1": "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed",
            "MD5": "5eb63bbbe01eeed093cb22bb8f5acdc3",
            "SHA-512": "309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f989dd35bc5ff499670da34255b45b0cfd830e81f605dcf7dc5542e93ae9cd76f",
            "unknown": "DOMException: Unrecognized algorithm name: SHA-3",
        })
    );
}

#[test]
fn subtle_digest_hashes_buffers_of_any_size_with_workerds_algorithms() {
    let json = apis().get("/subtle-digest").json();
    assert_eq!(
        json,
        json!({
            "SHA-256": "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9",
            "SHA-256 of 100 KiB": "4a5677dd69c5b4654ddf8b0be55ccd898821983a0446f5c5d84eeff5ccd1a68f",
            "sha-1": "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed",
            "sha-1 of 100 KiB": "57e01af38f61a91f945c11b7d58c22b01b3891dc",
            "MD5": "5eb63bbbe01eeed093cb22bb8f5acdc3",
            "MD5 of 100 KiB": "e1fb860734159cf640ecfe09a80df32a",
            "SHA-512": "309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f989dd35bc5ff499670da34255b45b0cfd830e81f605dcf7dc5542e93ae9cd76f",
            "SHA-512 of 100 KiB": "97e9997393ea473e75f4da2df3e467320e19fd12be84c48fae76a2acf1ded1c53aab37deebca5f3ab9712a00e659ad5a6cce560fe7dfcbe3227eecd37647072c",
            "view": "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9",
            "unknown": "DOMException: Unrecognized or unimplemented digest algorithm requested.",
            "notData": "TypeError: Failed to execute 'call' on 'SubtleCrypto': Argument 1 can not be converted to a BufferSource",
            "detached": "TypeError: expected SubtleCrypto",
        })
    );
}

#[test]
fn timing_safe_equal_compares_buffers_of_one_length() {
    assert_eq!(
        apis().get("/timing-safe-equal").json(),
        json!({
            "equal": true,
            "different": false,
            "buffers": true,
            "lengths": "TypeError: Input buffers must have the same byte length.",
        })
    );
}

#[test]
fn pbkdf2_past_workerds_iteration_limit_is_refused_before_it_runs() {
    let (_dir, isola) = serve_script(
        r#"async function derive(iterations) {
  const key = await crypto.subtle.importKey(
    "raw", new TextEncoder().encode("password"), "PBKDF2", false, ["deriveBits"]);
  try {
    const bits = await crypto.subtle.deriveBits(
      { name: "PBKDF2", hash: "SHA-256", salt: new Uint8Array(16), iterations }, key, 256);
    return bits.byteLength;
  } catch (error) {
    return `${error.name}: ${error.message}`;
  }
}
export default {
  async fetch() {
    return Response.json({ allowed: await derive(1000), refused: await derive(20000000) });
  },
};
"#,
        &[],
    );
    assert_eq!(
        isola.get("/").json(),
        json!({
            "allowed": 32,
            "refused": "NotSupportedError: Pbkdf2 failed: iteration counts above 100000 are not supported (requested 20000000).",
        })
    );
}

#[test]
fn rsa_key_sizes_workerd_does_not_generate_are_refused_before_they_run() {
    let (_dir, isola) = serve_script(
        r#"async function generate(modulusLength) {
  try {
    const keys = await crypto.subtle.generateKey(
      { name: "RSA-PSS", modulusLength, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
      false, ["sign", "verify"]);
    return keys.privateKey.algorithm.modulusLength;
  } catch (error) {
    return `${error.name}: ${error.message}`;
  }
}
export default {
  async fetch() {
    return Response.json({
      allowed: await generate(1024),
      odd: await generate(1001),
      small: await generate(128),
      huge: await generate(1 << 20),
      limit: await generate(16384),
    });
  },
};
"#,
        // Generating a 1024-bit key counts as CPU time, and can take more
        // than the default 50 ms.
        &["--cpu-ms", "10000"],
    );
    let range = |bits: u32| {
        format!(
            "OperationError: The modulus length must be a multiple of 8 and between 256 and 16k, but {bits} was requested."
        )
    };
    assert_eq!(
        isola.get("/").json(),
        json!({
            "allowed": 1024,
            "odd": range(1001),
            "small": range(128),
            "huge": range(1 << 20),
            "limit": "OperationError: RSA operation failed.",
        })
    );
}

#[test]
fn web_crypto_work_counts_as_the_requests_cpu_time() {
    let (_dir, isola) = serve_script(
        r#"export default {
  async fetch(request) {
    const params = new URL(request.url).searchParams;
    const times = Number(params.get("times"));
    const key = await crypto.subtle.importKey(
      "raw", new TextEncoder().encode("password"), "PBKDF2", false, ["deriveBits"]);
    const derive = () => crypto.subtle.deriveBits(
      { name: "PBKDF2", hash: "SHA-256", salt: new Uint8Array(16), iterations: Number(params.get("iterations")) },
      key, 256);
    const all = params.has("together")
      ? await Promise.all(Array.from({ length: times }, derive))
      : [];
    for (let i = all.length; i < times; i++) all.push(await derive());
    return new Response(`derived ${all.length}`);
  },
};"#,
        &[],
    );
    // About half a second of host CPU, one after the other or all at once,
    // against a 50 ms limit: stopped as a loop is.
    for way in ["", "&together"] {
        let stopped = isola.get(&format!("/?times=40&iterations=100000{way}"));
        assert_eq!(stopped.status, 503, "{way}: {}", stopped.text());
        assert!(stopped.text().contains("Error 1102"), "{}", stopped.text());
    }
    assert!(isola.wait_for_log("exceeded its CPU time limit"), "{}", isola.log());
    assert_eq!(isola.worker_stats("worker")["errors"]["cpu_limit"], 2);
    // A modest derivation still answers, from the same isolate.
    let fine = isola.get("/?times=2&iterations=1000");
    assert_eq!(fine.text(), "derived 2", "{}", isola.log());
    assert_eq!(isola.worker_stats("worker")["isolates"], 1);
}
