//! The host: the Workers it serves, how a request finds its Worker, the
//! shared isolate pool, and what the admin endpoint reports and changes.

mod alarms;
mod cron;
mod error_page;
mod metrics;
mod origin;
mod queues;
mod reloads;
mod slot;

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use std::time::Instant;

use futures::future::BoxFuture;
use hyper::body::Incoming;
use isola_apis::Stores;
use isola_apis::body::{IoBody, RequestBody, ResponseBody};
use isola_apis::services::{Dispatch, Target};

pub use error_page::error_response;
pub use metrics::{HostStats, WorkerStats};

use crate::assets::{Assets, Head};
use crate::config::{HostConfig, HostOptions, WorkerConfig, service_targets};
use crate::error::LoadError;
use crate::exchange::{Call, Failure};
use crate::instance::Launcher;
use crate::isolate::Pool;
use crate::worker::WorkerVersion;
use isola_apis::durable_objects::ObjectStore;
use isola_apis::services::ObjectId;
use isola_storage::alarms::AlarmOwner;
use isola_storage::queues::QueueStore;
use origin::OriginClient;
use slot::WorkerSlot;

/// Everything one `isola serve` runs.
pub struct Host {
    /// Starts the Workers' instances, on the host's pool and stores.
    launcher: Launcher,
    /// In the order of the config; routes are tried most specific first.
    workers: Vec<Arc<WorkerSlot>>,
    by_name: HashMap<String, Arc<WorkerSlot>>,
    /// (route index into `workers`), most specific route first.
    routes: Vec<(crate::config::RoutePattern, usize)>,
    /// The Worker without routes, if any: it gets what no route matches.
    default: Option<usize>,
    origin_client: OriginClient,
    options: HostOptions,
    /// The reloads of other hosts this one has followed.
    reloads_seen: reloads::Seen,
    /// Where calls on objects that other hosts own go, when this host is
    /// one of a deployment's.
    forwarder: Option<crate::cluster::Forwarder>,
    objects: ObjectStore,
}

impl Host {
    /// Starts the pool and loads every Worker of `config` into an isolate;
    /// the Workers' bindings use `stores`. Fails, naming the Worker, if one
    /// does not load.
    pub async fn start(config: HostConfig, stores: Stores) -> Result<Arc<Self>, LoadError> {
        crate::wasm::set_memory_limit(config.pool.memory_bytes);
        let launcher = Launcher::new(
            Pool::new(config.pool.warm, config.pool.memory_bytes),
            stores,
            config.options.outbound.clone(),
        );
        let objects = launcher
            .stores()
            .get::<ObjectStore>()
            .map_err(|e| LoadError(format!("Durable Objects: {e}")))?;
        objects.set_idle_timeout(config.options.object_idle);
        queues::check_consumers(config.workers.iter().map(|entry| {
            (
                entry.config.name.as_str(),
                entry.config.consumers.as_slice(),
            )
        }))
        .map_err(LoadError)?;
        // Opened only for a host with consumers (producers open it when
        // their bindings are prepared).
        let consumes = config
            .workers
            .iter()
            .any(|w| !w.config.consumers.is_empty());
        let queue_store = consumes
            .then(|| launcher.stores().get::<QueueStore>())
            .transpose()
            .map_err(|e| LoadError(format!("Queues: {e}")))?;
        let mut workers = Vec::with_capacity(config.workers.len());
        for entry in config.workers {
            let name = &entry.config.name;
            for done in objects
                .migrate(name, &entry.config.migrations)
                .map_err(|e| LoadError(format!("{name}: migrations: {e}")))?
            {
                tracing::info!("[{name}] migration {done}");
            }
            let version = entry
                .config
                .main
                .is_some()
                .then(|| WorkerVersion::prepare(entry.config.clone(), &config.options.cf))
                .transpose()?;
            let assets = load_assets(&entry.config, entry.config.main.is_some())?;
            let slot = WorkerSlot::start(
                entry,
                config.pool,
                config.options.dev,
                &launcher,
                version,
                assets,
            )
            .await?;
            workers.push(Arc::new(slot));
        }
        let mut routes: Vec<_> = workers
            .iter()
            .enumerate()
            .flat_map(|(i, slot)| slot.entry.routes.iter().map(move |r| (r.clone(), i)))
            .collect();
        routes.sort_by(|a, b| a.0.specificity(&b.0));
        // The default Worker is the one without routes that no service
        // binding calls (config validation leaves at most one).
        let bound = service_targets(workers.iter().map(|slot| &slot.entry.config));
        let default = match &config.options.default_worker {
            Some(name) => workers.iter().position(|slot| slot.name() == name),
            None => workers.iter().position(|slot| {
                slot.entry.routes.is_empty() && !bound.contains(slot.entry.config.name.as_str())
            }),
        };
        let by_name = workers
            .iter()
            .map(|slot| (slot.name().to_string(), slot.clone()))
            .collect();
        let forwarder = objects
            .cluster()
            .map(|placement| crate::cluster::Forwarder::new(placement.0.clone()));
        let host = Arc::new(Self {
            launcher,
            workers,
            by_name,
            routes,
            default,
            origin_client: OriginClient::default(),
            options: config.options,
            reloads_seen: reloads::Seen::default(),
            forwarder,
            objects: objects.clone(),
        });
        for slot in &host.workers {
            tokio::spawn(cron::run(Arc::downgrade(&host), slot.clone()));
            if let Some(store) = &queue_store {
                tokio::spawn(queues::run(
                    Arc::downgrade(&host),
                    slot.clone(),
                    store.clone(),
                ));
            }
        }
        tokio::spawn(alarms::adopt(Arc::downgrade(&host), objects.clone()));
        tokio::spawn(alarms::run(Arc::downgrade(&host), objects));
        tokio::spawn(reloads::follow(Arc::downgrade(&host)));
        let dispatch: Weak<dyn Dispatch> = Arc::downgrade(&host) as Weak<Self>;
        host.launcher.pool().services().connect(dispatch);
        Ok(host)
    }

