//! Counters of what each Worker did, and the stats report built from them.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use crate::exchange::Failure;

/// A Worker's counters since the host started.
#[derive(Default)]
pub struct Metrics {
    requests: AtomicU64,
    failures: [AtomicU64; Failure::ALL.len()],
    passed_through: AtomicU64,
    /// CPU time of isolates that are gone, in nanoseconds.
    retired_cpu_ns: AtomicU64,
}

impl Metrics {
    pub fn request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    pub fn failure(&self, failure: Failure) {
        if let Some(i) = Failure::ALL.iter().position(|f| *f == failure) {
            self.failures[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn passed_through(&self) {
        self.passed_through.fetch_add(1, Ordering::Relaxed);
    }

    pub fn retired_cpu(&self, ns: u64) {
        self.retired_cpu_ns.fetch_add(ns, Ordering::Relaxed);
    }

    /// This Worker's stats; `live` describes its current isolates.
    pub fn report(&self, name: &str, live: &[IsolateReport]) -> WorkerStats {
        let errors = Failure::ALL
            .iter()
            .zip(&self.failures)
            .map(|(failure, count)| (failure.name().to_string(), count.load(Ordering::Relaxed)))
            .filter(|(_, count)| *count > 0)
            .collect();
        let cpu_ns = self.retired_cpu_ns.load(Ordering::Relaxed)
            + live.iter().map(|i| i.cpu_ns).sum::<u64>();
        WorkerStats {
            name: name.to_string(),
            requests: self.requests.load(Ordering::Relaxed),
            errors,
            passed_through: self.passed_through.load(Ordering::Relaxed),
            isolates: live.len(),
            idle_isolates: live.iter().filter(|i| i.in_flight == 0).count(),
            cpu_ms: cpu_ns as f64 / 1e6,
            memory_bytes: live.iter().map(|i| i.heap_bytes).sum(),
        }
    }
}

/// One live isolate, as the report sees it.
pub struct IsolateReport {
    pub in_flight: usize,
    pub cpu_ns: u64,
    pub heap_bytes: u64,
}

/// What `isola stats` and the admin endpoint report for one Worker.
#[derive(Debug, Serialize, serde::Deserialize, PartialEq)]
pub struct WorkerStats {
    pub name: String,
    pub requests: u64,
    /// Errors by kind (`exception`, `cpu_limit`, `memory_limit`, ...).
    pub errors: std::collections::BTreeMap<String, u64>,
    pub passed_through: u64,
    pub isolates: usize,
    pub idle_isolates: usize,
    pub cpu_ms: f64,
    pub memory_bytes: u64,
}

/// The whole host's stats.
#[derive(Debug, Serialize, serde::Deserialize, PartialEq)]
pub struct HostStats {
    pub warm_isolates: usize,
    pub workers: Vec<WorkerStats>,
    /// The shared backends the host's stores live in, if any.
    #[serde(default)]
    pub backends: Vec<isola_storage::BackendHealth>,
    /// This host's place in a deployment of several, if it is in one.
    #[serde(default)]
    pub cluster: Option<isola_cluster::ClusterStats>,
}
