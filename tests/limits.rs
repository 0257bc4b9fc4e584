//! Resource limits: a Worker that loops forever, allocates without bound or
//! makes too many subrequests is stopped with Cloudflare's errors, while the
//! host keeps serving its other Workers.

use std::path::Path;
use std::time::Duration;

use crate::support::{Isola, Origin, case, eventually};

/// An isola.toml in a temporary directory, naming files by absolute path.
fn host_config(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("isola.toml"), text).unwrap();
    dir
}

fn file(name: &str) -> String {
    case("limits").join(name).to_str().unwrap().to_string()
}

/// A host of the allocation bomb (64 MB per isolate) beside a hello Worker.
fn bomb_beside_hello() -> tempfile::TempDir {
    host_config(&format!(
        r#"
[pool]
memory_mb = 64
[[workers]]
path = "{}"
routes = ["*/bomb/*"]
limits = {{ cpu_ms = 20000 }}
[[workers]]
path = "{}"
"#,
        file("bomb.js"),
        file("hello.js")
    ))
}

fn serve(dir: &Path) -> Isola {
    Isola::serve(&[dir.join("isola.toml").to_str().unwrap()])
}

#[test]
fn an_infinite_loop_is_stopped_at_its_cpu_limit_while_others_answer() {
    let dir = host_config(&format!(
        r#"
[limits]
cpu_ms = 50
[[workers]]
path = "{}"
routes = ["*/loop/*"]
[[workers]]
path = "{}"
"#,
        file("loop.js"),
        file("hello.js")
    ));
    let isola = serve(dir.path());
    let url = isola.url("/loop/spin");
    let spinning = std::thread::spawn(move || crate::support::request("GET", &url, &[], None));
    // The other Worker answers while the loop runs.
    for _ in 0..20 {
        let reply = isola.get("/");
        assert_eq!(reply.status, 200);
        assert_eq!(reply.text(), "hello\n");
    }
    let stopped = spinning.join().unwrap();
    assert_eq!(stopped.status, 503);
    assert!(stopped.text().contains("Error 1102"), "{}", stopped.text());
    assert!(
        stopped.text().contains("exceeded resource limits"),
        "{}",
        stopped.text()
    );
    assert!(
        isola.wait_for_log("exceeded its CPU time limit"),
        "{}",
        isola.log()
    );

    // The loop used about its limit of CPU time, not more.
    let stats = isola.worker_stats("loop");
    let cpu_ms = stats["cpu_ms"].as_f64().unwrap();
    assert!(
        (50.0..100.0).contains(&cpu_ms),
        "the loop ran {cpu_ms} ms of CPU"
    );
    assert_eq!(stats["errors"]["cpu_limit"], 1);

    // The Worker serves again, from the same isolate, as on Cloudflare:
    // only a memory limit costs it its isolate.
    assert_eq!(isola.get("/loop/ok").text(), "still here (1)\n");
    assert_eq!(isola.get("/loop/spin").status, 503);
    assert_eq!(isola.get("/loop/ok").text(), "still here (2)\n");
    assert_eq!(isola.worker_stats("loop")["errors"]["cpu_limit"], 2);
    assert_eq!(isola.worker_stats("loop")["isolates"], 1);
}

#[test]
fn an_allocation_bomb_is_stopped_at_the_memory_limit() {
    let dir = bomb_beside_hello();
    let isola = serve(dir.path());
    let reply = isola.get("/bomb/");
    assert_eq!(reply.status, 503);
    assert!(reply.text().contains("Error 1102"), "{}", reply.text());
    assert!(
        isola.wait_for_log("exceeded its memory limit"),
        "{}",
        isola.log()
    );
    assert_eq!(isola.worker_stats("bomb")["errors"]["memory_limit"], 1);
    assert_eq!(isola.get("/").text(), "hello\n");
}

