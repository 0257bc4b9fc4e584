//! The backends a host under test keeps KV, the Cache API, Queues and R2
//! in: the embedded ones (sled, SQLite and files in its state directory),
//! or the shared ones: a database of its own on the tests' PostgreSQL
//! server (`ISOLA_TEST_POSTGRES`) and a prefix of its own in the tests' S3
//! bucket (`ISOLA_TEST_S3`), which `scripts/test` starts. Tests of what a
//! Worker sees run on each, with the same assertions.

use std::sync::atomic::{AtomicU32, Ordering};

use super::{Isola, StateDir};

/// Where a host under test keeps KV, the Cache API, Queues and R2.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Embedded,
    /// PostgreSQL, and S3 for R2's bytes.
    Shared,
}

impl Backend {
    /// `isola serve WORKER` with its stores in this backend, and a state
    /// directory of its own.
    pub fn serve(self, worker: &str) -> Isola {
        match self {
            Self::Embedded => Isola::serve(&[worker]),
            Self::Shared => {
                let state = tempfile::tempdir().unwrap();
                let config = state.path().join("isola.toml");
                let name = new_database();
                let db = format!("{}/{name}", postgres_server());
                let r2 = format!("s3://isola-test/{name}?endpoint={}", s3_server());
                std::fs::write(
                    &config,
                    format!(
                        "[storage]\nkv = {db:?}\nqueues = {db:?}\nr2 = {r2:?}\n\n\
                         [[workers]]\npath = {worker:?}\n"
                    ),
                )
                .unwrap();
                Isola::serve_with_state(
                    &[config.to_str().unwrap()],
                    StateDir::Temporary(state),
                    true,
                )
            }
        }
    }
}

/// Makes each `fn name(backend: Backend) { .. }` a module with a test per
/// backend (`name::embedded`, `name::shared`), so a failure names its
/// backend.
macro_rules! on_every_backend {
    ($(fn $name:ident($backend:ident: Backend) $body:block)*) => {$(
        mod $name {
            use super::*;

            fn case($backend: $crate::support::Backend) $body

            #[test]
            fn embedded() {
                case($crate::support::Backend::Embedded);
            }

            #[test]
            fn shared() {
                case($crate::support::Backend::Shared);
            }
        }
    )*};
}
pub(crate) use on_every_backend;

/// The tests' PostgreSQL server: `postgres://user@host:port`.
pub fn postgres_server() -> String {
    std::env::var("ISOLA_TEST_POSTGRES").expect(
        "ISOLA_TEST_POSTGRES names the PostgreSQL server the tests use \
         (postgres://user@host:port; scripts/test starts one)",
    )
}

/// The tests' S3 server (`http://127.0.0.1:port`), which has the bucket
/// `isola-test` and takes the keys in `AWS_ACCESS_KEY_ID` and
/// `AWS_SECRET_ACCESS_KEY`.
pub fn s3_server() -> String {
    std::env::var("ISOLA_TEST_S3").expect(
        "ISOLA_TEST_S3 names the S3 server the tests use \
         (http://host:port, with the bucket isola-test; scripts/test starts one)",
    )
}

/// The tests' etcd server (`http://127.0.0.1:port`).
pub fn etcd_server() -> String {
    std::env::var("ISOLA_TEST_ETCD").expect(
        "ISOLA_TEST_ETCD names the etcd server the tests use \
         (http://host:port; scripts/test starts one)",
    )
}

/// Creates an empty database on the tests' server (through `psql`); its
/// name.
pub fn new_database() -> String {
    static MADE: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "host_{}_{}",
        std::process::id(),
        MADE.fetch_add(1, Ordering::Relaxed)
    );
    psql(
        &format!("{}/postgres", postgres_server()),
        &format!("CREATE DATABASE {name}"),
    );
    name
}

/// What `sql` answers in the database at `url` (through `psql`), as text.
pub fn psql(url: &str, sql: &str) -> String {
    let out = std::process::Command::new("psql")
        .args([url, "-Atc", sql])
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
