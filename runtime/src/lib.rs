//! isola: a host for Cloudflare Workers scripts, run unchanged on
//! `deno_core` isolates, and for Wasm guests on wasmtime, served over HTTP
//! by `hyper`. What Workers code sees (the global scope, each Workers API
//! and binding) is the `isola-apis` crate; what bindings store is
//! `isola-storage`.
//!
//! A request's path, top down:
//! - [`server`]: the HTTP server hands each request to the [`Host`];
//! - [`host`]: which Worker answers (routes), its instances, hot swap,
//!   fail-open, error pages, stats;
//! - [`instance`]: one running copy of a Worker version, JS or Wasm (the
//!   one place that chooses);
//! - [`isolate`]: JS isolates on their own threads and the warm pool;
//!   [`webassembly`]: their `WebAssembly`, on wasmtime;
//! - [`wasm`]: pure-Wasm guests (wasi:http components) on wasmtime;
//! - [`exchange`]: what the host and an instance say to each other.
//!
//! Beside it: [`assets`] (static files, served before or instead of the
//! Worker), [`config`] (wrangler configs and `isola.toml` →
//! [`HostConfig`]), [`worker`] (a version checked and ready to load, and
//! its [`env`]), [`modules`] (resolution, TypeScript, module rules),
//! [`limits`], [`outbound`] (where subrequests may go), [`error`], [`dev`] (banner, live reload), [`admin`] (the
//! loopback endpoint commands use) and [`cli`] (the `isola` command).

pub mod admin;
pub mod assets;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod dev;
pub mod env;
pub mod error;
pub mod exchange;
pub mod host;
pub mod instance;
pub mod isolate;
pub mod limits;
pub mod modules;
pub mod outbound;
pub mod server;
pub mod wasm;
pub mod webassembly;
pub mod worker;

pub use config::{HostConfig, WorkerConfig};
pub use host::Host;
