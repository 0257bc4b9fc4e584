//! Static assets through the real binary (`tests/cases/assets`): a Worker
//! with a `public/` folder, in each `html_handling` and
//! `not_found_handling` mode, with `_headers`, `_redirects`,
//! `.assetsignore`, `run_worker_first` and `env.ASSETS`.

use std::io::Read;

use serde_json::json;

use crate::support::{Isola, Reply, copy_case, read_until, request, send_raw};

/// A copy of the case whose wrangler.toml has `assets` with `extra` lines.
fn project(extra: &str) -> tempfile::TempDir {
    let dir = copy_case("assets");
    std::fs::write(
        dir.path().join("wrangler.toml"),
        format!(
            "name = \"site\"\nmain = \"worker.js\"\ncompatibility_date = \"2025-06-01\"\n\
             [assets]\ndirectory = \"public\"\nbinding = \"ASSETS\"\n{extra}\n"
        ),
    )
    .unwrap();
    dir
}

fn serve(dir: &tempfile::TempDir) -> Isola {
    Isola::serve(&[dir.path().to_str().unwrap()])
}

fn get(isola: &Isola, path: &str, headers: &[(&str, &str)]) -> Reply {
    request("GET", &isola.url(path), headers, None)
}

const NAVIGATE: (&str, &str) = ("sec-fetch-mode", "navigate");

#[test]
fn files_answer_before_the_worker_and_the_worker_gets_the_rest() {
    let dir = project("");
    let isola = serve(&dir);
    let home = isola.get("/");
    assert_eq!(home.status, 200);
    assert_eq!(home.text(), "<!doctype html><h1>home</h1>\n");
    assert_eq!(home.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(home.header("cache-control"), Some("public, max-age=0, must-revalidate"));
    let etag = home.header("etag").unwrap();
    assert!(etag.starts_with('"') && etag.len() == 34, "a strong ETag: {etag}");
    assert_eq!(home.header("x-from"), None);

    for (path, content_type) in [
        ("/static/style.css", Some("text/css; charset=utf-8")),
        ("/static/app.js", Some("text/javascript; charset=utf-8")),
        ("/data.json", Some("application/json")),
        ("/notes.txt", Some("text/plain; charset=utf-8")),
        ("/LICENSE", None),
    ] {
        let reply = isola.get(path);
        assert_eq!(reply.status, 200, "{path}");
        assert_eq!(reply.header("content-type"), content_type, "{path}");
    }
    assert_eq!(isola.get("/about").text(), "<!doctype html><h1>about</h1>\n");
    assert_eq!(isola.get("/blog/").text(), "<!doctype html><h1>blog</h1>\n");

    // What no file matches, the Worker answers: also the ignored files and
    // the folder's own config files.
    for path in ["/nope", "/secret.txt", "/_headers", "/_redirects", "/.assetsignore"] {
        let reply = isola.get(path);
        assert_eq!(reply.text(), format!("worker: GET {path}"), "{path}");
        assert_eq!(reply.header("x-frame-options"), None, "no _headers on the Worker's answers");
    }
    // A method other than GET or HEAD on a file is refused, without the Worker.
    assert_eq!(isola.post("/static/app.js", b"x").status, 405);
    assert_eq!(isola.post("/nope", b"x").text(), "worker: POST /nope");
    assert_eq!(
        isola.worker_stats("site")["requests"],
        6,
        "only the requests the Worker answered count as its requests"
    );
}

#[test]
fn binary_files_arrive_as_they_are() {
    let dir = project("");
    // The smallest valid PNG: one transparent pixel.
    let png: &[u8] = &[
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f,
        0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00,
        0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49,
        0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ];
    std::fs::write(dir.path().join("public/static/logo.png"), png).unwrap();
    let isola = serve(&dir);
    let reply = get(&isola, "/static/logo.png", &[("accept-encoding", "gzip, br")]);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("image/png"));
    assert_eq!(reply.header("content-encoding"), None, "images are sent as they are");
    assert_eq!(reply.body, png);
}

