//! What the KV and cache tests share: one case run on every backend, and
//! reopening a sled state directory.

use std::path::Path;
use std::time::Duration;

use crate::{KvStore, StoreError};

/// Makes each `fn case(store: KvStore) { .. }` a module with one test per
/// backend (`case::memory`, `case::sled`), so a failure names its backend.
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
