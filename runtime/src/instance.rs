//! One running copy of a Worker version, as the host sees it: events go in
//! ([`Instance::dispatch`]), outcomes come back on each event's own reply
//! channel. A JS Worker runs in an isolate ([`crate::isolate`]), a Wasm
//! guest as wasmtime instances ([`crate::wasm`]); [`Launcher::start`] is
//! the one place that chooses, so routing, limits, fail-open, hot swap and
//! metrics treat both alike.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use isola_apis::{Stores, WorkerBindings};

use crate::error::LoadError;
use crate::exchange::{Event, Serving};
use crate::isolate::Pool;
use crate::limits::{Limits, Monitor};
use crate::outbound::Outbound;
use crate::worker::WorkerVersion;

/// Starts instances: JS Workers from the pool of warm isolates, Wasm guests
/// on wasmtime; both bind to the host's stores.
pub struct Launcher {
    pool: Arc<Pool>,
    stores: Stores,
    outbound: Outbound,
}

impl Launcher {
    /// Starts instances from `pool`, binding to `stores`, whose
    /// subrequests follow `outbound`.
    pub fn new(pool: Arc<Pool>, stores: Stores, outbound: Outbound) -> Self {
        Self {
            pool,
            stores,
            outbound,
        }
    }

    pub fn pool(&self) -> &Arc<Pool> {
        &self.pool
    }

    pub fn stores(&self) -> &Stores {
        &self.stores
    }

    /// Starts `worker` with `limits`, in front of `origin`: its bindings
    /// prepared, then loaded into an isolate, or served as a guest.
    pub async fn start(
        &self,
        worker: Arc<WorkerVersion>,
        limits: Limits,
        origin: Option<&url::Url>,
    ) -> Result<Instance, LoadError> {
        let bindings = WorkerBindings::prepare(&worker.name, &worker.config.bindings, &self.stores)
            .map_err(|e| LoadError(format!("cannot open the Worker's bindings: {e}")))?;
        let serving = match &worker.guests {
            Some(guests) => {
                let denied = self.outbound.denied(origin);
                let name = worker.name.clone();
                crate::wasm::start(name, guests.clone(), limits, bindings, origin, denied)
            }
            None => {
                let net = self.outbound.access(origin);
                self.pool.load(worker, limits, bindings, net).await?
            }
        };
        Ok(Instance::new(serving))
    }
}

/// A running instance, seen from other threads. Dropping it retires it: an
/// isolate finishes what it holds, then ends.
pub struct Instance {
    queue: tokio::sync::mpsc::UnboundedSender<Event>,
    in_flight: Arc<AtomicUsize>,
    monitor: Arc<Monitor>,
}

impl Instance {
    fn new(serving: Serving) -> Self {
        Self {
            queue: serving.queue,
            in_flight: Arc::new(AtomicUsize::new(0)),
            monitor: serving.monitor,
        }
    }

    /// Events sent to this instance that have not been answered yet.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Whether this instance takes new events: it runs, and it was not
    /// condemned for exceeding a limit.
    pub fn is_available(&self) -> bool {
        !self.queue.is_closed() && !self.monitor.is_retiring()
    }

    pub fn monitor(&self) -> &Monitor {
        &self.monitor
    }

    /// Queues `event` for this instance. Fails if it has stopped (the event
    /// is dropped, so its reply channel closes).
    pub fn dispatch(&self, event: Event) -> Result<InFlightGuard, Gone> {
        self.queue.send(event).map_err(|_| Gone)?;
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        Ok(InFlightGuard(self.in_flight.clone()))
    }
}

/// The instance has stopped.
#[derive(Debug)]
pub struct Gone;

/// Counts an event as in flight on its instance until dropped.
pub struct InFlightGuard(Arc<AtomicUsize>);

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}
