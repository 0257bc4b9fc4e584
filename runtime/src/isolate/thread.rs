//! The life of one isolate thread: bootstrap, wait to be given a Worker,
//! load it, serve it, and end.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use deno_core::{JsRuntime, ModuleId, PollEventLoopOptions, v8};
use isola_apis::WorkerBindings;
use isola_apis::services::Directory;
use isola_apis::services::rpc::LocalPeer;
use tokio::sync::{mpsc, oneshot};

use super::DRAIN_GRACE;
use super::engine;
use super::loader::WorkerModuleLoader;
use super::ops::HostState;
use super::peer::IsolatePeer;
use crate::config::Blob;
use crate::error::LoadError;
use crate::exchange::{Event, Failure, Serving};
use crate::limits::{Exceeded, Limits, Monitor};
use crate::modules::Content;
use crate::outbound::NetAccess;
use crate::worker::{ScriptKind, WorkerVersion};

/// CPU time a Worker's top-level code may use when it loads: Cloudflare's
/// startup limit, apart from the per-request `cpu_ms`.
const STARTUP_CPU: Duration = Duration::from_millis(400);

/// How often a serving isolate refreshes its heap size for metrics.
const HEAP_STATS_EVERY: Duration = Duration::from_secs(1);

/// A bootstrapped isolate waiting for a Worker.
pub struct WarmIsolate {
    load: oneshot::Sender<Load>,
    monitor: Arc<Monitor>,
}

struct Load {
    worker: Arc<WorkerVersion>,
    limits: Limits,
    bindings: WorkerBindings,
    services: Arc<Directory>,
    net: NetAccess,
    requests: mpsc::UnboundedReceiver<Event>,
    /// The same queue, for the objects this isolate exports over RPC.
    peer: mpsc::WeakUnboundedSender<Event>,
    ready: oneshot::Sender<Result<(), LoadError>>,
}

impl WarmIsolate {
    /// Loads `worker` into this isolate; resolves once the Worker's
    /// top-level code has run (or failed).
    pub async fn load(
        self,
        worker: Arc<WorkerVersion>,
        limits: Limits,
        bindings: WorkerBindings,
        services: Arc<Directory>,
        net: NetAccess,
    ) -> Result<Serving, LoadError> {
        let (queue, requests) = mpsc::unbounded_channel();
        let (ready, loaded) = oneshot::channel();
        self.load
            .send(Load {
                worker,
                limits,
                bindings,
                services,
                net,
                requests,
                peer: queue.downgrade(),
                ready,
            })
            .map_err(|_| LoadError("the isolate stopped before loading the Worker".into()))?;
        loaded
            .await
            .map_err(|_| LoadError("the isolate stopped while loading the Worker".into()))??;
        Ok(Serving {
            queue,
            monitor: self.monitor,
        })
    }
}

/// Starts an isolate thread; `warm` receives it once bootstrapped.
pub fn spawn(memory_bytes: usize, warm: impl FnOnce(WarmIsolate) + Send + 'static) {
    let started = std::thread::Builder::new()
        .name("isolate".into())
        .spawn(move || {
            run(memory_bytes, warm);
            give_back_freed_memory();
        });
    if let Err(e) = started {
        tracing::error!("cannot start an isolate thread: {e}");
    }
}

