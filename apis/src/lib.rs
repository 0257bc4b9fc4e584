//! Everything a Worker's code can reach, one folder per Workers API, as
//! Deno's `ext/<api>` folders are: each holds the API's deno_core ops, its
//! JS, its WIT host side for Wasm guests where it has one, and `tests.rs`,
//! its black-box tests (compiled into the `isola` crate's test binary).
//!
//! | folder | what Workers code sees |
//! | --- | --- |
//! | [`global_scope`] | the frame: global scope, `fetch`/`scheduled` dispatch, `env` |
//! | [`kv`] | `env.KV`: `KVNamespace` |
//! | [`d1`] | `env.DB`: `D1Database` |
//! | [`services`] | `env.AUTH`: a service binding's `Fetcher` |
//! | [`r2`] | `env.BUCKET`: `R2Bucket` |
//! | [`queues`] | `env.JOBS`: a queue's producer; the `queue` handler's batches |
//! | [`durable_objects`] | `env.COUNTER`: `DurableObjectNamespace`, the objects and their storage |
//! | [`cache`] | `caches`, `Cache`, `CacheStorage` |
//! | [`html_rewriter`] | `HTMLRewriter` |
//! | [`websocket`] | `WebSocketPair`, `WebSocket`, `fetch()` upgrades |
//! | [`crypto`] | `crypto.DigestStream`, `crypto.subtle.timingSafeEqual` |
//! | [`node`] | `node:` modules, `Buffer`, `process` |
//! | [`sockets`] | `connect()` of `cloudflare:sockets` |
//!
//! (`WebAssembly` lives in the `isola` crate, beside the isolate whose CPU
//! account and memory budget it shares.)
//!
//! A binding follows the lifecycle in [`binding`]; adding one is a folder
//! and a line in [`BINDINGS`]. Its store comes from `isola-storage`
//! through [`Stores`]; [`body`] is the vocabulary of bodies that the
//! server, isolates, guests and service bindings share.

pub mod binding;
pub mod body;
pub mod cache;
pub mod crypto;
pub mod d1;
pub mod denied_ipv6;
pub mod durable_objects;
pub mod global_scope;
pub mod html_rewriter;
pub mod kv;
pub mod node;
pub mod outbound_tcp;
pub mod queues;
pub mod r2;
pub mod services;
pub mod sockets;
pub mod spin;
pub mod stores;
pub mod unsafe_eval;
pub mod websocket;
pub mod wit;

pub use binding::{BannerRow, Binding, BindingKind, JsBinding, WorkerBindings};
pub use stores::{Placement, SharedStorage, Store, Stores};

/// Every kind of binding a Worker's config can declare.
pub static BINDINGS: &[&dyn BindingKind] = &[
    &kv::KvNamespaces,
    &d1::D1Databases,
    &services::Services,
    &durable_objects::DurableObjects,
    &r2::R2Buckets,
    &queues::Queues,
    &unsafe_eval::UnsafeBindings,
];

/// The deno_core extensions of the global scope and of every API, in the
/// order an isolate loads them.
pub fn extensions() -> Vec<deno_core::Extension> {
    let mut extensions = vec![
        global_scope::isola_global_scope::init(),
        cache::isola_cache::init(),
        crypto::isola_crypto::init(),
        html_rewriter::isola_html_rewriter::init(),
        websocket::isola_websocket::init(),
        node::extension(),
        sockets::isola_sockets::init(),
    ];
    extensions.extend(BINDINGS.iter().map(|kind| kind.extension()));
    extensions
}
