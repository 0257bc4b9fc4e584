//! One Worker in the host: its current version, the instances running it,
//! its static assets, and what happens to each of its requests.
//!
//! Isolates are added from the pool when every running one already serves
//! `concurrency` requests, up to `isolates_per_worker`. A new version
//! (hot swap) is loaded into a fresh instance first; only once it has loaded
//! does it take new requests, while the old instances finish theirs.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use tokio::sync::{Notify, futures::Notified, oneshot};

use super::metrics::{IsolateReport, Metrics, WorkerStats};
use super::origin::{OriginClient, Replayable};
use crate::config::{PoolConfig, WorkerEntry};
use isola_apis::body::{BodyError, ResponseBody};
use isola_apis::services::Thrown;

use super::error_page::{RequestSummary, dev_error_response, error_response};
use crate::assets::{Assets, Head};
use crate::error::LoadError;
use crate::exchange::{Call, Event, Exchange, Failure, Outcome, QueueDelivery, Scheduled};
use crate::instance::{Instance, Launcher};
use crate::limits::Chain;
use crate::worker::WorkerVersion;

pub struct WorkerSlot {
    pub entry: WorkerEntry,
    pool: PoolConfig,
    /// Whether error pages show the error (development).
    dev: bool,
    state: Mutex<State>,
    /// Held while an instance is being added, so that a burst of requests
    /// starts one instance rather than one each.
    scaling: tokio::sync::Mutex<()>,
    /// Woken when a new version takes over.
    swapped: Notify,
    pub metrics: Metrics,
}

struct State {
    /// None for a project of static assets alone.
    version: Option<Arc<WorkerVersion>>,
    instances: Vec<Arc<Instance>>,
    /// The instance that runs the Worker's Durable Objects, once one is
    /// called: every object lives in this one isolate, so that there is
    /// one instance of each.
    objects: Option<Arc<Instance>>,
    assets: Option<Arc<Assets>>,
}

impl WorkerSlot {
    /// Starts `version` in one instance with `launcher`, beside `assets`:
    /// the slot exists only if the Worker loads.
    pub async fn start(
        entry: WorkerEntry,
        pool_config: PoolConfig,
        dev: bool,
        launcher: &Launcher,
        version: Option<Arc<WorkerVersion>>,
        assets: Option<Arc<Assets>>,
    ) -> Result<Self, LoadError> {
        let mut instances = Vec::new();
        if let Some(version) = &version {
            let instance = launcher
                .start(version.clone(), entry.limits, entry.origin.as_ref())
                .await?;
            instances.push(Arc::new(instance));
        }
        Ok(Self {
            entry,
            pool: pool_config,
            dev,
            state: Mutex::new(State {
                version,
                instances,
                objects: None,
                assets,
            }),
            scaling: tokio::sync::Mutex::new(()),
            swapped: Notify::new(),
            metrics: Metrics::default(),
        })
    }

    pub fn name(&self) -> &str {
        &self.entry.config.name
    }

    /// The version that takes new requests; None for assets alone.
    pub fn version(&self) -> Option<Arc<WorkerVersion>> {
        self.lock().version.clone()
    }

    /// The static assets served, if any.
    pub fn assets(&self) -> Option<Arc<Assets>> {
        self.lock().assets.clone()
    }

    /// Serves `assets` from now on (their files changed).
    pub fn set_assets(&self, assets: Option<Arc<Assets>>) {
        self.lock().assets = assets;
    }