fn run(memory_bytes: usize, warm: impl FnOnce(WarmIsolate)) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            tracing::error!("cannot start an isolate's runtime: {e}");
            return;
        }
    };
    runtime.block_on(async move {
        let monitor = Monitor::for_current_thread();
        let loader = Rc::new(WorkerModuleLoader::default());
        let mut js = match engine::new_isolate(loader.clone(), memory_bytes) {
            Ok(js) => js,
            Err(e) => {
                tracing::error!("cannot create an isolate: {e}");
                return;
            }
        };
        monitor.set_handle(js.v8_isolate().thread_safe_handle());
        let on_heap_limit = monitor.clone();
        js.add_near_heap_limit_callback(move |current, initial| {
            on_heap_limit.terminate(Exceeded::Memory);
            // Room to unwind the JS that is being terminated, given once: the
            // engine notices the termination only every few thousand
            // operations, and a limit that grew each time it was reached
            // let an allocation loop reach gigabytes before that.
            current.max(initial.saturating_add(initial / 4))
        });

        let (load_tx, load_rx) = oneshot::channel();
        warm(WarmIsolate {
            load: load_tx,
            monitor: monitor.clone(),
        });
        let Ok(load) = load_rx.await else {
            return; // the pool was dropped
        };
        let name = load.worker.name.clone();
        // Top-level code has a budget of its own, as on Cloudflare.
        monitor.set_cpu_limit(STARTUP_CPU.max(load.limits.cpu));
        loader.set_sources(load.worker.sources.clone());
        {
            let state = js.op_state();
            let mut state = state.borrow_mut();
            state.put(isola_apis::node::Bundle(load.worker.sources.clone()));
            state.borrow_mut::<HostState>().serve(
                name.clone(),
                load.limits,
                load.requests,
                monitor.clone(),
                load.worker.sources.clone(),
            );
            state.put(load.bindings);
            state.put(load.services);
            state.put(LocalPeer(Arc::new(IsolatePeer { queue: load.peer })));
            // Where its subrequests may go (see `crate::outbound`).
            load.net.install(&mut state);
            // WebAssembly charges its memory to the isolate through it.
            state.put(monitor.clone());
        }
        let loaded = load_worker(&mut js, &monitor, &load.worker, load.limits)
            .await
            .map_err(|error| startup_error(error, &monitor, &load.worker));
        monitor.set_cpu_limit(load.limits.cpu);
        let failed = loaded.is_err();
        let _ = load.ready.send(loaded);
        if failed {
            return;
        }
        if let Err(error) = serve(&mut js, &monitor).await {
            let failure = match error {
                Stopped::OutOfMemory => {
                    tracing::error!(target: "worker", "[{name}] exceeded its memory limit; its isolate was stopped");
                    Failure::MemoryLimit
                }
                Stopped::Broken(error) => {
                    tracing::error!(target: "worker", "[{name}] its isolate stopped: {error}");
                    Failure::Unavailable
                }
            };
            monitor.retire();
            let state = js.op_state();
            let mut state = state.borrow_mut();
            state.borrow_mut::<HostState>().fail_all(failure);
        }
    });
}

/// Returns the pages of a disposed isolate to the system. Its JS heap went
/// with its runtime (see `heap.rs`), but the C allocator keeps what the
/// thread freed besides (ArrayBuffer contents, the host's own state) in the
/// thread's arena, up to the isolate's memory limit, after it is gone.
fn give_back_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only releases free pages; it touches no live
    // allocation.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Runs one call into JS (`f`) as a turn the watchdog watches, and charges
/// its CPU time to the requests in flight.
fn watched<R>(js: &mut JsRuntime, monitor: &Monitor, f: impl FnOnce(&mut JsRuntime) -> R) -> R {
    let in_flight = js.op_state().borrow().borrow::<HostState>().in_flight();
    let started = monitor.now();
    monitor.enter(started, in_flight);
    let result = f(js);
    let used = monitor.leave(started);
    let state = js.op_state();
    let mut state = state.borrow_mut();
    // A request that ran out of CPU time over several turns fails; JS drops
    // its work.
    state.borrow_mut::<HostState>().charge(used);
    result
}

