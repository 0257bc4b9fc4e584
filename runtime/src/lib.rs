//! isola: a host for Cloudflare Workers scripts, run unchanged on
//! `deno_core` isolates, served over HTTP by `hyper`.
//!
//! - [`config`]: wrangler.toml / wrangler.json(c) → [`WorkerConfig`]
//! - [`worker`]: a Worker version checked and ready to load
//! - [`isolate`]: JS isolates on their own threads
//! - [`host`]: which isolate answers a request
//! - [`http`]: the server, response bodies, error pages
//! - [`cli`]: the `isola` command

pub mod cli;
pub mod config;
pub mod env;
pub mod exchange;
pub mod host;
pub mod http;
pub mod isolate;
pub mod worker;

pub use config::WorkerConfig;
pub use host::Host;