    /// Completes when a new version takes over (after this call).
    pub fn swapped(&self) -> Notified<'_> {
        self.swapped.notified()
    }

    /// Replaces the Worker's code with `version` once it has loaded; until
    /// then, and if it fails to load, the current version keeps serving.
    pub async fn swap(
        &self,
        launcher: &Launcher,
        version: Arc<WorkerVersion>,
    ) -> Result<(), LoadError> {
        let _scaling = self.scaling.lock().await;
        let instance = launcher
            .start(
                version.clone(),
                self.entry.limits,
                self.entry.origin.as_ref(),
            )
            .await?;
        let retired = {
            let mut state = self.lock();
            state.version = Some(version);
            // The objects move to the new version on their next call.
            state.objects = None;
            std::mem::replace(&mut state.instances, vec![Arc::new(instance)])
        };
        self.swapped.notify_waiters();
        for instance in retired {
            self.metrics
                .retired_cpu(instance.monitor().cpu_total().as_nanos() as u64);
        }
        Ok(())
    }

    /// Answers one request with this Worker: its response, the origin's if
    /// it fails and may pass through, or an error page.
    pub async fn handle<B>(
        &self,
        launcher: &Launcher,
        origin_client: &OriginClient,
        mut request: http::Request<B>,
    ) -> http::Response<ResponseBody>
    where
        B: http_body::Body<Data = Bytes> + Send + Sync + 'static,
        B::Error: Into<BodyError>,
    {
        // Calls to entrypoints, objects and RPC methods are for the Worker
        // itself; those to objects go to the objects' instance.
        let call = request.extensions().get::<Call>();
        let objects = call.is_some_and(|call| call.object.is_some());
        let call = call.is_some();
        if !call
            && let Some(assets) = self.assets()
            && let Some(response) = assets.route(&Head::of(&request)).await
        {
            return response;
        }
        self.metrics.request();
        // Cloudflare's loop limit: each Worker a request passes through
        // sends on one less in `CF-EW-Via` (`30_events.js`); none are left.
        let via = request.headers().get("cf-ew-via");
        if via.and_then(|v| v.to_str().ok()?.trim().parse::<u32>().ok()) == Some(0) {
            return self.fail(Failure::LoopLimit);
        }
        // Held while the request runs, so that its subrequests find it.
        let _chain = Chain::join(request.headers_mut(), self.entry.limits.subrequests);
        let max_body = self.entry.limits.request_bytes;
        let declared = request
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        if declared.is_some_and(|len| len > max_body) {
            return self.fail(Failure::RequestTooLarge);
        }
        let summary = self.dev.then(|| RequestSummary::of(&request));
        let Some(origin) = self.entry.origin.clone() else {
            let (reply, outcome) = oneshot::channel();
            let exchange = Exchange::from_request(request, max_body, reply);
            return match self
                .run(launcher, Event::Fetch(exchange), outcome, objects)
                .await
            {
                Outcome::Response(response) => response,
                Outcome::Failed {
                    failure,
                    detail,
                    thrown,
                    ..
                } => self.fail_with(failure, detail, thrown, summary.as_ref()),
            };
        };
        // A Worker in front of an origin may pass the request through, so
        // its body is kept whole to be sent again.
        let (head, body) = request.into_parts();
        let limit = usize::try_from(max_body).unwrap_or(usize::MAX);
        let Ok(body) = Limited::new(body, limit)
            .collect()
            .await
            .map(|b| b.to_bytes())
        else {
            return self.fail(Failure::RequestTooLarge);
        };
        let kept = Replayable {
            head: clone_head(&head),
            body: body.clone(),
        };
        let (reply, outcome) = oneshot::channel();
        let exchange = Exchange::from_request(
            http::Request::from_parts(head, Full::new(body)),
            max_body,
            reply,
        );
        match self
            .run(launcher, Event::Fetch(exchange), outcome, objects)
            .await
        {
            Outcome::Response(response) => response,
            Outcome::Failed {
                failure,
                pass_through,
                detail,
                thrown,
            } => {
                if !(pass_through || self.entry.fail_open) {
                    return self.fail_with(failure, detail, thrown, summary.as_ref());
                }
                tracing::warn!(
                    "[{}] failed ({}); passing the request through to {origin}",
                    self.name(),
                    failure.name()
                );
                self.metrics.failure(failure);
                self.metrics.passed_through();
                origin_client
                    .forward(&origin, kept)
                    .await
                    .unwrap_or_else(|error| {
                        tracing::error!("[{}] passing through failed: {error}", self.name());
                        error_response(Failure::Unavailable)
                    })
            }
        }
    }

    fn fail(&self, failure: Failure) -> http::Response<ResponseBody> {
        self.fail_with(failure, None, None, None)
    }

    /// The host's answer for a failed request: in development, with the
    /// error itself when there is one; what the Worker threw goes with it
    /// for a Worker that called this one.
    fn fail_with(
        &self,
        failure: Failure,
        detail: Option<String>,
        thrown: Option<Thrown>,
        request: Option<&RequestSummary>,
    ) -> http::Response<ResponseBody> {
        self.metrics.failure(failure);
        let mut response = match (detail, request) {
            (Some(detail), Some(request)) => dev_error_response(failure, &detail, request),
            _ => error_response(failure),
        };
        if let Some(thrown) = thrown {
            response.extensions_mut().insert(thrown);
        }
        response
    }

    /// Runs the Worker's `scheduled` handler for `cron`; an error says why
    /// it failed.
    pub async fn scheduled(
        &self,
        launcher: &Launcher,
        cron: &str,
        scheduled_time: f64,
    ) -> Result<(), Failure> {
        let (reply, outcome) = oneshot::channel();
        let event = Event::Scheduled(Scheduled {
            cron: cron.to_string(),
            scheduled_time,
            reply,
        });
        match self.run(launcher, event, outcome, false).await {
            Outcome::Response(_) => Ok(()),
            Outcome::Failed { failure, .. } => {
                self.metrics.failure(failure);
                Err(failure)
            }
        }
    }

    /// Runs the Worker's `queue` handler on `messages` of `queue`: its
    /// report, or why it failed.
    pub async fn queue(
        &self,
        launcher: &Launcher,
        queue: &str,
        messages: Vec<isola_storage::queues::Message>,
    ) -> Result<super::queues::Report, Failure> {
        use http_body_util::BodyExt;
        let (reply, outcome) = oneshot::channel();
        let event = Event::Queue(QueueDelivery {
            queue: queue.to_string(),
            messages,
            reply,
        });
        match self.run(launcher, event, outcome, false).await {
            Outcome::Response(response) => {
                let body = response
                    .into_body()
                    .collect()
                    .await
                    .map_err(|_| Failure::Exception)?
                    .to_bytes();
                serde_json::from_slice(&body).map_err(|_| Failure::Exception)
            }
            Outcome::Failed { failure, .. } => {
                self.metrics.failure(failure);
                Err(failure)
            }
        }
    }

    /// Sends `event` to an instance (the objects' one, for a Durable
    /// Object's event) and waits for its outcome.
    async fn run(
        &self,
        launcher: &Launcher,
        event: Event,
        outcome: oneshot::Receiver<Outcome>,
        objects: bool,
    ) -> Outcome {
        let instance = if objects {
            self.objects_instance(launcher).await
        } else {
            self.instance(launcher).await
        };
        let instance = match instance {
            Ok(instance) => instance,
            Err(error) => {
                tracing::error!("[{}] cannot start an instance: {error}", self.name());
                return Outcome::failed(Failure::Unavailable);
            }
        };
        let Ok(_in_flight) = instance.dispatch(event) else {
            return Outcome::failed(Failure::Unavailable);
        };
        drop(instance);
        outcome
            .await
            .unwrap_or_else(|_| Outcome::failed(Failure::Unavailable))
    }

    /// The instance for the next request: the least busy one with room, or a
    /// new one while the Worker may have more.
    async fn instance(&self, launcher: &Launcher) -> Result<Arc<Instance>, LoadError> {
        if let Some(instance) = self.pick(false) {
            return Ok(instance);
        }
        let _scaling = self.scaling.lock().await;
        if let Some(instance) = self.pick(false) {
            return Ok(instance);
        }
        if let Some(instance) = self.pick(true) {
            return Ok(instance);
        }
        self.launch(launcher, |state, instance| state.instances.push(instance))
            .await
    }

    /// The instance of the Worker's Durable Objects, started on first use
    /// (and again if it stopped, for a limit, say).
    async fn objects_instance(&self, launcher: &Launcher) -> Result<Arc<Instance>, LoadError> {
        let running = |state: &State| {
            state
                .objects
                .clone()
                .filter(|instance| instance.is_available())
        };
        if let Some(instance) = running(&self.lock()) {
            return Ok(instance);
        }
        let _scaling = self.scaling.lock().await;
        if let Some(instance) = running(&self.lock()) {
            return Ok(instance);
        }
        self.launch(launcher, |state, instance| state.objects = Some(instance))
            .await
    }

    /// Starts an instance of the current version (the caller holds
    /// `scaling`); `keep` files it in the state unless a new version took
    /// over meanwhile.
    async fn launch(
        &self,
        launcher: &Launcher,
        keep: impl FnOnce(&mut State, Arc<Instance>),
    ) -> Result<Arc<Instance>, LoadError> {
        let version = self
            .version()
            .ok_or_else(|| LoadError(format!("{}: no `main` to run", self.name())))?;
        let instance = Arc::new(
            launcher
                .start(
                    version.clone(),
                    self.entry.limits,
                    self.entry.origin.as_ref(),
                )
                .await?,
        );
        let mut state = self.lock();
        if state
            .version
            .as_ref()
            .is_some_and(|v| Arc::ptr_eq(v, &version))
        {
            keep(&mut state, instance.clone());
        }
        Ok(instance)
    }

    /// Drops stopped instances, then picks the least busy one with room, or
    /// (when `at_capacity` and no more may be added) the least busy of all.
    fn pick(&self, at_capacity: bool) -> Option<Arc<Instance>> {
        let mut state = self.lock();
        let metrics = &self.metrics;
        state.instances.retain(|instance| {
            let keep = instance.is_available();
            if !keep {
                metrics.retired_cpu(instance.monitor().cpu_total().as_nanos() as u64);
            }
            keep
        });
        let least = state.instances.iter().min_by_key(|i| i.in_flight())?;
        let full = state.instances.len() >= self.pool.isolates_per_worker;
        if least.in_flight() < self.pool.concurrency || (at_capacity && full) {
            Some(least.clone())
        } else {
            None
        }
    }

    pub fn stats(&self) -> WorkerStats {
        let live: Vec<IsolateReport> = self
            .lock()
            .instances
            .iter()
            .map(|instance| IsolateReport {
                in_flight: instance.in_flight(),
                cpu_ns: instance.monitor().cpu_total().as_nanos() as u64,
                heap_bytes: instance.monitor().heap_bytes(),
            })
            .collect();
        self.metrics.report(self.name(), &live)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn clone_head(head: &http::request::Parts) -> http::request::Parts {
    let mut request = http::Request::builder()
        .method(head.method.clone())
        .uri(head.uri.clone())
        .version(head.version)
        .body(())
        .expect("parts of a valid request make a valid request");
    *request.headers_mut() = head.headers.clone();
    request.into_parts().0
}
