//! D1 databases and Durable Objects on a deployment of three hosts: each
//! on one owner, leased in the tests' etcd server, replicated to a prefix
//! of the tests' S3 bucket, reached from every host, and served again by
//! another host when its owner is killed.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::{Isola, case, etcd_server, s3_server};

/// Seconds a dead host keeps its objects in these tests.
const LEASE_TTL: u64 = 2;

/// Three hosts of one deployment (etcd prefix and bucket prefix of the
/// test's own), serving `tests/cases/owners`.
struct Deployment {
    _dir: tempfile::TempDir,
    hosts: Vec<Option<Isola>>,
}

impl Deployment {
    fn start(replication: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let name = format!("owners-{}-{:08x}", std::process::id(), rand_u32());
        let hosts = (0..3)
            .map(|i| Some(start_host(dir.path(), &name, i, replication)))
            .collect();
        let deployment = Self { _dir: dir, hosts };
        // Every host sees the others before the test places anything.
        for host in deployment.live() {
            assert!(crate::support::eventually(|| {
                host.stats()["cluster"]["hosts"].as_array().map(Vec::len) == Some(3)
            }));
        }
        deployment
    }

    fn live(&self) -> impl Iterator<Item = &Isola> {
        self.hosts.iter().flatten()
    }

    /// The host that owns `key` (`d1/todo`, `do/owners-Counter/…`), once
    /// one does.
    fn owner_of(&self, prefix: &str) -> usize {
        let mut owner = None;
        assert!(crate::support::eventually(|| {
            owner = self.hosts.iter().position(|host| {
                host.as_ref().is_some_and(|host| {
                    host.stats()["cluster"]["owned"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|o| o["key"].as_str().unwrap().starts_with(prefix))
                })
            });
            owner.is_some()
        }));
        owner.unwrap()
    }
}

fn start_host(dir: &Path, name: &str, i: usize, replication: &str) -> Isola {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = dir.join(format!("host-{i}")).join("isola.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(
        &config,
        format!(
            "[cluster]\netcd = [{etcd:?}]\nprefix = \"/{name}\"\nhost = \"h{i}\"\n\
             listen = \"127.0.0.1:{port}\"\nurl = \"http://127.0.0.1:{port}\"\n\
             replicas = \"s3://isola-test/{name}?endpoint={s3}\"\n\
             replication = {replication:?}\nlease_ttl = {LEASE_TTL}\n\n\
             [[workers]]\npath = {worker:?}\n",
            etcd = etcd_server(),
            s3 = s3_server(),
            worker = case("owners").to_str().unwrap(),
        ),
    )
    .unwrap();
    let state = dir.join(format!("state-{i}"));
    Isola::serve_in(&[config.to_str().unwrap()], &state)
}

fn rand_u32() -> u32 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(Instant::now()) as u32
}

/// A request that reports a failed connection instead of panicking: the
/// status and body, or None.
fn try_request(method: &str, url: &str, body: Option<&str>) -> Option<(u16, String)> {
    let request = ureq::request(method, url).timeout(Duration::from_secs(20));
    let result = match body {
        Some(body) => request.send_string(body),
        None => request.call(),
    };
    match result {
        Ok(response) => Some((response.status(), response.into_string().unwrap_or_default())),
        Err(ureq::Error::Status(status, response)) => {
            Some((status, response.into_string().unwrap_or_default()))
        }
        Err(_) => None,
    }
}

fn json(host: &Isola, path: &str) -> serde_json::Value {
    let (status, body) = try_request("GET", &host.url(path), None).expect("an answer");
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap()
}