#[test]
fn paths_redirect_to_their_canonical_form_keeping_the_query() {
    let dir = project("");
    let isola = serve(&dir);
    for (path, location) in [
        ("/about.html?x=1", "/about?x=1"),
        ("/index.html", "/"),
        ("/blog", "/blog/"),
        ("/blog/index.html", "/blog/"),
        ("//about", "/about"),
        ("/ab%6Fut", "/about"),
    ] {
        let reply = isola.get(path);
        assert_eq!(reply.status, 307, "{path}");
        assert_eq!(reply.header("location"), Some(location), "{path}");
    }
}

#[test]
fn each_html_handling_mode_maps_paths_as_cloudflare_does() {
    // (mode, path, status, location or start of body)
    let cases = [
        ("force-trailing-slash", "/about", 307, "/about/"),
        ("force-trailing-slash", "/about/", 200, "<!doctype html><h1>about"),
        ("force-trailing-slash", "/blog/", 200, "<!doctype html><h1>blog"),
        ("drop-trailing-slash", "/blog/", 307, "/blog"),
        ("drop-trailing-slash", "/blog", 200, "<!doctype html><h1>blog"),
        ("drop-trailing-slash", "/about.html", 307, "/about"),
        ("none", "/about.html", 200, "<!doctype html><h1>about"),
        ("none", "/about", 200, "worker: GET /about"),
        ("none", "/", 200, "worker: GET /"),
        ("auto-trailing-slash", "/about/", 307, "/about"),
    ];
    for mode in ["force-trailing-slash", "drop-trailing-slash", "none", "auto-trailing-slash"] {
        let dir = project(&format!("html_handling = \"{mode}\""));
        let isola = serve(&dir);
        for (_, path, status, expected) in cases.iter().filter(|c| c.0 == mode) {
            let reply = isola.get(path);
            assert_eq!(reply.status, *status, "{mode} {path}");
            let seen = reply.header("location").map_or_else(|| reply.text(), str::to_string);
            assert!(seen.starts_with(expected), "{mode} {path}: {seen}");
        }
    }
}

#[test]
fn not_found_handling_serves_the_nearest_404_page_or_the_app() {
    let dir = project("not_found_handling = \"404-page\"");
    let isola = serve(&dir);
    // A navigation gets the page; other requests go to the Worker.
    let page = get(&isola, "/docs/missing/page", &[NAVIGATE]);
    assert_eq!(page.status, 404);
    assert_eq!(page.text(), "<!doctype html><h1>docs: not found</h1>\n");
    let top = get(&isola, "/missing", &[NAVIGATE]);
    assert_eq!((top.status, top.text().as_str()), (404, "<!doctype html><h1>not found</h1>\n"));
    assert_eq!(isola.get("/missing").text(), "worker: GET /missing");

    let dir = project("not_found_handling = \"single-page-application\"");
    let isola = serve(&dir);
    let app = get(&isola, "/app/settings", &[NAVIGATE]);
    assert_eq!((app.status, app.text().as_str()), (200, "<!doctype html><h1>home</h1>\n"));
    assert_eq!(isola.get("/api/user").text(), "worker: GET /api/user");

    // Before 2025-04-01 a navigation is no different.
    let dir = project("not_found_handling = \"single-page-application\"");
    let config = dir.path().join("wrangler.toml");
    let text = std::fs::read_to_string(&config).unwrap().replace("2025-06-01", "2024-09-01");
    std::fs::write(&config, text).unwrap();
    let isola = serve(&dir);
    assert_eq!(get(&isola, "/app", &[NAVIGATE]).text(), "worker: GET /app");
}