/// Drives the event loop until `future` resolves, each turn watched.
async fn run_until<T, E>(
    js: &mut JsRuntime,
    monitor: &Monitor,
    future: impl Future<Output = Result<T, E>>,
) -> Result<T, LoadError>
where
    E: std::fmt::Display,
{
    let mut future = pin!(future);
    poll_fn(|cx| {
        if let Poll::Ready(result) = future.as_mut().poll(cx) {
            return Poll::Ready(result.map_err(|e| load_error(monitor, e)));
        }
        match watched(js, monitor, |js| js.poll_event_loop(cx, PollEventLoopOptions::default())) {
            Poll::Ready(Err(e)) => Poll::Ready(Err(load_error(monitor, e))),
            Poll::Ready(Ok(())) => match future.as_mut().poll(cx) {
                Poll::Ready(result) => Poll::Ready(result.map_err(|e| load_error(monitor, e))),
                Poll::Pending => Poll::Ready(Err(LoadError(
                    "the Worker's top-level code never finished (it awaits something that cannot happen)"
                        .into(),
                ))),
            },
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}

/// `error` from loading `worker`, naming the Worker and its file on the
/// host (its stack names files as the Worker knows them, from its folder).
fn startup_error(error: LoadError, monitor: &Monitor, worker: &WorkerVersion) -> LoadError {
    let what = match monitor.exceeded() {
        Some(Exceeded::Cpu) => format!(
            "the Worker's top-level code used more than its startup limit of {} ms of CPU time",
            STARTUP_CPU.as_millis()
        ),
        Some(Exceeded::Memory) => {
            "the Worker's top-level code used more memory than its limit".to_string()
        }
        None => error.0,
    };
    LoadError(format!(
        "[{}] {}: {what}",
        worker.name,
        worker.path.display()
    ))
}

fn load_error(monitor: &Monitor, error: impl std::fmt::Display) -> LoadError {
    match monitor.exceeded() {
        Some(Exceeded::Cpu) => {
            LoadError("the Worker's top-level code exceeded its CPU time limit".into())
        }
        Some(Exceeded::Memory) => {
            LoadError("the Worker's top-level code exceeded its memory limit".into())
        }
        None => LoadError(error.to_string()),
    }
}

/// Why an isolate stopped serving before it was retired.
enum Stopped {
    /// It went over its memory limit and was terminated.
    OutOfMemory,
    /// An error escaped its event loop.
    Broken(String),
}

/// Serves requests until the host retires the isolate and it has finished
/// its work (or [`DRAIN_GRACE`] has passed). An error means the isolate can
/// serve no more: it was terminated, or an error escaped its event loop.
async fn serve(js: &mut JsRuntime, monitor: &Monitor) -> Result<(), Stopped> {
    let mut next_stats = Instant::now();
    let mut drained_since: Option<Instant> = None;
    let mut grace = pin!(tokio::time::sleep(DRAIN_GRACE));
    poll_fn(|cx| {
        let poll = watched(js, monitor, |js| {
            js.poll_event_loop(cx, PollEventLoopOptions::default())
        });
        // A terminated isolate's event loop may look finished or idle:
        // what the watchdog recorded is what happened.
        match monitor.exceeded() {
            Some(Exceeded::Cpu) => {
                over_cpu_limit(js, monitor);
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            Some(Exceeded::Memory) => {
                return Poll::Ready(Err(Stopped::OutOfMemory));
            }
            None => {}
        }
        let poll = poll.map_err(|e| Stopped::Broken(e.to_string()));
        if Instant::now() >= next_stats {
            next_stats = Instant::now() + HEAP_STATS_EVERY;
            let heap = js.v8_isolate().get_heap_statistics().total_heap_size();
            monitor.set_heap_bytes(heap as u64);
        }
        if poll.is_ready() {
            return poll;
        }
        let state = js.op_state();
        let idle_and_retired = {
            let state = state.borrow();
            let host = state.borrow::<HostState>();
            host.is_retired() && host.in_flight() == 0
        };
        if idle_and_retired {
            let since = *drained_since.get_or_insert_with(|| {
                grace
                    .as_mut()
                    .reset(tokio::time::Instant::now() + DRAIN_GRACE);
                Instant::now()
            });
            if grace.as_mut().poll(cx).is_ready() {
                tracing::debug!(
                    "stopping an isolate {:?} after it was retired",
                    since.elapsed()
                );
                return Poll::Ready(Ok(()));
            }
        }
        Poll::Pending
    })
    .await
}

/// After a turn of JS was stopped at the CPU limit: the requests in flight
/// fail with error 1102 and JS drops their work, and the isolate serves on
/// with its state as it is, as on Cloudflare (only a memory limit costs a
/// Worker its isolate).
fn over_cpu_limit(js: &mut JsRuntime, monitor: &Monitor) {
    js.v8_isolate().cancel_terminate_execution();
    monitor.resume();
    let resume = {
        let state = js.op_state();
        let mut state = state.borrow_mut();
        let host = state.borrow_mut::<HostState>();
        tracing::error!(target: "worker", "[{}] exceeded its CPU time limit", host.worker_name);
        host.fail_all(Failure::CpuLimit);
        host.entrypoints
            .as_ref()
            .map(|entrypoints| entrypoints.resume.clone())
    };
    if let Some(resume) = resume {
        // It returns nothing to wait for; the call itself is what counts.
        drop(watched(js, monitor, |js| js.call_with_args(&resume, &[])));
    }
}

/// Runs the Worker's top-level code in `js` and starts its request loop.
async fn load_worker(
    js: &mut JsRuntime,
    monitor: &Monitor,
    worker: &WorkerVersion,
    limits: Limits,
) -> Result<(), LoadError> {
    let (prepare, start) = {
        let state = js.op_state();
        let state = state.borrow();
        let entrypoints = state
            .borrow::<HostState>()
            .entrypoints
            .as_ref()
            .ok_or_else(|| LoadError("the global scope did not initialise".into()))?;
        (entrypoints.prepare.clone(), entrypoints.start.clone())
    };
    let args = {
        deno_core::scope!(scope, js);
        let is_module = v8::Boolean::new(scope, worker.kind == ScriptKind::Module);
        let description = v8::String::new(scope, &worker.description)
            .ok_or_else(|| LoadError("the Worker's description is too large".into()))?;
        let subrequests = v8::Integer::new_from_unsigned(scope, limits.subrequests);
        [
            v8::Global::new(scope, v8::Local::<v8::Value>::from(is_module)),
            v8::Global::new(scope, v8::Local::<v8::Value>::from(description)),
            v8::Global::new(scope, v8::Local::<v8::Value>::from(subrequests)),
        ]
    };
    call(js, monitor, &prepare, &args).await?;

    let namespace = match worker.kind {
        ScriptKind::Module => {
            let id = js
                .load_main_es_module(&worker.main)
                .await
                .map_err(|e| LoadError(e.to_string()))?;
            let namespace = evaluate(js, monitor, id).await?;
            deno_core::scope!(scope, js);
            let namespace = v8::Local::new(scope, namespace);
            v8::Global::new(scope, v8::Local::<v8::Value>::from(namespace))
        }
        ScriptKind::Wasm => unreachable!("a Wasm guest is never loaded into an isolate"),
        ScriptKind::ServiceWorker => {
            for blob in &worker.config.blobs {
                define_blob(js, monitor, &worker.sources, blob).await?;
            }
            let module = worker
                .sources
                .read_script(&worker.main)
                .map_err(LoadError)?;
            let Content::Text(code) = &module.content else {
                return Err(LoadError(format!("{} is not a script", worker.main)));
            };
            let name = worker.main.to_string();
            let code = code.to_string();
            watched(js, monitor, |js| js.execute_script(name, code))
                .map_err(|e| load_error(monitor, e))?;
            deno_core::scope!(scope, js);
            let undefined = v8::undefined(scope);
            v8::Global::new(scope, v8::Local::<v8::Value>::from(undefined))
        }
    };
    call(js, monitor, &start, &[namespace]).await
}

/// Makes a file of `[wasm_modules]`, `[text_blobs]` or `[data_blobs]` the
/// global its table names, by importing it as a module.
async fn define_blob(
    js: &mut JsRuntime,
    monitor: &Monitor,
    sources: &crate::modules::ModuleSources,
    blob: &Blob,
) -> Result<(), LoadError> {
    let file = || blob.path.display().to_string();
    let specifier = sources.url(&blob.path).map_err(LoadError)?;
    let id = js
        .load_side_es_module(&specifier)
        .await
        .map_err(|e| LoadError(format!("{}: {e}", file())))?;
    let namespace = evaluate(js, monitor, id).await?;
    deno_core::scope!(scope, js);
    let namespace = v8::Local::new(scope, namespace);
    let default = v8::String::new(scope, "default").expect("a short string");
    let name = v8::String::new(scope, &blob.name)
        .ok_or_else(|| LoadError(format!("the name {:?} is too long", blob.name)))?;
    let value = namespace
        .get(scope, default.into())
        .ok_or_else(|| LoadError(format!("{}: no default export", file())))?;
    let global = scope.get_current_context().global(scope);
    global.set(scope, name.into(), value);
    Ok(())
}

/// Runs loaded module `id` (each turn watched) and returns its namespace.
async fn evaluate(
    js: &mut JsRuntime,
    monitor: &Monitor,
    id: ModuleId,
) -> Result<v8::Global<v8::Object>, LoadError> {
    let evaluation = watched(js, monitor, |js| js.mod_evaluate(id));
    run_until(js, monitor, evaluation).await?;
    js.get_module_namespace(id)
        .map_err(|e| LoadError(e.to_string()))
}

async fn call(
    js: &mut JsRuntime,
    monitor: &Monitor,
    function: &v8::Global<v8::Function>,
    args: &[v8::Global<v8::Value>],
) -> Result<(), LoadError> {
    let result = watched(js, monitor, |js| js.call_with_args(function, args));
    run_until(js, monitor, result).await.map(drop)
}
