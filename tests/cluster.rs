//! Several hosts over shared backends: KV, the Cache API and Queues in a
//! database of each test's own on the tests' PostgreSQL server, and R2's
//! bytes in the tests' S3 bucket (see `support::backends`).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::{Isola, case, new_database, postgres_server, psql, request, s3_server};

/// Writes `dir/isola.toml`: the shared-state Worker (on `state.test`) and
/// a hello Worker for everything else, with KV at `kv`.
fn host_config(dir: &Path, kv: &str) -> String {
    host_config_with(dir, kv, "")
}

/// [`host_config`] with `more` lines in `[storage]`.
fn host_config_with(dir: &Path, kv: &str, more: &str) -> String {
    let hello = dir.join("hello.js");
    std::fs::write(
        &hello,
        "export default { fetch() { return new Response('still serving') } }",
    )
    .unwrap();
    let path = dir.join("isola.toml");
    std::fs::write(
        &path,
        format!(
            "[storage]\nkv = {kv:?}\n{more}\n\
             [[workers]]\npath = {:?}\nroutes = [\"state.test/*\"]\n\n\
             [[workers]]\npath = {:?}\n",
            case("shared-state").to_str().unwrap(),
            hello.to_str().unwrap(),
        ),
    )
    .unwrap();
    path.to_str().unwrap().to_string()
}

/// A request to the shared-state Worker on `host`.
fn state(host: &Isola, method: &str, path: &str, body: Option<&[u8]>) -> (u16, String) {
    let reply = request(method, &host.url(path), &[("host", "state.test")], body);
    (reply.status, reply.text())
}