/// The server's RSS once it has stopped falling for half a second: a
/// stopped isolate's heap is given back on its own thread, after the answer.
fn settled_rss(isola: &Isola) -> u64 {
    let mut settled = isola.rss_bytes();
    let mut steady = 0;
    for _ in 0..100 {
        if steady == 5 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        let now = isola.rss_bytes();
        steady = if now < settled { 0 } else { steady + 1 };
        settled = settled.min(now);
    }
    settled
}

#[test]
fn a_memory_bomb_is_stopped_near_its_limit_and_its_memory_given_back() {
    const LIMIT: u64 = 64 << 20;
    // Enough replaced isolates that what each leaves behind shows: with
    // the engine facade's templates kept, 60 grew the process by ~35%.
    const BOMBS: u64 = 60;
    let dir = bomb_beside_hello();
    let isola = serve(dir.path());
    assert_eq!(isola.get("/").text(), "hello\n");
    // The first bomb's isolate is the first whose heap the process gives
    // back: the peaks are counted from its answer, and the end from what
    // remains once its heap has gone.
    assert_eq!(isola.get("/bomb/").status, 503);
    let first = isola.rss_bytes();
    let start = settled_rss(&isola);
    for bomb in 0..BOMBS {
        assert_eq!(isola.get("/bomb/").status, 503);
        // At its peak, the process holds at most 1.5 times the limit more,
        // over the first 20 bombs (the peak is the process's highest yet,
        // and its base one reading taken while memory comes back).
        if bomb < 20 {
            let peak = isola.peak_rss_bytes();
            assert!(
                peak < first + LIMIT * 3 / 2,
                "peak RSS {peak} from {first} with a {LIMIT}-byte limit"
            );
        }
    }
    // Each stopped isolate's memory comes back once its thread has freed
    // it: the process ends within 20% of where it started.
    let bound = start + start / 5;
    let settled = eventually(|| isola.rss_bytes() < bound);
    assert!(
        settled,
        "RSS {} after {BOMBS} bombs, from {start}",
        isola.rss_bytes()
    );
    assert_eq!(
        isola.worker_stats("bomb")["errors"]["memory_limit"],
        BOMBS + 1
    );
    assert_eq!(isola.get("/").text(), "hello\n");
}

#[test]
fn an_isolate_that_formats_error_stacks_does_not_grow() {
    const MB: u64 = 1 << 20;
    let dir = host_config(&format!(
        "[[workers]]\npath = \"{}\"\nlimits = {{ cpu_ms = 10000 }}\n",
        file("stacks.js")
    ));
    let isola = serve(dir.path());
    let stacks = |requests| {
        for _ in 0..requests {
            let reply = isola.get("/");
            assert_eq!(reply.status, 200, "{}", reply.text());
        }
    };
    // The first requests bring in what formatting a stack needs.
    stacks(20);
    let start = isola.rss_bytes();
    // 40,000 stacks: while the engine facade remembered each static string
    // deno_core made for them, the process grew by 24 MB (release build)
    // to 136 MB (debug build).
    stacks(40);
    let grown = isola.rss_bytes().saturating_sub(start);
    assert!(grown < 10 * MB, "RSS grew {} MB over 40,000 stacks", grown / MB);
}

#[test]
fn too_many_subrequests_throw_cloudflares_error() {
    let origin = Origin::start();
    let dir = host_config(&format!(
        "[[workers]]\npath = \"{}\"\nlimits = {{ subrequests = 3 }}\n",
        file("fetcher.js")
    ));
    let isola = serve(dir.path());
    let within = isola.get(&format!("/?n=3&target={}", origin.url()));
    assert_eq!(within.text(), "fetched 3\n");
    let over = isola.get(&format!("/?n=5&target={}", origin.url()));
    assert_eq!(over.text(), "fetched 3, then Too many subrequests.\n");
    assert_eq!(origin.requests().len(), 6, "{:?}", origin.requests());
}

