//! JS isolates, each on an OS thread of its own.
//!
//! A `JsRuntime` cannot leave the thread that made it, so every isolate gets
//! a thread with a current-thread tokio runtime that drives its event loop.
//! Its life: created and bootstrapped ahead of need ([`Pool`]), given one
//! Worker to load, then serving that Worker's requests from a channel (the
//! host holds the other end as an instance); the Worker's JS takes them in
//! batches (`op_worker_next_requests`) and answers on each request's own
//! reply channel. An isolate serves many requests at once, interleaved at
//! `await`s, as on Cloudflare.
//!
//! It ends when the host drops its instance handle (after answering what
//! it has, and at most [`DRAIN_GRACE`] later), or when it exceeds a limit:
//! then its JS is terminated, the requests it held get Cloudflare's 1102
//! error, and the thread exits, since its state may be broken.

mod engine;
#[cfg(feature = "quickjs")]
mod facade;
#[cfg(feature = "quickjs")]
mod heap;
mod loader;
mod ops;
mod peer;
mod pool;
mod thread;

use std::time::Duration;

pub use pool::Pool;
pub use thread::WarmIsolate;

/// How long a retired isolate may keep running (for `waitUntil` work and
/// the like) once it has answered its last request.
pub const DRAIN_GRACE: Duration = Duration::from_secs(30);