#[test]
fn every_host_reaches_each_database_and_object_on_its_one_owner() {
    let deployment = Deployment::start("sync");
    let hosts: Vec<&Isola> = deployment.live().collect();
    for id in 0..30 {
        let host = hosts[id % 3];
        let body = format!("{{\"id\":{id},\"title\":\"todo {id}\"}}");
        let (status, answer) = try_request("POST", &host.url("/todos"), Some(&body)).unwrap();
        assert_eq!((status, answer.as_str()), (200, "{\"changes\":1}"));
    }
    let all: Vec<u64> = (0..30).collect();
    for host in &hosts {
        assert_eq!(json(host, "/todos"), serde_json::json!(all));
    }
    for n in 0..12 {
        let host = hosts[n % 3];
        let path = if n % 2 == 0 {
            format!("/counter/shared?id=hit-{n}")
        } else {
            format!("/counter/shared?rpc&id=hit-{n}")
        };
        assert_eq!(json(host, &path)["count"], n + 1, "{path}");
    }
    // One owner each, and the others own neither.
    let d1 = deployment.owner_of("d1/todo");
    let object = deployment.owner_of("do/owners-Counter/");
    for (i, host) in hosts.iter().enumerate() {
        let owned: Vec<String> = host.stats()["cluster"]["owned"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["key"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(owned.iter().any(|k| k == "d1/todo"), i == d1, "h{i}: {owned:?}");
        assert_eq!(
            owned.iter().any(|k| k.starts_with("do/owners-Counter/")),
            i == object,
            "h{i}: {owned:?}"
        );
    }
}

#[test]
fn killing_the_owner_of_a_busy_object_loses_no_acknowledged_write() {
    let mut deployment = Deployment::start("sync");
    let urls: Vec<String> = deployment.live().map(|h| h.url("")).collect();
    // Placed before the load starts, so the kill hits their owner.
    assert_eq!(json(deployment.hosts[0].as_ref().unwrap(), "/counter/busy")["count"], 0);
    let body = "{\"id\":0,\"title\":\"first\"}";
    assert!(try_request("POST", &format!("{}/todos", urls[0]), Some(body)).is_some());
    let owner = deployment.owner_of("do/owners-Counter/");

    // Writers send numbered writes through the hosts in turn; each write
    // is sent again (through the next host) until it is acknowledged.
    let stop = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicU64::new(1));
    let acked = Arc::new(Mutex::new((BTreeSet::new(), BTreeSet::new())));
    // When each acknowledged hit on the counter was sent, and answered.
    let counted_at = Arc::new(Mutex::new(Vec::new()));
    let alive = Arc::new(Mutex::new(vec![true; 3]));
    let writers: Vec<_> = (0..3)
        .map(|w| {
            let (stop, next, acked, counted_at, alive, urls) = (
                stop.clone(),
                next.clone(),
                acked.clone(),
                counted_at.clone(),
                alive.clone(),
                urls.clone(),
            );
            std::thread::spawn(move || {
                let mut turn = w;
                while !stop.load(Ordering::SeqCst) {
                    let n = next.fetch_add(1, Ordering::SeqCst);
                    let deadline = Instant::now() + Duration::from_secs(30);
                    let (mut counted, mut stored) = (false, false);
                    while !(counted && stored) {
                        assert!(Instant::now() < deadline, "write {n} was never acknowledged");
                        turn = (turn + 1) % 3;
                        if !alive.lock().unwrap()[turn] {
                            continue;
                        }
                        let base = &urls[turn];
                        if !counted {
                            let url = format!("{base}/counter/busy?id=w{n}");
                            let sent = Instant::now();
                            counted = matches!(try_request("GET", &url, None), Some((200, _)));
                            if counted {
                                counted_at.lock().unwrap().push((sent, Instant::now()));
                            }
                        }
                        if !stored {
                            let body = format!("{{\"id\":{n},\"title\":\"todo {n}\"}}");
                            let url = format!("{base}/todos");
                            stored =
                                matches!(try_request("POST", &url, Some(&body)), Some((200, _)));
                        }
                        if !(counted && stored) {
                            std::thread::sleep(Duration::from_millis(20));
                        }
                    }
                    let mut acked = acked.lock().unwrap();
                    acked.0.insert(format!("w{n}"));
                    acked.1.insert(n);
                }
            })
        })
        .collect();

    assert!(crate::support::eventually(|| acked.lock().unwrap().0.len() >= 60));
    alive.lock().unwrap()[owner] = false;
    let killed_at = Instant::now();
    let before = acked.lock().unwrap().0.len();
    deployment.hosts[owner].take().unwrap().kill();
    // Served again: writes are acknowledged after the kill.
    let served = crate::support::eventually(|| acked.lock().unwrap().0.len() >= before + 30);
    let logs: Vec<String> = deployment.live().map(Isola::log).collect();
    assert!(served, "no writes acknowledged after the kill; the survivors' logs:\n{}", logs.join("\n---\n"));
    stop.store(true, Ordering::SeqCst);
    for writer in writers {
        writer.join().unwrap();
    }
    let served_again = counted_at
        .lock()
        .unwrap()
        .iter()
        .filter(|(sent, _)| *sent > killed_at)
        .map(|(_, answered)| answered.duration_since(killed_at))
        .min();
    eprintln!("failover: the object answered again {served_again:?} after its owner was killed");

    let (hits, todos) = acked.lock().unwrap().clone();
    let survivor = deployment.live().next().unwrap();
    let count = json(survivor, "/counter/busy")["count"].as_u64().unwrap();
    assert_eq!(count, hits.len() as u64, "the counter is exact");
    let stored: BTreeSet<u64> = json(survivor, "/todos")
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    let missing: Vec<_> = todos.difference(&stored).collect();
    assert!(missing.is_empty(), "acknowledged todos lost: {missing:?}");
    // The survivors agree, and one of them took the object over.
    for host in deployment.live() {
        assert_eq!(json(host, "/counter/busy")["count"].as_u64(), Some(count));
    }
    let takeovers: u64 = deployment
        .live()
        .map(|h| h.stats()["cluster"]["takeovers"].as_u64().unwrap())
        .sum();
    assert!(takeovers >= 1, "a survivor restored the object");
}

#[test]
fn an_alarm_whose_owner_died_fires_once_on_the_host_that_takes_the_object_over() {
    let mut deployment = Deployment::start("sync");
    let first = deployment.hosts[0].as_ref().unwrap();
    let (status, body) = try_request("POST", &first.url("/alarm/sleepy?in=2500"), None).unwrap();
    assert_eq!((status, body.as_str()), (200, "{\"fired\":0}"));
    let owner = deployment.owner_of("do/owners-Counter/");
    deployment.hosts[owner].take().unwrap().kill();
    let survivor = deployment.live().next().unwrap();
    let mut fired = serde_json::Value::Null;
    assert!(
        crate::support::eventually(|| {
            fired = try_request("GET", &survivor.url("/alarm/sleepy"), None)
                .filter(|(status, _)| *status == 200)
                .and_then(|(_, body)| serde_json::from_str(&body).ok())
                .unwrap_or_default();
            fired["fired"] == 1
        }),
        "the alarm never ran after its owner died: {fired}"
    );
    // Once: no other host runs it again.
    std::thread::sleep(Duration::from_secs(2));
    for host in deployment.live() {
        assert_eq!(json(host, "/alarm/sleepy")["fired"], 1);
    }
}

#[test]
fn a_cluster_config_with_a_bad_etcd_url_is_refused_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("isola.toml");
    std::fs::write(
        &config,
        format!(
            "[cluster]\netcd = [\"127.0.0.1:2379\"]\nhost = \"h\"\nlisten = \"127.0.0.1:0\"\n\
             url = \"http://127.0.0.1:1\"\nreplicas = \"s3://b?endpoint=http://127.0.0.1:1\"\n\n\
             [[workers]]\npath = {:?}\n",
            case("owners").to_str().unwrap()
        ),
    )
    .unwrap();
    let exit = crate::support::run(&["serve", config.to_str().unwrap()]);
    assert!(!exit.status.success());
    assert!(exit.stderr.contains("`cluster.etcd`"), "{}", exit.stderr);
    assert!(exit.stderr.contains("isola.toml"), "{}", exit.stderr);
}
