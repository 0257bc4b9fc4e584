//! JS isolates, each on an OS thread of its own.
//!
//! A `JsRuntime` cannot leave the thread that made it, so every isolate gets
//! a thread with a current-thread tokio runtime that drives its event loop.
//! Its life: created and bootstrapped ahead of need ([`Pool`]), given one
//! Worker to load, then serving that Worker's requests from a channel
//! ([`Isolate::dispatch`]); the Worker's JS takes them in batches
//! (`op_isola_next_requests`) and answers on each request's own reply
//! channel. An isolate serves many requests at once, interleaved at
//! `await`s, as on Cloudflare.
//!
//! It ends when the host drops its [`Isolate`] handle (after answering what
//! it has, and at most [`DRAIN_GRACE`] later), or when it exceeds a limit:
//! then its JS is terminated, the requests it held get Cloudflare's 1102
//! error, and the thread exits, since its state may be broken.

mod digest;
mod engine;
mod loader;
mod monitor;
mod ops;
mod pool;
mod rewriter;
mod streams;
mod thread;
mod webassembly;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;

pub use monitor::{Exceeded, Monitor};
pub use pool::Pool;
pub use streams::RequestBodyResource;
pub use thread::WarmIsolate;

use crate::exchange::Event;

/// How long a retired isolate may keep running (for `waitUntil` work and
/// the like) once it has answered its last request.
pub const DRAIN_GRACE: Duration = Duration::from_secs(30);

/// A running isolate with a Worker loaded, seen from other threads.
/// Dropping it retires the isolate.
pub struct Isolate {
    queue: mpsc::UnboundedSender<Event>,
    in_flight: Arc<AtomicUsize>,
    monitor: Arc<Monitor>,
}

impl Isolate {
    /// A handle on something that serves the requests sent to `queue` (a
    /// Wasm guest), watched by `monitor`.
    pub fn new(queue: mpsc::UnboundedSender<Event>, monitor: Arc<Monitor>) -> Self {
        Self {
            queue,
            in_flight: Arc::new(AtomicUsize::new(0)),
            monitor,
        }
    }

    /// Requests sent to this isolate that have not been answered yet.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Whether this isolate takes new requests: it runs, and it was not
    /// condemned for exceeding a limit.
    pub fn is_available(&self) -> bool {
        !self.queue.is_closed() && !self.monitor.is_retiring()
    }

    pub fn monitor(&self) -> &Monitor {
        &self.monitor
    }

    /// Queues `event` for this isolate. Fails if the isolate has stopped
    /// (the event is dropped, so its reply channel closes).
    pub fn dispatch(&self, event: Event) -> Result<InFlightGuard, IsolateGone> {
        self.queue.send(event).map_err(|_| IsolateGone)?;
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        Ok(InFlightGuard(self.in_flight.clone()))
    }
}

/// The isolate's thread has ended.
#[derive(Debug)]
pub struct IsolateGone;

/// Counts a request as in flight on its isolate until dropped.
pub struct InFlightGuard(Arc<AtomicUsize>);

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}
