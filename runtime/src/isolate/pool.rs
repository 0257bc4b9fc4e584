//! The pool of warm isolates: bootstrapped (engine and global scope ready)
//! before any Worker needs them, so that loading a Worker never waits for an
//! isolate to be created. Each one taken is replaced in the background.

use std::sync::{Arc, Mutex};

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
    warm: Mutex<Vec<WarmIsolate>>,
    target: usize,
    memory_bytes: usize,
    /// Where their service bindings lead.
    services: Arc<Directory>,
}

impl Pool {
    /// A pool that keeps `target` warm isolates of `memory_bytes` each.
    /// The isolates are created in the background, starting now.
    pub fn new(target: usize, memory_bytes: usize) -> Arc<Self> {
        let pool = Arc::new(Self {
            warm: Mutex::new(Vec::with_capacity(target)),
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
        self.warm.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Loads `worker`, with `limits`, its prepared `bindings` and where its
    /// subrequests may go (`net`), into a warm isolate (or, if none is
    /// ready, a new one).
    pub async fn load(
        self: &Arc<Self>,
        worker: Arc<WorkerVersion>,
        limits: Limits,
        bindings: WorkerBindings,
        net: NetAccess,
    ) -> Result<Serving, LoadError> {
        let warm = self.warm.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let warm = match warm {
            Some(warm) => warm,
            None => self.fresh().await?,
        };
        if self.target > 0 {
            self.spawn_warm();
        }
        warm.load(worker, limits, bindings, self.services.clone(), net)
            .await
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
        let pool = Arc::downgrade(self);
        thread::spawn(self.memory_bytes, move |warm| {
            if let Some(pool) = pool.upgrade() {
                let mut list = pool.warm.lock().unwrap_or_else(|e| e.into_inner());
                if list.len() < pool.target {
                    list.push(warm);
                }
            }
        });
    }
}
