//! isola's state layer: what Workers bindings store, on disk.
//!
//! - [`kv`]: Workers KV on sled, with Cloudflare's limits and messages.
//! - [`d1`]: D1 on SQLite, with D1's results, errors and migrations.
//! - [`cache`]: the Cache API's responses, beside KV in sled.
//!
//! The bindings crate exposes these to Workers; the `isola` command reaches
//! them directly or through a running server.

pub mod cache;
pub mod d1;
pub mod kv;

pub use kv::{KvError, KvStore, StoreError};

/// Seconds since the epoch: the clock KV expirations are kept in.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
