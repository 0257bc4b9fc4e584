//! The Cache API through the real binary: Cloudflare's put rules and its
//! answers to conditional and Range requests (`tests/cases/workers-apis`),
//! and a cache-first proxy
//! (`guests/js/cache-proxy`) whose cache outlives a restart.

use serde_json::json;

use crate::support::{Backend, Isola, Origin, case, copy_dir, guest, on_every_backend, request};

fn apis(backend: Backend) -> Isola {
    backend.serve(case("workers-apis").join("worker.js").to_str().unwrap())
}

on_every_backend! {
    fn cache_put_follows_cloudflares_rules(backend: Backend) {
        assert_eq!(
            apis(backend).get("/cache-rules").json(),
            json!({
                "setCookie": "not stored",
                "noStore": "not stored",
                "status500": "not stored",
                "varyOther": "miss",
                "varySame": "fr",
                "otherCache": "miss",
                "post": "TypeError: Cannot cache response to non-GET request.",
                "partial": "TypeError: Cannot cache response to a range request (206 Partial Content).",
                "varyStar": "TypeError: Cannot cache response with 'Vary: *' header.",
                "deleted": true,
                "deletedAgain": false,
                "illegal": "TypeError: Illegal constructor",
            })
        );
    }

    fn match_answers_conditional_and_range_requests_as_cloudflares_cache_does(backend: Backend) {
        assert_eq!(
            apis(backend).get("/cache-conditional").json(),
            json!({
                "etag": "304",
                "otherEtag": "200  0123456789",
                "since": "304",
                "range": "206 bytes 2-4/10 234",
                "suffix": "206 bytes 8-9/10 89",
                "outside": "416 bytes */10",
            })
        );
    }
}

#[test]
fn the_cache_first_proxy_hits_on_the_second_request_and_after_a_restart() {
    let origin = Origin::start();
    let project = copy_dir(&guest("cache-proxy"));
    let config = project.path().join("wrangler.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replace("http://127.0.0.1:9000", &origin.url()),
    )
    .unwrap();
    let state = tempfile::tempdir().unwrap();
    let serve = || Isola::serve_in(&[project.path().to_str().unwrap()], state.path());

    let isola = serve();
    let first = isola.get("/page?id=1");
    assert_eq!(first.header("cf-cache-status"), Some("MISS"));
    let second = isola.get("/page?id=1");
    assert_eq!(second.header("cf-cache-status"), Some("HIT"));
    assert_eq!(second.text(), first.text());
    assert_eq!(second.header("x-served-by"), Some("origin"));
    assert_eq!(origin.requests().len(), 1);
    drop(isola);

    // The cache is kept in the state directory.
    let isola = serve();
    assert_eq!(
        isola.get("/page?id=1").header("cf-cache-status"),
        Some("HIT")
    );
    assert_eq!(origin.requests().len(), 1);
    assert_eq!(
        request("DELETE", &isola.url("/page?id=1"), &[], None).text(),
        "purged\n"
    );
    assert_eq!(
        isola.get("/page?id=1").header("cf-cache-status"),
        Some("MISS")
    );
    assert_eq!(origin.requests().len(), 2);
}
