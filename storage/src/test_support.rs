//! What the KV and cache tests share: one case run on every backend, and
//! reopening a sled state directory.
//!
//! The PostgreSQL cases run on the server `ISOLA_TEST_POSTGRES` names
//! (`postgres://user@host:port`, without a database; `scripts/test` starts
//! one), each in a database of its own.

use std::path::Path;
use std::time::Duration;

use crate::{KvStore, StoreError};

/// Makes each `fn case(store: KvStore) { .. }` a module with one test per
/// backend (`case::memory`, `case::sled`, `case::postgres`), so a failure
/// names its backend.
macro_rules! on_every_backend {
    ($(fn $case:ident($store:ident: KvStore) $body:block)*) => {$(
        mod $case {
            use super::*;

            fn case($store: KvStore) $body

            #[test]
            fn memory() {
                case(KvStore::memory().unwrap());
            }

            #[test]
            fn sled() {
                let dir = tempfile::tempdir().unwrap();
                case(KvStore::open(dir.path()).unwrap());
            }

            #[test]
            fn postgres() {
                let url = $crate::test_support::postgres_database();
                case(KvStore::postgres(&url, std::time::Duration::from_secs(60)).unwrap());
            }
        }
    )*};
}
pub(crate) use on_every_backend;

/// Opens the sled state in `dir` again. Sled's background threads may hold
/// the file lock for a moment after the last handle is dropped, so a
/// `Locked` then is waited out (for a few seconds at most).
pub(crate) fn reopen(dir: &Path) -> KvStore {
    for _ in 0..250 {
        match KvStore::open(dir) {
            Err(StoreError::Locked(_)) => std::thread::sleep(Duration::from_millis(20)),
            opened => return opened.unwrap(),
        }
    }
    panic!("the KV state in {} stays locked", dir.display());
}

/// Opens `dir`'s sled database itself, waiting out the lock as [`reopen`]
/// does: what a state directory holds, whatever wrote it.
pub(crate) fn open_sled(dir: &Path) -> sled::Db {
    for _ in 0..250 {
        match sled::open(dir.join("kv")) {
            Err(sled::Error::Io(e)) if e.to_string().contains("lock") => {
                std::thread::sleep(Duration::from_millis(20));
            }
            opened => return opened.unwrap(),
        }
    }
    panic!("the sled database in {} stays locked", dir.display());
}

/// The URL of a new, empty database on the tests' PostgreSQL server.
pub(crate) fn postgres_database() -> String {
    let server = std::env::var("ISOLA_TEST_POSTGRES").expect(
        "ISOLA_TEST_POSTGRES names the PostgreSQL server the tests use \
         (postgres://user@host:port; scripts/test starts one)",
    );
    let name = format!("kv_{:016x}", rand::random::<u64>());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (client, connection) =
            tokio_postgres::connect(&format!("{server}/postgres"), tokio_postgres::NoTls)
                .await
                .unwrap_or_else(|e| panic!("cannot reach ISOLA_TEST_POSTGRES ({server}): {e}"));
        tokio::spawn(connection);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
    });
    format!("{server}/{name}")
}
