//! The pool of warm isolates: bootstrapped (engine and global scope ready)
//! before any Worker needs them, so that loading a Worker never waits for an
//! isolate to be created. Each one taken is replaced in the background.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::oneshot;

use isola_apis::WorkerBindings;
use isola_apis::services::Directory;

use super::thread::{self, WarmIsolate};
use crate::error::LoadError;
use crate::exchange::Serving;
use crate::limits::Limits;
use crate::outbound::NetAccess;
use crate::worker::WorkerVersion;

/// Warm isolates, ready to load a Worker.
pub struct Pool {
    warm: Mutex<Warm>,
    target: usize,
    memory_bytes: usize,
    /// Where their service bindings lead.
    services: Arc<Directory>,
}

/// The pool's isolates: ready, and being created for it.
#[derive(Default)]
struct Warm {
    ready: Vec<WarmIsolate>,
    creating: usize,
    /// Loads waiting for an isolate being created, first come first served.
    waiting: VecDeque<oneshot::Sender<WarmIsolate>>,
}

impl Pool {
    /// A pool that keeps `target` warm isolates of `memory_bytes` each.
    /// The isolates are created in the background, starting now.
    pub fn new(target: usize, memory_bytes: usize) -> Arc<Self> {
        let pool = Arc::new(Self {
            warm: Mutex::new(Warm::default()),
            target,
            memory_bytes,
            services: Directory::new(),
        });
        for _ in 0..target {
            pool.spawn_warm();
        }
        pool
    }

    /// Where the service bindings of Workers loaded from this pool lead.
    pub fn services(&self) -> &Directory {
        &self.services
    }

    /// Warm isolates ready now.
    pub fn warm(&self) -> usize {
        self.lock().ready.len()
    }

    /// Loads `worker`, with `limits`, its prepared `bindings` and where its
    /// subrequests may go (`net`), into a warm isolate: one ready, or else
    /// one being created (which is ready sooner than a new one; on two
    /// cores, a new one beside it slowed both), or else a new one. The
    /// isolate taken is replaced once the Worker is loaded, so that the
    /// replacement does not slow the load either.
    pub async fn load(
        self: &Arc<Self>,
        worker: Arc<WorkerVersion>,
        limits: Limits,
        bindings: WorkerBindings,
        net: NetAccess,
    ) -> Result<Serving, LoadError> {
        let waiting = {
            let mut warm = self.lock();
            match warm.ready.pop() {
                Some(isolate) => Ok(isolate),
                None if warm.creating > warm.waiting.len() => {
                    let (tx, rx) = oneshot::channel();
                    warm.waiting.push_back(tx);
                    Err(Some(rx))
                }
                None => Err(None),
            }
        };
        let isolate = match waiting {
            Ok(isolate) => isolate,
            Err(Some(created)) => match created.await {
                Ok(isolate) => isolate,
                // Its creation failed.
                Err(_) => self.fresh().await?,
            },
            Err(None) => self.fresh().await?,
        };
        let serving = isolate
            .load(worker, limits, bindings, self.services.clone(), net)
            .await;
        if self.target > 0 {
            self.spawn_warm();
        }
        serving
    }

    /// Creates an isolate now, bypassing the warm ones.
    pub async fn fresh(&self) -> Result<WarmIsolate, LoadError> {
        let (tx, rx) = oneshot::channel();
        thread::spawn(self.memory_bytes, move |warm| {
            let _ = tx.send(warm);
        });
        rx.await
            .map_err(|_| LoadError("an isolate could not be created".into()))
    }

    fn spawn_warm(self: &Arc<Self>) {
        self.lock().creating += 1;
        let creating = Creating(Arc::downgrade(self));
        thread::spawn(self.memory_bytes, move |isolate| creating.created(isolate));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Warm> {
        self.warm.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// An isolate being created for a pool; dropped uncalled if its creation
/// fails.
struct Creating(Weak<Pool>);

impl Creating {
    /// Hands `isolate` to the first load waiting, or keeps it ready.
    fn created(self, mut isolate: WarmIsolate) {
        let Some(pool) = self.0.upgrade() else {
            return;
        };
        let mut warm = pool.lock();
        while let Some(waiting) = warm.waiting.pop_front() {
            match waiting.send(isolate) {
                Ok(()) => return,
                Err(unwanted) => isolate = unwanted,
            }
        }
        if warm.ready.len() < pool.target {
            warm.ready.push(isolate);
        }
    }
}

impl Drop for Creating {
    fn drop(&mut self) {
        if let Some(pool) = self.0.upgrade() {
            let mut warm = pool.lock();
            warm.creating -= 1;
            // A load that waited for more isolates than are now being
            // created gets none (it creates its own).
            if warm.waiting.len() > warm.creating {
                warm.waiting.pop_back();
            }
        }
    }
}
