//! JS isolates, each on an OS thread of its own.
//!
//! A `JsRuntime` cannot leave the thread that made it, so every isolate gets
//! a thread with a current-thread tokio runtime that drives its event loop.
//! The server hands it requests over a channel ([`Isolate::dispatch`]); the
//! Worker's JS takes them from that channel (`op_isola_next_request`) and
//! answers on each request's own reply channel. An isolate serves many
//! requests at once, interleaved at `await`s, as on Cloudflare.

mod engine;
mod loader;
mod ops;

use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use deno_core::{JsRuntime, PollEventLoopOptions, v8};
use tokio::sync::{mpsc, oneshot};

pub use loader::ModuleSources;

use crate::exchange::Exchange;
use crate::worker::{LoadError, ScriptKind, WorkerVersion};
use loader::WorkerModuleLoader;
use ops::HostState;

/// A running isolate with a Worker loaded, seen from other threads.
pub struct Isolate {
    queue: mpsc::UnboundedSender<Exchange>,
    in_flight: Arc<AtomicUsize>,
}

impl Isolate {
    /// Starts an isolate thread and loads `worker` into it; resolves once
    /// the Worker's top-level code has run (or failed).
    pub async fn start(worker: Arc<WorkerVersion>) -> Result<Self, LoadError> {
        let (queue, requests) = mpsc::unbounded_channel();
        let (ready_tx, ready_rx) = oneshot::channel();
        let name = format!("isolate:{}", worker.name);
        std::thread::Builder::new()
            .name(name)
            .spawn(move || run_isolate(worker, requests, ready_tx))
            .map_err(|e| LoadError(format!("cannot start an isolate thread: {e}")))?;
        ready_rx
            .await
            .map_err(|_| LoadError("the isolate stopped while loading the Worker".into()))??;
        Ok(Self {
            queue,
            in_flight: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// Requests sent to this isolate that have not been answered yet.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Queues `exchange` for this isolate. Fails if the isolate has stopped
    /// (the exchange is dropped, so its reply channel closes).
    pub fn dispatch(&self, exchange: Exchange) -> Result<InFlightGuard, IsolateGone> {
        self.queue.send(exchange).map_err(|_| IsolateGone)?;
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

/// The body of an isolate thread: create, load, then serve until the queue
/// closes.
fn run_isolate(
    worker: Arc<WorkerVersion>,
    requests: mpsc::UnboundedReceiver<Exchange>,
    ready: oneshot::Sender<Result<(), LoadError>>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            let _ = ready.send(Err(LoadError(format!("cannot start a runtime: {e}"))));
            return;
        }
    };
    runtime.block_on(async move {
        let host = HostState::new(worker.name.clone(), requests);
        let loader = Rc::new(WorkerModuleLoader::new(worker.sources.clone()));
        let mut js = match engine::new_isolate(host, loader) {
            Ok(js) => js,
            Err(e) => {
                let _ = ready.send(Err(LoadError(format!("cannot create an isolate: {e}"))));
                return;
            }
        };
        if let Err(e) = load_worker(&mut js, &worker).await {
            let _ = ready.send(Err(e));
            return;
        }
        let _ = ready.send(Ok(()));
        if let Err(e) = js.run_event_loop(PollEventLoopOptions::default()).await {
            tracing::error!(worker = %worker.name, "the isolate stopped: {e}");
        }
    });
}

/// Runs the Worker's top-level code in `js` and starts its request loop.
async fn load_worker(js: &mut JsRuntime, worker: &WorkerVersion) -> Result<(), LoadError> {
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
    let is_module = worker.kind == ScriptKind::Module;
    let args = {
        deno_core::scope!(scope, js);
        let is_module = v8::Boolean::new(scope, is_module);
        let description = v8::String::new(scope, &worker.description)
            .ok_or_else(|| LoadError("the Worker's description is too large".into()))?;
        [
            v8::Global::new(scope, v8::Local::<v8::Value>::from(is_module)),
            v8::Global::new(scope, v8::Local::<v8::Value>::from(description)),
        ]
    };
    call(js, &prepare, &args).await?;

    let namespace = match worker.kind {
        ScriptKind::Module => {
            let id = js
                .load_main_es_module(&worker.main)
                .await
                .map_err(|e| LoadError(e.to_string()))?;
            let evaluation = js.mod_evaluate(id);
            js.with_event_loop_future(evaluation, PollEventLoopOptions::default())
                .await
                .map_err(|e| LoadError(e.to_string()))?;
            let namespace = js
                .get_module_namespace(id)
                .map_err(|e| LoadError(e.to_string()))?;
            deno_core::scope!(scope, js);
            let namespace = v8::Local::new(scope, namespace);
            v8::Global::new(scope, v8::Local::<v8::Value>::from(namespace))
        }
        ScriptKind::ServiceWorker => {
            let text = worker
                .sources
                .read(&worker.main)
                .map_err(|e| LoadError(e.to_string()))?;
            js.execute_script(worker.main.to_string(), text.to_string())
                .map_err(|e| LoadError(e.to_string()))?;
            deno_core::scope!(scope, js);
            let undefined = v8::undefined(scope);
            v8::Global::new(scope, v8::Local::<v8::Value>::from(undefined))
        }
    };
    call(js, &start, &[namespace]).await
}

async fn call(
    js: &mut JsRuntime,
    function: &v8::Global<v8::Function>,
    args: &[v8::Global<v8::Value>],
) -> Result<(), LoadError> {
    let result = js.call_with_args(function, args);
    js.with_event_loop_future(result, PollEventLoopOptions::default())
        .await
        .map(drop)
        .map_err(|e| LoadError(e.to_string()))
}