#[test]
fn run_worker_first_as_a_switch_and_as_routes() {
    let dir = project("run_worker_first = true");
    let isola = serve(&dir);
    assert_eq!(isola.get("/about").text(), "worker: GET /about");

    let dir = project(
        "run_worker_first = [\"/static/*\", \"!/static/style.css\"]\n\
         not_found_handling = \"single-page-application\"",
    );
    let isola = serve(&dir);
    assert_eq!(isola.get("/static/app.js").text(), "worker: GET /static/app.js");
    assert_eq!(isola.get("/static/style.css").header("content-type"), Some("text/css; charset=utf-8"));
    // With routes, misses get `not_found_handling` without a navigation.
    assert_eq!(isola.get("/somewhere").text(), "<!doctype html><h1>home</h1>\n");
    assert_eq!(isola.get("/about").text(), "<!doctype html><h1>about</h1>\n");
}

#[test]
fn the_worker_reaches_its_assets_through_the_binding() {
    let dir = project("not_found_handling = \"404-page\"\nrun_worker_first = true");
    let isola = serve(&dir);
    assert_eq!(
        isola.get("/via-binding/about").json(),
        json!({"status": 200, "location": null, "type": "text/html; charset=utf-8",
               "body": "<!doctype html><h1>about</h1>\n"})
    );
    assert_eq!(
        isola.get("/via-binding/about.html?q=1").json()["location"],
        "/about?q=1"
    );
    let missing = isola.get("/via-binding/docs/gone").json();
    assert_eq!(missing["status"], 404, "the binding always applies not_found_handling");
    assert_eq!(missing["body"], "<!doctype html><h1>docs: not found</h1>\n");
    assert_eq!(isola.post("/via-binding/about", b"").json()["status"], 405);
}

#[test]
fn etags_answer_304_head_has_no_body_and_range_is_ignored() {
    let dir = project("");
    let isola = serve(&dir);
    let first = isola.get("/data.json");
    let etag = first.header("etag").unwrap().to_string();
    for tag in [etag.clone(), format!("W/{etag}")] {
        let again = get(&isola, "/data.json", &[("if-none-match", &tag)]);
        assert_eq!(again.status, 304);
        assert!(again.body.is_empty());
        assert_eq!(again.header("etag"), Some(etag.as_str()));
    }
    assert_eq!(get(&isola, "/data.json", &[("if-none-match", "\"other\"")]).status, 200);

    let head = request("HEAD", &isola.url("/data.json"), &[], None);
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("content-length"), Some("31"));

    let ranged = get(&isola, "/data.json", &[("range", "bytes=0-3")]);
    assert_eq!(ranged.status, 200, "Cloudflare sends assets whole");
    assert_eq!(ranged.body.len(), 31);
    assert_eq!(ranged.header("cache-control"), None);

    // An edit shows at once, with a new ETag.
    std::fs::write(dir.path().join("public/data.json"), "{\"edited\":true}\n").unwrap();
    let edited = get(&isola, "/data.json", &[("if-none-match", &etag)]);
    assert_eq!(edited.status, 200);
    assert_eq!(edited.text(), "{\"edited\":true}\n");
    assert_ne!(edited.header("etag"), Some(etag.as_str()));
}

#[test]
fn text_is_compressed_as_the_client_accepts() {
    let dir = project("");
    let isola = serve(&dir);
    let plain = isola.get("/static/style.css");
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(plain.header("vary"), Some("Accept-Encoding"));

    let gzip = get(&isola, "/static/style.css", &[("accept-encoding", "gzip, deflate")]);
    assert_eq!(gzip.header("content-encoding"), Some("gzip"));
    assert!(gzip.body.len() < plain.body.len() / 4, "{} bytes", gzip.body.len());
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&gzip.body[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, plain.body);
    let weak = gzip.header("etag").unwrap();
    assert_eq!(weak, format!("W/{}", plain.header("etag").unwrap()));

    let br = get(&isola, "/static/style.css", &[("accept-encoding", "gzip, br")]);
    assert_eq!(br.header("content-encoding"), Some("br"));
    let mut unbrotli = Vec::new();
    brotli::Decompressor::new(&br.body[..], 4096)
        .read_to_end(&mut unbrotli)
        .unwrap();
    assert_eq!(unbrotli, plain.body);
    assert_eq!(
        get(&isola, "/static/style.css", &[("accept-encoding", "br;q=0, gzip")])
            .header("content-encoding"),
        Some("gzip")
    );
}

