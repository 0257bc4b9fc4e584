//! The backends a host under test keeps KV, the Cache API and Queues in:
//! the embedded ones (sled and SQLite in its state directory), or a database of its own on
//! the tests' PostgreSQL server (`ISOLA_TEST_POSTGRES`, which `scripts/test`
//! starts). Tests of what a Worker sees run on each, with the same
//! assertions.

use std::sync::atomic::{AtomicU32, Ordering};

use super::{Isola, StateDir};

/// Where a host under test keeps KV, the Cache API and Queues.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Embedded,
    Postgres,
}

impl Backend {
    /// `isola serve WORKER` with KV, the Cache API and Queues in this backend, and
    /// a state directory of its own.
    pub fn serve(self, worker: &str) -> Isola {
        match self {
            Self::Embedded => Isola::serve(&[worker]),
            Self::Postgres => {
                let state = tempfile::tempdir().unwrap();
                let config = state.path().join("isola.toml");
                let db = format!("{}/{}", postgres_server(), new_database());
                std::fs::write(
                    &config,
                    format!(
                        "[storage]\nkv = {db:?}\nqueues = {db:?}\n\n[[workers]]\npath = {worker:?}\n"
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
/// backend (`name::embedded`, `name::postgres`), so a failure names its
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
            fn postgres() {
                case($crate::support::Backend::Postgres);
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