#[test]
fn an_oversized_request_body_is_refused() {
    let dir = host_config(&format!(
        "[[workers]]\npath = \"{}\"\nlimits = {{ request_mb = 1 }}\n",
        file("hello.js")
    ));
    let isola = serve(dir.path());
    // The declared length is enough to refuse it: no need to send the body.
    let mut stream = isola.connect();
    crate::support::send_raw(
        &mut stream,
        b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2097152\r\n\r\n",
    );
    let response = crate::support::read_until(&mut stream, "\r\n\r\n");
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert_eq!(isola.post("/", b"small").status, 200);
}

#[test]
fn sustained_load_on_a_healthy_worker_never_trips_the_cpu_limit() {
    let isola = Isola::serve(&[
        case("limits").join("hello.js").to_str().unwrap(),
        "--isolates",
        "1",
        "--concurrency",
        "64",
    ]);
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let url = isola.url("/");
            std::thread::spawn(move || {
                (0..300)
                    .map(|_| crate::support::request("GET", &url, &[], None).status)
                    .filter(|status| *status != 200)
                    .count()
            })
        })
        .collect();
    let failed: usize = clients.into_iter().map(|c| c.join().unwrap()).sum();
    assert_eq!(failed, 0);
    let stats = isola.worker_stats("hello");
    assert_eq!(stats["requests"], 2400);
    assert_eq!(stats["errors"], serde_json::json!({}));
}

#[test]
fn top_level_code_has_a_startup_budget_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    // About 100 ms of work at the top level: over the 50 ms a request may
    // use, within the 400 ms a Worker may use to start.
    let slow = dir.path().join("slow.js");
    std::fs::write(
        &slow,
        "const started = Date.now();\nwhile (Date.now() - started < 100) {}\n\
         export default { fetch() { return new Response(\"started\"); } };\n",
    )
    .unwrap();
    let isola = Isola::serve(&[slow.to_str().unwrap()]);
    assert_eq!(isola.get("/").text(), "started");

    let endless = dir.path().join("endless.js");
    std::fs::write(
        &endless,
        "while (true) {}\nexport default { fetch() { return new Response(\"never\"); } };\n",
    )
    .unwrap();
    let exit = crate::support::run(&["serve", endless.to_str().unwrap(), "--port", "0"]);
    assert!(!exit.status.success());
    assert!(
        exit.stderr.contains("[endless]")
            && exit.stderr.contains("endless.js")
            && exit.stderr.contains("startup limit of 400 ms"),
        "{}",
        exit.stderr
    );
}

#[test]
fn timers_stop_with_the_request_that_set_them() {
    let isola = Isola::serve(&[case("timers").join("worker.js").to_str().unwrap()]);
    assert_eq!(isola.get("/spin").text(), "spinning");
    // Left behind by an answered request, the interval and the timeout
    // never run: no request is live to run them for.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(isola.get("/ticks").text(), "0");

    // While a request is live they do: its body, its waitUntil work, its
    // WebSocket.
    assert_eq!(
        isola.get("/stream").text(),
        "chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n"
    );
    assert_eq!(isola.get("/wait").text(), "waiting");
    let deadline = std::time::Instant::now() + crate::support::PATIENCE;
    while isola.get("/waited").text() != "true" {
        assert!(std::time::Instant::now() < deadline, "waitUntil's timer never ran");
        std::thread::sleep(Duration::from_millis(20));
    }
    let url = isola.url("/socket").replacen("http://", "ws://", 1);
    let (mut socket, _) = tungstenite::connect(url).unwrap();
    for n in 1..=3 {
        assert_eq!(
            socket.read().unwrap(),
            tungstenite::Message::text(format!("tick {n}"))
        );
    }
}