#[test]
fn headers_and_redirects_files_apply_to_asset_answers() {
    let dir = project("");
    let isola = serve(&dir);
    assert_eq!(isola.get("/").header("x-frame-options"), Some("DENY"));
    let css = isola.get("/static/style.css");
    assert_eq!(css.header("cache-control"), Some("public, max-age=31536000, immutable"));
    // A placeholder is filled in, a `! Header` removes one, and redirects
    // the assets give get the headers too.
    let redirect = isola.get("/blog/index.html");
    assert_eq!(redirect.status, 307);
    assert_eq!(redirect.header("x-slug"), Some("index.html"));
    assert_eq!(redirect.header("x-frame-options"), None);

    for (path, status, location) in [
        ("/old?keep=1", 301, "/about?keep=1"),
        ("/search?lost=1", 302, "/about?q=found"),
        ("/external", 308, "https://example.com/landing"),
        ("/articles/2024/hello", 302, "/blog/?year=2024&slug=hello"),
    ] {
        let reply = isola.get(path);
        assert_eq!((reply.status, reply.header("location")), (status, Some(location)), "{path}");
    }
    // 200 rewrites: the URL stays, the asset is another.
    let rewritten = isola.get("/users/ada");
    assert_eq!(rewritten.status, 200);
    assert_eq!(rewritten.text(), "<!doctype html><h1>about</h1>\n");
}