#[test]
fn hosts_on_one_postgres_database_share_kv_and_the_cache() {
    let server = postgres_server();
    let db = new_database();
    let dir = tempfile::tempdir().unwrap();
    let config = host_config(dir.path(), &format!("{server}/{db}"));
    let one = Isola::serve(&[&config]);
    let two = Isola::serve(&[&config]);

    assert_eq!(
        state(&one, "PUT", "/kv/greeting", Some(b"hello from one")),
        (200, "stored".into())
    );
    assert_eq!(
        state(&two, "GET", "/kv/greeting", None),
        (200, "hello from one".into()),
        "a write is seen at once by the other host"
    );
    state(&two, "PUT", "/kv/list/b", Some(b"2"));
    state(&one, "PUT", "/kv/list/a", Some(b"1"));
    assert_eq!(
        state(&one, "GET", "/kv?prefix=list/", None),
        (200, r#"["list/a","list/b"]"#.into())
    );

    assert_eq!(
        state(&two, "PUT", "/cache/page", Some(b"cached by two")),
        (200, "cached".into())
    );
    assert_eq!(
        state(&one, "GET", "/cache/page", None),
        (200, "cached by two".into())
    );

    // The data is in the database, not in either host: a third host that
    // starts later, with a state directory of its own, finds it.
    drop((one, two));
    let three = Isola::serve(&[&config]);
    assert_eq!(
        state(&three, "GET", "/kv/greeting", None),
        (200, "hello from one".into())
    );
}

#[test]
fn three_hosts_share_r2_objects_through_one_s3_bucket() {
    let db = new_database();
    let dir = tempfile::tempdir().unwrap();
    let r2 = format!("r2 = \"s3://isola-test/{db}?endpoint={}\"", s3_server());
    let config = host_config_with(dir.path(), &format!("{}/{db}", postgres_server()), &r2);
    let hosts: Vec<Isola> = (0..3).map(|_| Isola::serve(&[&config])).collect();

    // Larger than one part, so that it goes up to S3 in parts.
    let large: Vec<u8> = (0..6 << 20).map(|i: u32| (i % 253) as u8).collect();
    let (status, etag) = state(&hosts[0], "PUT", "/r2/large.bin", Some(&large));
    assert_eq!(status, 200, "{}", hosts[0].log());
    assert_eq!(etag, format!("{:x}", <md5::Md5 as md5::Digest>::digest(&large)), "R2's etag: the MD5");
    for host in &hosts[1..] {
        let reply = request("GET", &host.url("/r2/large.bin"), &[("host", "state.test")], None);
        assert_eq!(reply.status, 200, "{}", host.log());
        assert!(reply.body == large, "the object reads back whole on every host");
    }

    state(&hosts[1], "PUT", "/r2/note", Some(b"first"));
    state(&hosts[2], "PUT", "/r2/note", Some(b"second"));
    assert_eq!(state(&hosts[0], "GET", "/r2/note", None), (200, "second".into()));
    assert_eq!(state(&hosts[0], "DELETE", "/r2/note", None), (200, "deleted".into()));
    for host in &hosts {
        assert_eq!(state(host, "GET", "/r2/note", None), (404, "absent".into()));
    }

    // A host that starts later finds the objects where the others left them.
    drop(hosts);
    let late = Isola::serve(&[&config]);
    let reply = request("GET", &late.url("/r2/large.bin"), &[("host", "state.test")], None);
    assert_eq!(reply.body.len(), large.len());
}

#[test]
fn a_reload_on_one_host_reaches_every_host() {
    let db = new_database();
    let dir = tempfile::tempdir().unwrap();
    let config = host_config(dir.path(), &format!("{}/{db}", postgres_server()));
    let hosts: Vec<Isola> = (0..3).map(|_| Isola::serve(&[&config])).collect();
    for host in &hosts {
        assert_eq!(host.get("/").text(), "still serving");
    }

    std::fs::write(
        dir.path().join("hello.js"),
        "export default { fetch() { return new Response('new version') } }",
    )
    .unwrap();
    let exit = hosts[0].command(&["reload", "hello"]);
    assert!(exit.status.success(), "{}", exit.stderr);
    assert!(exit.stdout.contains("hosts that share its database"), "{}", exit.stdout);
    assert_eq!(hosts[0].get("/").text(), "new version");
    for host in &hosts[1..] {
        let deadline = Instant::now() + Duration::from_secs(15);
        while host.get("/").text() != "new version" {
            assert!(Instant::now() < deadline, "not reloaded:\n{}", host.log());
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

#[test]
fn a_cron_trigger_fires_on_one_host_of_three_each_minute() {
    let dir = tempfile::tempdir().unwrap();
    let config = host_config(
        dir.path(),
        &format!("{}/{}", postgres_server(), new_database()),
    );
    let hosts: Vec<Isola> = (0..3).map(|_| Isola::serve(&[&config])).collect();
    let fired = || -> Vec<String> {
        let (status, keys) = state(&hosts[0], "GET", "/kv?prefix=fired/", None);
        assert_eq!(status, 200, "{keys}");
        serde_json::from_str(&keys).unwrap()
    };
    // The next minute's firing, and time for the slowest host to have
    // fired it too, were it to.
    let deadline = Instant::now() + Duration::from_secs(90);
    while fired().is_empty() {
        assert!(Instant::now() < deadline, "no host fired within 90 s");
        std::thread::sleep(Duration::from_millis(250));
    }
    std::thread::sleep(Duration::from_secs(3));
    let keys = fired();
    // `fired/TIME/ID`: the scheduled time, in milliseconds.
    let time = |key: &String| -> u64 { key.split('/').nth(1).unwrap().parse().unwrap() };
    let first = time(&keys[0]);
    assert_eq!(first % 60_000, 0, "a whole minute: {keys:?}");
    let firings = keys.iter().filter(|key| time(key) / 60_000 == first / 60_000).count();
    assert_eq!(firings, 1, "fired once across the hosts: {keys:?}");
}

#[test]
fn hosts_sharing_a_queue_deliver_each_message_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("{}/{}", postgres_server(), new_database());
    let config = host_config_with(dir.path(), &db, &format!("queues = {db:?}\n"));
    let hosts: Vec<Isola> = (0..3).map(|_| Isola::serve(&[&config])).collect();
    for (i, host) in hosts.iter().enumerate() {
        for round in 0..4 {
            let path = format!("/jobs?from=h{i}r{round}&n=5");
            assert_eq!(state(host, "POST", &path, Some(b"")), (200, "sent".into()));
        }
    }
    let delivered = || -> Vec<String> {
        let (status, keys) = state(&hosts[0], "GET", "/kv?prefix=delivered/", None);
        assert_eq!(status, 200, "{keys}");
        serde_json::from_str(&keys).unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while delivered().len() < 60 {
        assert!(Instant::now() < deadline, "{} of 60 delivered", delivered().len());
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(1));
    let mut bodies: Vec<String> = delivered()
        .iter()
        .map(|key| key.split('/').nth(1).unwrap().to_string())
        .collect();
    bodies.sort();
    let mut sent: Vec<String> = (0..3)
        .flat_map(|h| (0..4).flat_map(move |r| (0..5).map(move |n| format!("h{h}r{r}-{n}"))))
        .collect();
    sent.sort();
    assert_eq!(bodies, sent, "each message delivered once, on one host");
    assert_eq!(
        psql(&db, "SELECT last_value FROM isola_queue_messages_seq_seq"),
        "60",
        "the hosts queued them in the shared database"
    );
    let stats = hosts[1].stats();
    let backends: Vec<&str> = stats["backends"]
        .as_array()
        .unwrap()
        .iter()
        .map(|backend| backend["store"].as_str().unwrap())
        .collect();
    assert_eq!(backends, ["kv", "queues"], "{stats}");
}

#[test]
fn killing_one_host_of_three_mid_load_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let db = new_database();
    let r2 = format!("r2 = \"s3://isola-test/{db}?endpoint={}\"", s3_server());
    let config = host_config_with(dir.path(), &format!("{}/{db}", postgres_server()), &r2);
    let mut hosts: Vec<Isola> = (0..3).map(|_| Isola::serve(&[&config])).collect();
    let urls: Vec<String> = hosts.iter().map(|host| host.url("/")).collect();
    let stop = AtomicBool::new(false);
    // Each writer puts KV keys and R2 objects, in turn, through its own
    // host until told to stop; the paths whose write was acknowledged,
    // and the failures after the kill.
    let (acknowledged, refused) = std::thread::scope(|scope| {
        let writers: Vec<_> = urls
            .iter()
            .enumerate()
            .map(|(writer, url)| {
                let stop = &stop;
                scope.spawn(move || {
                    let (mut acknowledged, mut refused) = (Vec::new(), 0);
                    for i in 0.. {
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        let kind = if i % 2 == 0 { "kv" } else { "r2" };
                        let path = format!("/{kind}/w{writer}-{i}");
                        let put = ureq::put(&format!("{url}{}", &path[1..]))
                            .set("host", "state.test")
                            .timeout(Duration::from_secs(10))
                            .send_bytes(path.as_bytes());
                        match put {
                            Ok(reply) if reply.status() == 200 => acknowledged.push(path),
                            _ => refused += 1,
                        }
                    }
                    (acknowledged, refused)
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(1500));
        hosts.pop().unwrap().kill();
        std::thread::sleep(Duration::from_millis(1500));
        stop.store(true, Ordering::SeqCst);
        let done: Vec<(Vec<String>, usize)> =
            writers.into_iter().map(|w| w.join().unwrap()).collect();
        let refused: Vec<usize> = done.iter().map(|(_, r)| *r).collect();
        (done.into_iter().flat_map(|(a, _)| a).collect::<Vec<_>>(), refused)
    });
    assert!(refused[2] > 0, "the killed host stopped answering");
    assert_eq!(refused[..2], [0, 0], "the other two kept serving");
    for kind in ["/kv/w2-", "/r2/w2-"] {
        assert!(acknowledged.iter().any(|p| p.starts_with(kind)), "{kind}");
    }
    for path in &acknowledged {
        for host in &hosts {
            assert_eq!(
                state(host, "GET", path, None),
                (200, path.clone()),
                "an acknowledged write is kept"
            );
        }
    }
}

#[test]
fn kv_fails_clearly_while_its_database_is_away_and_recovers_after() {
    let server = postgres_server();
    let db = new_database();
    let port: u16 = server.rsplit(':').next().unwrap().parse().unwrap();
    let relay = Relay::start(port);
    let user = server
        .trim_start_matches("postgres://")
        .split('@')
        .next()
        .unwrap();
    let url = format!("postgres://{user}@127.0.0.1:{}/{db}", relay.port);
    let dir = tempfile::tempdir().unwrap();
    let host = Isola::serve(&[&host_config(dir.path(), &url)]);
    assert_eq!(state(&host, "PUT", "/kv/k", Some(b"v")).0, 200);

    relay.cut();
    // A key this host has not read: only the database can answer.
    let (status, error) = state(&host, "GET", "/kv/unread", None);
    assert_eq!(status, 503, "{error}");
    assert!(
        error.contains(&format!("127.0.0.1:{}/{db}", relay.port)),
        "the error names the database: {error}"
    );
    assert_eq!(
        host.get("/").text(),
        "still serving",
        "other Workers serve meanwhile"
    );
    let backend = &host.stats()["backends"][0];
    assert_eq!(backend["store"], "kv", "{backend}");
    assert_eq!(backend["healthy"], false, "{backend}");
    assert!(
        backend["last_error"].as_str().unwrap().contains("cannot be reached"),
        "{backend}"
    );

    relay.restore();
    assert_eq!(
        state(&host, "GET", "/kv/unread", None),
        (404, "absent".into()),
        "KV reconnects once the database is back"
    );
    assert_eq!(state(&host, "PUT", "/kv/k", Some(b"w")).0, 200);
    assert_eq!(state(&host, "GET", "/kv/k", None), (200, "w".into()));
    assert_eq!(host.stats()["backends"][0]["healthy"], true);
}

/// A TCP relay on loopback in front of the database, which the test can
/// cut (every connection dropped, new ones closed at once) and restore.
struct Relay {
    port: u16,
    open: Arc<AtomicBool>,
    live: Arc<Mutex<Vec<TcpStream>>>,
}

impl Relay {
    fn start(target: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let open = Arc::new(AtomicBool::new(true));
        let live = Arc::new(Mutex::new(Vec::new()));
        let (accepting, tracked) = (open.clone(), live.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if !accepting.load(Ordering::SeqCst) {
                    continue;
                }
                let Ok(upstream) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                let mut tracked = tracked.lock().unwrap();
                tracked.push(client.try_clone().unwrap());
                tracked.push(upstream.try_clone().unwrap());
                pipe(client.try_clone().unwrap(), upstream.try_clone().unwrap());
                pipe(upstream, client);
            }
        });
        Self { port, open, live }
    }

    fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        for stream in self.live.lock().unwrap().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

/// Copies what `from` sends to `to` on a thread of its own, until either
/// closes.
fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buf = [0; 16 * 1024];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 || to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Both);
    });
}