#[test]
fn a_timers_cpu_time_is_charged_to_the_request_that_set_it() {
    // One isolate serves all: eight requests wait on timers while one
    // computes 200 ms in its timers' callbacks. Shared among the nine in
    // flight, that would be 22 ms each, under everyone's 50 ms limit; it
    // is the one request's alone, so it alone fails.
    let isola = Isola::serve(&[
        &file("timer-cpu.js"),
        "--isolates",
        "1",
        "--concurrency",
        "64",
        "--cpu-ms",
        "50",
    ]);
    assert_eq!(isola.get("/warm").text(), "waited");
    let waiting: Vec<_> = (0..8)
        .map(|_| {
            let url = isola.url("/wait");
            std::thread::spawn(move || crate::support::request("GET", &url, &[], None))
        })
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    let burnt = isola.get("/burn");
    assert_eq!(burnt.status, 503, "{}", burnt.text());
    assert!(burnt.text().contains("Error 1102"), "{}", burnt.text());
    for waited in waiting {
        let waited = waited.join().unwrap();
        assert_eq!(waited.status, 200, "{}", waited.text());
        assert_eq!(waited.text(), "waited");
    }
}

#[test]
fn a_self_fetch_chain_stops_when_its_client_leaves() {
    let isola = Isola::serve(&[case("self-fetch").join("worker.js").to_str().unwrap()]);
    let requests = || isola.worker_stats("worker")["requests"].as_u64().unwrap();
    // A client that gives up after a moment, while the chain grows.
    let impatient = ureq::AgentBuilder::new()
        .timeout(Duration::from_millis(300))
        .build();
    assert!(impatient.get(&isola.url("/chain")).call().is_err());
    std::thread::sleep(Duration::from_millis(300));
    let stopped_at = requests();
    assert!(stopped_at > 2, "the chain never grew: {stopped_at}");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(requests(), stopped_at, "the chain went on after its client left");
    assert_eq!(isola.get("/").text(), "ok");
}

/// Asks the self-fetch Worker for `path`, whose answer starts a chain of
/// self-fetches it leaves behind, and checks that the chain is dropped with
/// the request: at most `most` requests 300 ms later, and not one more in
/// the `quiet` time after that.
fn assert_leftover_chain_dropped(path: &str, most: u64, quiet: Duration, after: &str) {
    let isola = Isola::serve(&[case("self-fetch").join("worker.js").to_str().unwrap()]);
    let requests = || isola.worker_stats("worker")["requests"].as_u64().unwrap();
    assert_eq!(isola.get(path).text(), "started");
    std::thread::sleep(Duration::from_millis(300));
    let stopped_at = requests();
    assert!(stopped_at <= most, "the chain went on: {stopped_at} requests");
    std::thread::sleep(quiet);
    assert_eq!(requests(), stopped_at, "the chain went on after {after}");
}

#[test]
fn a_fetch_left_in_flight_is_dropped_when_its_request_ends() {
    // The answer waits for nothing; the chain it started is dropped with it,
    // before the chain's first link has made its own subrequest.
    assert_leftover_chain_dropped(
        "/scatter",
        4,
        Duration::from_millis(500),
        "its request ended",
    );
}

#[test]
fn a_fetch_left_in_flight_is_dropped_once_its_streamed_answer_ends() {
    // The answer's body is a stream its Worker writes for 50 ms; the chain
    // it started (a link every 100 ms) is dropped when that stream ends.
    assert_leftover_chain_dropped(
        "/stream-scatter",
        3,
        Duration::from_millis(700),
        "its request's streamed answer ended",
    );
}

#[test]
fn subrequests_count_across_the_whole_chain_of_a_self_fetch_fan_out() {
    let isola = Isola::serve(&[case("self-fetch").join("worker.js").to_str().unwrap()]);
    // Each level fetches itself three times: its own 50 subrequests, and
    // the 16 levels of the loop limit, would let millions through. The
    // chain shares the first request's 50.
    assert_eq!(isola.get("/fan").text(), "3");
    let requests = isola.worker_stats("worker")["requests"].as_u64().unwrap();
    assert_eq!(requests, 51, "the first request and the 50 subrequests of its chain");
    // A new request from outside is a new chain, with a budget of its own.
    assert_eq!(isola.get("/fan").text(), "3");
    let requests = isola.worker_stats("worker")["requests"].as_u64().unwrap();
    assert_eq!(requests, 102);
}
