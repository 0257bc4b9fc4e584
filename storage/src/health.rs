//! How a networked backend is doing, for `isola stats`: whether its last
//! call worked, how many failed, and how long calls take. The embedded
//! backends have nothing to report: they fail only with the host's disk.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One backend's health, as `isola stats` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackendHealth {
    /// What it holds: `kv` (KV and the Cache API), ...
    pub store: String,
    /// Which backend, without secrets.
    pub backend: String,
    /// Whether its last call worked.
    pub healthy: bool,
    pub calls: u64,
    pub failures: u64,
    /// Milliseconds per call: on average, and the last one.
    pub mean_ms: f64,
    pub last_ms: f64,
    pub last_error: Option<String>,
}

/// What a backend's calls have done so far.
#[derive(Default)]
pub(crate) struct Health(Mutex<Tally>);

#[derive(Default)]
struct Tally {
    calls: u64,
    failures: u64,
    total: Duration,
    last: Duration,
    last_ok: bool,
    last_error: Option<String>,
}

impl Health {
    /// Counts one call that took `elapsed`, and its error if it failed.
    pub(crate) fn record(&self, elapsed: Duration, error: Option<&str>) {
        let mut tally = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        tally.calls += 1;
        tally.total += elapsed;
        tally.last = elapsed;
        tally.last_ok = error.is_none();
        if let Some(error) = error {
            tally.failures += 1;
            tally.last_error = Some(error.to_string());
        }
    }

    /// The report of `store`'s `backend`. Before any call, it is healthy.
    pub(crate) fn report(&self, store: &str, backend: &str) -> BackendHealth {
        let tally = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        BackendHealth {
            store: store.to_string(),
            backend: backend.to_string(),
            healthy: tally.calls == 0 || tally.last_ok,
            calls: tally.calls,
            failures: tally.failures,
            mean_ms: if tally.calls == 0 {
                0.0
            } else {
                ms(tally.total) / tally.calls as f64
            },
            last_ms: ms(tally.last),
            last_error: tally.last_error.clone(),
        }
    }
}
