//! Against the etcd server `ISOLA_TEST_ETCD` names (`scripts/test` starts
//! one); each test under a prefix of its own.

use super::*;

fn config(prefix: &str, host: &str) -> ClusterConfig {
    let etcd = std::env::var("ISOLA_TEST_ETCD")
        .expect("ISOLA_TEST_ETCD names the etcd server the tests use (scripts/test starts one)");
    ClusterConfig {
        etcd: vec![etcd],
        prefix: prefix.to_string(),
        host: host.to_string(),
        url: format!("http://{host}.internal"),
        ttl: Duration::from_secs(2),
    }
}

fn prefix() -> String {
    format!("/isola-test-{:016x}", rand_u64())
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

/// Waits until `view` shows `hosts` hosts.
fn sees(cluster: &Cluster, hosts: usize) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while cluster.view().hosts().len() != hosts {
        assert!(std::time::Instant::now() < deadline, "{:?}", cluster.view());
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn here(placement: Placement) -> Arc<Ownership> {
    match placement {
        Placement::Here(ownership) => ownership,
        Placement::There { host, .. } => panic!("placed on {host}"),
    }
}

#[test]
fn every_host_places_an_object_on_the_same_owner() {
    let prefix = prefix();
    let a = Cluster::join(config(&prefix, "a")).unwrap();
    let b = Cluster::join(config(&prefix, "b")).unwrap();
    sees(&a, 2);
    sees(&b, 2);
    for i in 0..20 {
        let key = format!("d1/db-{i}");
        let (owner, other) = match a.place(&key).unwrap() {
            Placement::Here(_) => (&a, &b),
            Placement::There { host, url } => {
                assert_eq!((host.as_str(), url.as_str()), ("b", "http://b.internal"));
                (&b, &a)
            }
        };
        let ownership = here(owner.place(&key).unwrap());
        ownership.check().unwrap();
        match other.claim(&key).unwrap() {
            Placement::There { host, .. } => assert_eq!(host, owner.host()),
            Placement::Here(_) => panic!("{key} has two owners"),
        }
    }
}

#[test]
fn a_host_that_leaves_loses_its_objects_and_their_fence() {
    let prefix = prefix();
    let a = Cluster::join(config(&prefix, "a")).unwrap();
    let old = here(a.claim("do/counter").unwrap());
    old.check().unwrap();
    let b = Cluster::join(config(&prefix, "b")).unwrap();
    match b.claim("do/counter").unwrap() {
        Placement::There { host, .. } => assert_eq!(host, "a"),
        Placement::Here(_) => panic!("claimed while a owns it"),
    }
    drop(a);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let new = loop {
        b.forget("do/counter");
        if let Placement::Here(new) = b.claim("do/counter").unwrap() {
            break new;
        }
        assert!(std::time::Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        new.token() > old.token(),
        "{} > {}",
        new.token(),
        old.token()
    );
    new.check().unwrap();
    let error = old.check().unwrap_err();
    assert!(
        error.contains("left") || error.contains("owned by b"),
        "{error}"
    );
    sees(&b, 1);
}

#[test]
fn an_unreachable_etcd_is_named() {
    let mut config = config(&prefix(), "a");
    config.etcd = vec!["http://127.0.0.1:9".into()];
    let error = Cluster::join(config).err().unwrap();
    assert!(error.contains("127.0.0.1:9"), "{error}");
}