    /// Names of the Workers served, in the order of the config.
    pub fn worker_names(&self) -> Vec<&str> {
        self.workers.iter().map(|slot| slot.name()).collect()
    }

    /// Answers one HTTP request (and logs it, if asked to).
    pub async fn handle(&self, request: hyper::Request<Incoming>) -> http::Response<ResponseBody> {
        if !self.options.log_requests {
            return self.answer(request).await;
        }
        let started = Instant::now();
        let method = request.method().clone();
        let path = request.uri().path().to_string();
        let response = self.answer(request).await;
        let status = response.status();
        tracing::info!(
            "{method} {path} {} {} ({}ms)",
            status.as_u16(),
            status.canonical_reason().unwrap_or(""),
            started.elapsed().as_millis()
        );
        response
    }

    /// Answers one HTTP request with the Worker its route leads to, or with
    /// a development endpoint.
    async fn answer(&self, request: hyper::Request<Incoming>) -> http::Response<ResponseBody> {
        if let Some(response) = self.dev_endpoint(&request).await {
            return response;
        }
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
                slot.handle(&self.launcher, &self.origin_client, request)
                    .await
            }
            None => error_response(Failure::NoWorker),
        }
    }

    /// `/cdn-cgi/handler/scheduled` (in development) and `/__scheduled`
    /// (with `--test-scheduled`) run the `scheduled` handler, as wrangler's
    /// do: `?cron=` picks the cron, `?time=` (milliseconds) the time.
    async fn dev_endpoint(
        &self,
        request: &hyper::Request<Incoming>,
    ) -> Option<http::Response<ResponseBody>> {
        let path = request.uri().path();
        let handler = (self.options.dev && path == "/cdn-cgi/handler/scheduled")
            || (self.options.test_scheduled && path == "/__scheduled");
        if !handler {
            return None;
        }
        let query: HashMap<String, String> =
            url::form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes())
                .into_owned()
                .collect();
        let cron = query.get("cron").map_or("", String::as_str);
        let time = query
            .get("time")
            .and_then(|t| t.parse::<f64>().ok())
            .unwrap_or_else(|| chrono::Utc::now().timestamp_millis() as f64);
        let outcome = self.scheduled(None, cron, time).await;
        let (status, body) = match (&outcome, path) {
            (Ok(()), "/__scheduled") => (http::StatusCode::OK, "Ran scheduled event".to_string()),
            (Ok(()), _) => (http::StatusCode::OK, "ok".to_string()),
            (Err(failure), _) => (http::StatusCode::INTERNAL_SERVER_ERROR, failure.clone()),
        };
        let mut response = http::Response::new(ResponseBody::full(body));
        *response.status_mut() = status;
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("text/plain;charset=UTF-8"),
        );
        Some(response)
    }

    /// Runs the `scheduled` handler of Worker `name` (or of the only or
    /// default Worker when `name` is None) for `cron`, scheduled at
    /// `scheduled_time` (milliseconds since the epoch).
    pub async fn scheduled(
        &self,
        name: Option<&str>,
        cron: &str,
        scheduled_time: f64,
    ) -> Result<(), String> {
        let slot = match name {
            Some(name) => self.by_name.get(name),
            None => self
                .default
                .or((self.workers.len() == 1).then_some(0))
                .map(|i| &self.workers[i]),
        }
        .ok_or_else(|| {
            format!(
                "no Worker {} to run a scheduled event on",
                name.unwrap_or("(default)")
            )
        })?;
        slot.scheduled(&self.launcher, cron, scheduled_time)
            .await
            .map_err(|failure| failure.name().to_string())
    }

    /// Runs the `alarm()` handler of `owner`'s object; whether it succeeded.
    async fn alarm(&self, owner: &AlarmOwner, retries: u32) -> bool {
        let Some(slot) = self.by_name.get(&owner.worker) else {
            tracing::error!(
                "a Durable Object alarm is set for Worker {:?}, which this host does not run",
                owner.worker
            );
            return false;
        };
        let call = Call {
            object: Some(ObjectId {
                class: owner.class.clone(),
                id: owner.id.clone(),
                name: None,
            }),
            alarm: Some(retries),
            ..Call::default()
        };
        let request = http::Request::builder()
            .method(http::Method::POST)
            .uri("https://alarm.invalid/")
            .extension(call)
            .body(http_body_util::Empty::<bytes::Bytes>::new())
            .expect("a valid request");
        let response = slot
            .handle(&self.launcher, &self.origin_client, request)
            .await;
        response.status().is_success()
    }

    /// Reloads the Worker `name` from its files (hot swap): once the new
    /// version has loaded it takes every new request, while requests in
    /// flight finish on the old one. On error the old version keeps serving.
    pub async fn reload(&self, name: &str) -> Result<(), LoadError> {
        let slot = self
            .by_name
            .get(name)
            .ok_or_else(|| LoadError(format!("no Worker is named {name:?}")))?;
        let entry = &slot.entry;
        let config = WorkerConfig::load_with(&entry.config.source, &entry.load)
            .map_err(|e| LoadError(e.to_string()))?;
        let kept = [
            ("name", config.name != entry.config.name),
            ("routes", config.routes != entry.config.routes),
            ("limits", config.limits != entry.config.limits),
        ];
        for (field, _) in kept.iter().filter(|(_, changed)| *changed) {
            tracing::warn!("[{name}] `{field}` changed: restart to apply it");
        }
        if config.main.is_some() != entry.config.main.is_some() {
            tracing::warn!("[{name}] `main` was added or removed: restart to apply it");
        }
        let assets = self.reload_assets_of(slot, &config).await?;
        if config.main.is_some() && entry.config.main.is_some() {
            let version = WorkerVersion::prepare(config, &self.options.cf)?;
            slot.swap(&self.launcher, version).await?;
        }
        slot.set_assets(assets);
        tracing::debug!("[{name}] reloaded");
        Ok(())
    }

    /// Reads the static assets of Worker `name` again (files were added or
    /// removed), leaving its code as it is; on error the last list stays.
    pub async fn reload_assets(&self, name: &str) -> Result<(), LoadError> {
        let slot = self
            .by_name
            .get(name)
            .ok_or_else(|| LoadError(format!("no Worker is named {name:?}")))?;
        let config = WorkerConfig::load_with(&slot.entry.config.source, &slot.entry.load)
            .map_err(|e| LoadError(e.to_string()))?;
        slot.set_assets(self.reload_assets_of(slot, &config).await?);
        Ok(())
    }

    /// The assets `config` (the slot's Worker, read again) describes: kept
    /// apart from the other Workers' folders, read off the runtime, with a
    /// Worker beside them as the slot started.
    async fn reload_assets_of(
        &self,
        slot: &WorkerSlot,
        config: &WorkerConfig,
    ) -> Result<Option<Arc<Assets>>, LoadError> {
        let others = self
            .workers
            .iter()
            .map(|other| &other.entry.config)
            .filter(|other| other.name != slot.name());
        crate::config::assets_apart(config, others).map_err(LoadError)?;
        let config = config.clone();
        let has_worker = slot.entry.config.main.is_some();
        tokio::task::spawn_blocking(move || load_assets(&config, has_worker))
            .await
            .map_err(|e| LoadError(e.to_string()))?
    }

    /// The stores the Workers bind to (for the admin endpoint).
    pub fn stores(&self) -> &Stores {
        self.launcher.stores()
    }

    pub fn stats(&self) -> HostStats {
        let stores = self.stores();
        let kv = stores.opened::<isola_storage::KvStore>();
        let queues = stores.opened::<isola_storage::queues::QueueStore>();
        let r2 = stores.opened::<isola_storage::r2::R2Store>();
        HostStats {
            warm_isolates: self.launcher.pool().warm(),
            workers: self.workers.iter().map(|slot| slot.stats()).collect(),
            backends: (kv.and_then(|kv| kv.health()).into_iter())
                .chain(queues.and_then(|queues| queues.health()))
                .chain(r2.map(|r2| r2.health()).unwrap_or_default())
                .collect(),
            cluster: self.forwarder.as_ref().map(|f| f.stats()),
        }
    }
}

