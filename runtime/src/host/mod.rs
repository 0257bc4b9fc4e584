//! The host: the Workers it serves, how a request finds its Worker, the
//! shared isolate pool, and what the admin endpoint reports and changes.

mod metrics;
mod origin;
mod slot;

use std::collections::HashMap;
use std::sync::Arc;

use hyper::body::Incoming;
use isola_bindings::Stores;

pub use metrics::{HostStats, WorkerStats};

use crate::config::{HostConfig, WorkerConfig};
use crate::http::{Failure, ResponseBody, error_response};
use crate::isolate::Pool;
use crate::worker::{LoadError, WorkerVersion};
use origin::OriginClient;
use slot::WorkerSlot;

/// Everything one `isola serve` runs.
pub struct Host {
    pool: Arc<Pool>,
    /// In the order of the config; routes are tried most specific first.
    workers: Vec<Arc<WorkerSlot>>,
    by_name: HashMap<String, Arc<WorkerSlot>>,
    /// (route index into `workers`), most specific route first.
    routes: Vec<(crate::config::RoutePattern, usize)>,
    /// The Worker without routes, if any: it gets what no route matches.
    default: Option<usize>,
    origin_client: OriginClient,
    stores: Stores,
}

impl Host {
    /// Starts the pool and loads every Worker of `config` into an isolate;
    /// the Workers' bindings use `stores`. Fails, naming the Worker, if one
    /// does not load.
    pub async fn start(config: HostConfig, stores: Stores) -> Result<Arc<Self>, LoadError> {
        let pool = Pool::new(config.pool.warm, config.pool.memory_bytes, stores.clone());
        let mut workers = Vec::with_capacity(config.workers.len());
        for entry in config.workers {
            let version = WorkerVersion::prepare(&entry.config)?;
            let slot = WorkerSlot::start(entry, config.pool, &pool, version).await?;
            workers.push(Arc::new(slot));
        }
        let mut routes: Vec<_> = workers
            .iter()
            .enumerate()
            .flat_map(|(i, slot)| slot.entry.routes.iter().map(move |r| (r.clone(), i)))
            .collect();
        routes.sort_by(|a, b| a.0.specificity(&b.0));
        let default = workers.iter().position(|slot| slot.entry.routes.is_empty());
        let by_name = workers
            .iter()
            .map(|slot| (slot.name().to_string(), slot.clone()))
            .collect();
        Ok(Arc::new(Self {
            pool,
            workers,
            by_name,
            routes,
            default,
            origin_client: OriginClient::default(),
            stores,
        }))
    }

    /// Names of the Workers served, in the order of the config.
    pub fn worker_names(&self) -> Vec<&str> {
        self.workers.iter().map(|slot| slot.name()).collect()
    }

    /// Answers one HTTP request with the Worker its route leads to.
    pub async fn handle(&self, request: hyper::Request<Incoming>) -> http::Response<ResponseBody> {
        let host = request
            .headers()
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| request.uri().authority().map(|a| a.as_str()))
            .unwrap_or("");
        let path = request.uri().path();
        let index = self
            .routes
            .iter()
            .find(|(route, _)| route.matches(host, path))
            .map(|(_, i)| *i)
            .or(self.default);
        match index {
            Some(i) => {
                let slot = self.workers[i].clone();
                slot.handle(&self.pool, &self.origin_client, request).await
            }
            None => error_response(Failure::NoWorker),
        }
    }

    /// Reloads the Worker `name` from its files (hot swap): once the new
    /// version has loaded it takes every new request, while requests in
    /// flight finish on the old one. On error the old version keeps serving.
    pub async fn reload(&self, name: &str) -> Result<(), LoadError> {
        let slot = self
            .by_name
            .get(name)
            .ok_or_else(|| LoadError(format!("no Worker is named {name:?}")))?;
        let config =
            WorkerConfig::load(&slot.entry.config.source).map_err(|e| LoadError(e.to_string()))?;
        let version = WorkerVersion::prepare(&config)?;
        slot.swap(&self.pool, version).await?;
        tracing::info!(worker = %name, "reloaded");
        Ok(())
    }

    /// The stores the Workers bind to (for the admin endpoint).
    pub fn stores(&self) -> &Stores {
        &self.stores
    }

    pub fn stats(&self) -> HostStats {
        HostStats {
            warm_isolates: self.pool.warm(),
            workers: self.workers.iter().map(|slot| slot.stats()).collect(),
        }
    }
}