#[test]
fn a_large_file_is_streamed_not_held_in_memory() {
    let dir = project("");
    let big: Vec<u8> = (0..20 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    std::fs::write(dir.path().join("public/big.bin"), &big).unwrap();
    let isola = serve(&dir);
    // The pool makes its warm isolate after the start; that memory is not
    // the file's.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while isola.stats()["warm_isolates"] != 1 {
        assert!(std::time::Instant::now() < deadline, "the pool never warmed");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // While a client has read only the start of the first download, the
    // server holds a few chunks of the file, not all of it.
    let before = isola.rss_bytes();
    let mut client = isola.connect();
    send_raw(&mut client, b"GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n");
    read_until(&mut client, "\r\n\r\n");
    let mut start = vec![0; 64 * 1024];
    client.read_exact(&mut start).unwrap();
    let during = isola.rss_bytes().saturating_sub(before);
    assert!(
        during < 16 * 1024 * 1024,
        "RSS grew by {during} bytes while a 20 MiB file was being sent"
    );
    drop(client);
    let reply = isola.get("/big.bin");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-length"), Some("20971520"));
    assert!(reply.body == big, "the bytes arrive as they are");
}

#[test]
fn a_project_of_assets_alone_serves_them_without_a_worker() {
    let dir = copy_case("assets");
    std::fs::remove_file(dir.path().join("worker.js")).unwrap();
    std::fs::write(
        dir.path().join("wrangler.jsonc"),
        "{ \"name\": \"static\", // no main\n \"assets\": { \"directory\": \"./public\", \"not_found_handling\": \"404-page\" } }",
    )
    .unwrap();
    let isola = serve(&dir);
    assert_eq!(isola.get("/about").text(), "<!doctype html><h1>about</h1>\n");
    let missing = isola.get("/nothing/here");
    assert_eq!((missing.status, missing.text().as_str()), (404, "<!doctype html><h1>not found</h1>\n"));
    assert_eq!(isola.post("/about", b"").status, 405);
}

#[test]
fn bad_assets_are_refused_at_start_naming_the_file_and_the_limit() {
    let dir = project("");
    std::fs::write(dir.path().join("wrangler.toml"), "main = \"worker.js\"\nassets = { directory = \"gone\" }\n").unwrap();
    let exit = crate::support::run(&["serve", dir.path().to_str().unwrap(), "--port", "0"]);
    assert!(!exit.status.success());
    assert!(exit.stderr.contains("assets.directory") && exit.stderr.contains("gone"), "{}", exit.stderr);

    let dir = project("");
    let huge = std::fs::File::create(dir.path().join("public/huge.bin")).unwrap();
    huge.set_len(26 * 1024 * 1024).unwrap();
    let exit = crate::support::run(&["serve", dir.path().to_str().unwrap(), "--port", "0"]);
    assert!(!exit.status.success());
    assert!(exit.stderr.contains("huge.bin") && exit.stderr.contains("25 MiB"), "{}", exit.stderr);

    let dir = project("");
    std::fs::write(dir.path().join("wrangler.toml"), "assets = { directory = \"public\", binding = \"ASSETS\" }\n").unwrap();
    let exit = crate::support::run(&["serve", dir.path().to_str().unwrap(), "--port", "0"]);
    assert!(exit.stderr.contains("assets.binding"), "{}", exit.stderr);
}

#[test]
fn links_are_followed_only_inside_the_assets_directory() {
    let dir = project("");
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "private\n").unwrap();
    let public = dir.path().join("public");
    std::os::unix::fs::symlink(outside.path(), public.join("peek")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.txt"), public.join("leak.txt")).unwrap();
    std::fs::write(dir.path().join(".dev.vars"), "TOKEN=secret\n").unwrap();
    std::os::unix::fs::symlink(dir.path().join(".dev.vars"), public.join("vars.txt")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("gone"), public.join("dangling.txt")).unwrap();
    std::os::unix::fs::symlink(public.join("static"), public.join("inner")).unwrap();
    let isola = serve(&dir);
    for path in ["/peek/secret.txt", "/leak.txt", "/vars.txt"] {
        assert_eq!(isola.get(path).text(), format!("worker: GET {path}"), "{path}");
    }
    assert_eq!(isola.get("/inner/app.js").text(), "export const answer = 42;\n");
    assert!(isola.log().contains("a link to outside the assets directory"), "{}", isola.log());
}

#[test]
fn a_worker_may_not_serve_another_workers_folder_as_its_assets() {
    let victim = project("");
    let attacker = project("");
    std::fs::write(
        attacker.path().join("wrangler.toml"),
        format!(
            "name = \"attacker\"\nmain = \"worker.js\"\nassets = {{ directory = {:?} }}\n",
            victim.path().to_str().unwrap()
        ),
    )
    .unwrap();
    let exit = crate::support::run(&[
        "serve",
        victim.path().to_str().unwrap(),
        attacker.path().to_str().unwrap(),
        "--port",
        "0",
    ]);
    assert!(!exit.status.success());
    assert!(
        exit.stderr.contains("attacker") && exit.stderr.contains("reaches the folder of Worker \"site\""),
        "{}",
        exit.stderr
    );
}

#[test]
fn bad_lines_of_redirects_are_logged_with_their_number() {
    let dir = project("");
    std::fs::write(
        dir.path().join("public/_redirects"),
        "/old /about 301\n/bad /x 404\n",
    )
    .unwrap();
    let isola = serve(&dir);
    assert!(isola.wait_for_log("Valid status codes are 200, 301, 302 (default), 303, 307, or 308. Got 404."));
    assert!(isola.log().contains("_redirects:2 | /bad /x 404"), "{}", isola.log());
    assert_eq!(isola.get("/old").status, 301, "the good lines still apply");
}

#[test]
fn isola_dev_picks_up_new_assets_without_reloading_the_worker() {
    let dir = project("");
    let isola = Isola::dev(dir.path(), &[]);
    assert!(isola.log().contains("env.ASSETS"), "{}", isola.log());
    assert_eq!(isola.get("/fresh.txt").text(), "worker: GET /fresh.txt");
    std::fs::write(dir.path().join("public/fresh.txt"), "fresh\n").unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while isola.get("/fresh.txt").text() != "fresh\n" {
        assert!(std::time::Instant::now() < deadline, "the new file was never served");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(!isola.log().contains("reloaded"), "{}", isola.log());
}
