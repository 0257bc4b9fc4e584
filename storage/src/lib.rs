//! isola's state layer: what Workers bindings store.
//!
//! Each store is a narrow trait over raw storage, with Cloudflare's rules
//! kept above it in one place, so every backend behaves alike and a new one
//! (a networked database, say) only has to store and find what it is given:
//!
//! - [`kv`]: Workers KV over [`kv::KvBackend`], with Cloudflare's limits,
//!   expirations, metadata and cursors.
//! - [`cache`]: the Cache API's responses over [`cache::CacheBackend`].
//! - [`d1`]: D1 over [`d1::D1Backend`], with D1's results, errors, export
//!   and migrations (Durable Objects' storage runs on it too);
//! - [`alarms`]: when Durable Objects' alarms are due;
//! - [`r2`]: R2 buckets, bytes in an `object_store` store (files, or
//!   memory) and metadata in SQLite;
//! - [`queues`]: Queues' messages, leases, retries and dead-letter moves,
//!   in SQLite;
//! - [`claims`]: which of several hosts fires a scheduled event.
//! - [`signals`]: what hosts sharing a database tell one another.
//! - [`replica`]: SQLite databases replicated to object storage, for the
//!   host that takes one over when its owner dies.
//!
//! Backends today: KV and caches share one sled database per state
//! directory (`sled_db`), live in memory (`memory`), or in PostgreSQL
//! (`postgres`), which several hosts can share; D1 runs on SQLite,
//! a file or `:memory:`. [`StoreError`] (in `error`) is what KV and caches
//! report when storage itself fails.
//!
//! The apis crate exposes these to Workers; the `isola` command reaches
//! them directly or through a running server.

pub mod alarms;
pub mod background;
pub mod cache;
pub mod claims;
pub mod d1;
mod error;
mod health;
mod integrity;
pub mod kv;
mod memory;
mod postgres;
pub mod queues;
pub mod r2;
pub mod replica;
pub mod signals;
mod sled_db;
#[cfg(test)]
mod test_support;

pub use error::StoreError;
pub use health::BackendHealth;
pub use kv::{KvError, KvStore};

/// Seconds since the epoch: the clock KV expirations are kept in.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
