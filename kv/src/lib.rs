//! isola's state layer: what Workers bindings store, on disk.
//!
//! - [`kv`]: Workers KV on sled, with Cloudflare's limits and messages.
//! - [`d1`]: D1 on SQLite, with D1's results, errors and migrations.
//!
//! The bindings crate exposes these to Workers; the `isola` command reaches
//! them directly or through a running server.

pub mod d1;
pub mod kv;

pub use kv::{KvError, KvStore, StoreError};