/// The static assets of the Worker `config` describes (beside a script
/// when `has_worker`), read.
fn load_assets(config: &WorkerConfig, has_worker: bool) -> Result<Option<Arc<Assets>>, LoadError> {
    let Some(assets) = &config.assets else {
        return Ok(None);
    };
    let assets = Assets::load(assets, config, has_worker)
        .map_err(|e| LoadError(format!("{}: {e}", config.source.display())))?;
    Ok(Some(Arc::new(assets)))
}

impl Host {
    /// The key of `object` of Worker `worker` in a deployment.
    pub fn object_key(&self, worker: &str, object: &ObjectId) -> Result<String, String> {
        if !self.by_name.contains_key(worker) {
            return Err(format!("no Worker is named {worker:?}"));
        }
        Ok(self.objects.object_key(worker, &object.class, &object.id))
    }

    /// Answers a call on this host, wherever its object's owner is.
    pub async fn dispatch_here(
        self: Arc<Self>,
        target: Target,
        request: http::Request<RequestBody>,
    ) -> Option<http::Response<ResponseBody>> {
        match target {
            Target::Worker(name) => {
                let slot = self.by_name.get(&name)?.clone();
                let request = request.map(IoBody);
                Some(
                    slot.handle(&self.launcher, &self.origin_client, request)
                        .await,
                )
            }
            Target::Assets(name) => {
                let assets = self.by_name.get(&name)?.assets()?;
                let url = url::Url::parse(&request.uri().to_string()).ok()?;
                let head = Head::new(request.method().clone(), &url, request.headers().clone());
                Some(assets.fetch(&head).await)
            }
        }
    }

