//! isola: a host for Cloudflare Workers scripts, run unchanged on
//! `deno_core` isolates, served over HTTP by `hyper`.
//!
//! - [`config`]: wrangler configs and `isola.toml` → [`HostConfig`]
//! - [`worker`]: a Worker version checked and ready to load
//! - [`modules`]: a Worker's modules: resolution, TypeScript, JSON
//! - [`wasm`]: pure-Wasm guests (wasi:http components) on wasmtime
//! - [`isolate`]: JS isolates on their own threads, the warm pool, limits
//! - [`host`]: which Worker and isolate answer a request; hot swap; stats
//! - [`http`]: the server, response bodies, error pages
//! - [`dev`]: what `isola dev` adds: the banner, live reload
//! - [`admin`]: the loopback endpoint commands use to reach a server
//! - [`cli`]: the `isola` command

pub mod admin;
pub mod cli;
pub mod config;
pub mod dev;
pub mod env;
pub mod exchange;
pub mod host;
pub mod http;
pub mod isolate;
pub mod limits;
pub mod modules;
pub mod services;
pub mod wasm;
pub mod websocket;
pub mod worker;

pub use config::{HostConfig, WorkerConfig};
pub use host::Host;