    /// Sends a call on an object that another host owns to that host; None
    /// when this host owns it (or is alone).
    async fn forward(
        &self,
        target: &Target,
        request: http::Request<RequestBody>,
    ) -> Result<http::Response<ResponseBody>, http::Request<RequestBody>> {
        let (Some(forwarder), Target::Worker(worker)) = (&self.forwarder, target) else {
            return Err(request);
        };
        let Some(object) = request
            .extensions()
            .get::<isola_apis::services::Call>()
            .and_then(|call| call.object.as_ref())
        else {
            return Err(request);
        };
        let key = match self.object_key(worker, object) {
            Ok(key) => key,
            Err(_) => return Err(request),
        };
        let failed = |why: String| {
            tracing::warn!("Durable Object {key}: {why}");
            error_response(Failure::Unavailable)
        };
        match forwarder.owner(&key).await {
            Ok(None) => Err(request),
            Ok(Some(url)) => Ok(forwarder
                .forward(&url, worker, request)
                .await
                .unwrap_or_else(failed)),
            Err(why) => Ok(failed(why)),
        }
    }
}

/// A service binding's call: the named Worker answers, as it would a
/// request routed to it; `env.ASSETS`: its assets do. A call on a Durable
/// Object that another host owns goes to that host.
impl Dispatch for Host {
    fn dispatch(
        self: Arc<Self>,
        target: Target,
        request: http::Request<RequestBody>,
    ) -> BoxFuture<'static, Option<http::Response<ResponseBody>>> {
        Box::pin(async move {
            match self.forward(&target, request).await {
                Ok(response) => Some(response),
                Err(request) => self.dispatch_here(target, request).await,
            }
        })
    }
}
