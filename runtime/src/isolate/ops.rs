//! The ops through which a Worker's JavaScript serves HTTP: take the next
//! requests, read their bodies, send the responses.
//!
//! The JS side is `apis/src/global_scope/20_http.js` and `60_worker.js`. Requests
//! wait in a queue fed by the host; each one taken gets an id that JS uses
//! until it responds. Ids are not reused while a request could still be
//! answered, so a late response from JS that the host already answered (say,
//! with a CPU limit error) is dropped rather than sent to another client.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use bytes::Bytes;
use deno_core::{
    AsyncRefCell, ByteString, OpState, RcRef, ResourceId, StringOrBuffer, ToJsBuffer, op2, v8,
};
use deno_error::JsErrorBox;
use tokio::sync::mpsc;

use isola_apis::body::{RequestBody, RequestBodyResource, ResponseBody};
use isola_apis::websocket;

use isola_apis::services::rpc::{self, Outgoing, Payload};
use isola_apis::services::{ObjectId, RPC_ANSWER, Thrown};

use crate::exchange::{
    Call, Event, Exchange, Failure, Outcome, QueueDelivery, Reply, Rpc, Scheduled,
};
use crate::limits::{Chain, Limits, Monitor};
use crate::modules::ModuleSources;

/// Most requests handed to JS by one `op_worker_next_requests` call.
const BATCH: usize = 64;

/// What an isolate's ops share: the Worker it runs, its queue of requests
/// and those in flight.
#[derive(Default)]
pub struct HostState {
    pub worker_name: Arc<str>,
    pub limits: Limits,
    queue: Option<Rc<AsyncRefCell<mpsc::UnboundedReceiver<Event>>>>,
    exchanges: HashMap<u32, InFlight>,
    next_id: u32,
    monitor: Option<Arc<Monitor>>,
    /// The Worker's modules, to map stack traces back to its files.
    sources: Option<Arc<ModuleSources>>,
    /// Set once the host has retired the isolate and its queue is empty.
    retired: bool,
    /// The waker of `op_worker_abandoned`, for requests that join those in
    /// flight while it waits.
    abandoned_waker: Option<std::task::Waker>,
    /// Requests the host failed while their JS may still run (over the CPU
    /// limit), for `op_worker_abandoned` to report.
    failed: Vec<u32>,
    /// Thread CPU time when the running timer callback began
    /// ([`op_worker_callback_begin`]).
    callback_since: Option<u64>,
    /// CPU time of this turn already charged to one request (its timers'
    /// callbacks), which [`HostState::charge`] does not share again.
    charged_in_turn: u64,
    pub entrypoints: Option<Entrypoints>,
}

/// The JS functions the host calls to load a Worker, and to resume it after
/// a CPU-limit stop (see `99_main.js`).
pub struct Entrypoints {
    pub prepare: v8::Global<v8::Function>,
    pub start: v8::Global<v8::Function>,
    pub resume: v8::Global<v8::Function>,
}

/// An event as JS receives it (`60_worker.js` tells them apart by length).
#[derive(serde::Serialize)]
#[serde(untagged)]
pub enum NewEvent {
    /// `[id, method, url, flat headers, has a body, entrypoint or null,
    /// RPC call or null, Durable Object or null, the object's alarm
    /// (failures so far) or null]`.
    Fetch(
        u32,
        String,
        String,
        Vec<ByteString>,
        bool,
        Option<String>,
        Option<JsRpc>,
        Option<ObjectId>,
        Option<u32>,
    ),
    /// `[id, cron, scheduled time]`.
    Scheduled(u32, String, f64),
    /// `{ id, queue, messages }`: a batch for the `queue` handler.
    Queue {
        id: u32,
        queue: String,
        messages: Vec<JsQueueMessage>,
    },
    /// The id of an exported object no stub reaches any more, alone.
    Release(u32),
}

/// A queue's message as `queue.js` receives it.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JsQueueMessage {
    id: String,
    timestamp: f64,
    attempts: u32,
    content_type: String,
    body: ToJsBuffer,
}

/// An RPC call as JS receives it: `[exported object id or null, path,
/// apply]`; its arguments wait for `op_worker_call_args`.
#[derive(serde::Serialize)]
pub struct JsRpc(Option<u32>, Vec<String>, bool);

struct InFlight {
    body: Option<RequestBody>,
    /// An RPC call's arguments, until JS takes them.
    args: Option<Payload>,
    reply: Reply,
    /// CPU time charged to this request so far, in nanoseconds.
    cpu_ns: u64,
}

impl HostState {
    /// Makes this isolate serve `worker_name`'s requests from `queue`.
    pub fn serve(
        &mut self,
        worker_name: Arc<str>,
        limits: Limits,
        queue: mpsc::UnboundedReceiver<Event>,
        monitor: Arc<Monitor>,
        sources: Arc<ModuleSources>,
    ) {
        self.sources = Some(sources);
        self.worker_name = worker_name;
        self.limits = limits;
        self.queue = Some(Rc::new(AsyncRefCell::new(queue)));
        self.monitor = Some(monitor);
    }

    /// Whether the host has retired this isolate: no request will come.
    pub fn is_retired(&self) -> bool {
        self.retired
    }

    /// Requests taken by JS and not answered yet.
    pub fn in_flight(&self) -> usize {
        self.exchanges.len()
    }

    /// Shares `used_ns` of CPU time, less what the turn charged to single
    /// requests already, among the requests in flight and fails those over
    /// the CPU limit.
    pub fn charge(&mut self, used_ns: u64) {
        let used_ns = used_ns.saturating_sub(std::mem::take(&mut self.charged_in_turn));
        if self.exchanges.is_empty() {
            return;
        }
        let share = used_ns / self.exchanges.len() as u64;
        let limit = self.cpu_limit_ns();
        let over: Vec<u32> = self
            .exchanges
            .iter_mut()
            .filter_map(|(id, exchange)| {
                exchange.cpu_ns = exchange.cpu_ns.saturating_add(share);
                (exchange.cpu_ns > limit).then_some(*id)
            })
            .collect();
        for id in over {
            self.fail_for_cpu(id);
        }
    }

    /// Charges `used_ns` of CPU time to request `id` alone, and fails it if
    /// that takes it over its limit.
    pub fn charge_request(&mut self, id: u32, used_ns: u64) {
        let limit = self.cpu_limit_ns();
        let Some(exchange) = self.exchanges.get_mut(&id) else {
            return;
        };
        exchange.cpu_ns = exchange.cpu_ns.saturating_add(used_ns);
        if exchange.cpu_ns > limit {
            self.fail_for_cpu(id);
        }
    }

    fn cpu_limit_ns(&self) -> u64 {
        u64::try_from(self.limits.cpu.as_nanos()).unwrap_or(u64::MAX)
    }

    /// Fails request `id`, over its CPU limit.
    fn fail_for_cpu(&mut self, id: u32) {
        if let Some(exchange) = self.exchanges.remove(&id) {
            tracing::error!(target: "worker", "[{}] exceeded its CPU time limit", self.worker_name);
            let _ = exchange.reply.send(Outcome::failed(Failure::CpuLimit));
            self.left_to_js(id);
        }
    }

    /// Answers every request in flight with `failure`.
    pub fn fail_all(&mut self, failure: Failure) {
        for (id, exchange) in std::mem::take(&mut self.exchanges) {
            let _ = exchange.reply.send(Outcome::failed(failure));
            self.left_to_js(id);
        }
    }

    /// Has JS stop the work of request `id`, which the host answered for it
    /// (see `op_worker_abandoned`).
    fn left_to_js(&mut self, id: u32) {
        self.failed.push(id);
        if let Some(waker) = &self.abandoned_waker {
            waker.wake_by_ref();
        }
    }

    /// Registers a new event; returns what JS needs to run it.
    fn accept(&mut self, event: Event) -> NewEvent {
        if let Some(monitor) = &self.monitor {
            monitor.add_turn_request();
        }
        match event {
            Event::Fetch(Exchange {
                method,
                url,
                headers,
                body,
                call,
                reply,
            }) => {
                let mut flat = Vec::with_capacity(headers.len() * 2);
                for (name, value) in &headers {
                    flat.push(ByteString::from(name.as_str()));
                    flat.push(ByteString::from(value.as_bytes()));
                }
                let has_body = body.is_some();
                let Call {
                    entrypoint,
                    object,
                    alarm,
                    rpc,
                } = call.map(|call| *call).unwrap_or_default();
                let id = self.register(body, reply);
                let rpc = rpc.map(
                    |Rpc {
                         export,
                         path,
                         apply,
                         args,
                     }| {
                        if let Some(exchange) = self.exchanges.get_mut(&id) {
                            exchange.args = Some(args);
                        }
                        JsRpc(export, path, apply)
                    },
                );
                NewEvent::Fetch(
                    id,
                    method.to_string(),
                    url,
                    flat,
                    has_body,
                    entrypoint,
                    rpc,
                    object,
                    alarm,
                )
            }
            Event::Release(export) => NewEvent::Release(export),
            Event::Scheduled(Scheduled {
                cron,
                scheduled_time,
                reply,
            }) => NewEvent::Scheduled(self.register(None, reply), cron, scheduled_time),
            Event::Queue(QueueDelivery {
                queue,
                messages,
                reply,
            }) => NewEvent::Queue {
                id: self.register(None, reply),
                queue,
                messages: messages
                    .into_iter()
                    .map(|m| JsQueueMessage {
                        id: m.id,
                        timestamp: m.timestamp as f64,
                        attempts: m.attempts,
                        content_type: m.content_type,
                        body: m.body.into(),
                    })
                    .collect(),
            },
        }
    }

    /// A fresh id for an event in flight.
    fn register(&mut self, body: Option<RequestBody>, reply: Reply) -> u32 {
        while self.exchanges.contains_key(&self.next_id) {
            self.next_id = self.next_id.wrapping_add(1);
        }
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        let mut exchange = InFlight {
            body,
            args: None,
            reply,
            cpu_ns: 0,
        };
        // Tells `op_worker_abandoned`, waiting already, if this client goes
        // away too, without waking it now.
        if let Some(waker) = &self.abandoned_waker {
            let mut cx = std::task::Context::from_waker(waker);
            if exchange.reply.poll_closed(&mut cx).is_ready() {
                waker.wake_by_ref();
            }
        }
        self.exchanges.insert(id, exchange);
        id
    }

    /// Sends `outcome` for request `id`; false if it was answered already.
    fn answer(&mut self, id: u32, outcome: Outcome) -> bool {
        match self.exchanges.remove(&id) {
            // The client may have gone away; nothing is left to do then.
            Some(exchange) => {
                let _ = exchange.reply.send(outcome);
                true
            }
            None => false,
        }
    }
}

deno_core::extension!(
    isola_worker,
    ops = [
        op_worker_set_entrypoints,
        op_worker_next_requests,
        op_worker_request_body,
        op_worker_call_args,
        op_worker_respond_rpc,
        op_worker_respond,
        op_worker_respond_static,
        op_worker_respond_stream,
        op_worker_respond_websocket,
        op_worker_respond_error,
        op_worker_log,
        op_worker_wasm_token,
        op_worker_abandoned,
        op_worker_clock,
        op_worker_charge_cpu,
        op_worker_callback_begin,
        op_worker_callback_end,
        op_worker_take_subrequest,
    ],
    state = |state| {
        state.put(HostState::default());
    },
);

/// A secret of this process: `.wasm` modules, which the module loader
/// compiles with `new WebAssembly.Module(bytes, token)`
/// ([`super::loader`]), stay importable while Workers code may not compile
/// Wasm from bytes (`global_scope/92_code_generation.js`).
pub fn wasm_token() -> &'static str {
    static TOKEN: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| uuid::Uuid::new_v4().simple().to_string());
    &TOKEN
}

/// A monotonic clock for JS, in milliseconds (fractional) since the
/// process started: what [`op_worker_charge_cpu`] is given.
#[op2(fast)]
fn op_worker_clock() -> f64 {
    clock_ms()
}

fn clock_ms() -> f64 {
    static START: std::sync::LazyLock<std::time::Instant> =
        std::sync::LazyLock::new(std::time::Instant::now);
    START.elapsed().as_secs_f64() * 1000.0
}

/// Counts host CPU that request `id`'s work used off the isolate's thread
/// (a Web Crypto operation on a blocking thread, begun at `since` on
/// [`op_worker_clock`]) as its CPU time; past its limit the request fails
/// as a CPU stop fails it.
#[op2(fast)]
fn op_worker_charge_cpu(state: &mut OpState, id: u32, since: f64) {
    let used = std::time::Duration::from_secs_f64(((clock_ms() - since) / 1000.0).max(0.0));
    let host = state.borrow_mut::<HostState>();
    if let Some(monitor) = &host.monitor {
        monitor.add_cpu(used);
    }
    host.charge_request(id, u64::try_from(used.as_nanos()).unwrap_or(u64::MAX));
}

/// Marks the start of a timer's callback, whose CPU time
/// [`op_worker_callback_end`] charges to the request that set the timer.
#[op2(fast)]
fn op_worker_callback_begin(state: &mut OpState) {
    let host = state.borrow_mut::<HostState>();
    host.callback_since = host.monitor.as_ref().map(|monitor| monitor.now());
}

/// Charges the CPU time since [`op_worker_callback_begin`] to request `id`
/// alone, if it is in flight (else the turn's time stays shared); past its
/// limit the request fails as a CPU stop fails it.
#[op2(fast)]
fn op_worker_callback_end(state: &mut OpState, id: u32) {
    let host = state.borrow_mut::<HostState>();
    let (Some(since), Some(monitor)) = (host.callback_since.take(), &host.monitor) else {
        return;
    };
    let used = monitor.now().saturating_sub(since);
    if host.exchanges.contains_key(&id) {
        host.charged_in_turn = host.charged_in_turn.saturating_add(used);
        host.charge_request(id, used);
    }
}

#[op2]
#[string]
fn op_worker_wasm_token() -> &'static str {
    wasm_token()
}

#[op2]
fn op_worker_set_entrypoints(
    state: &mut OpState,
    #[scoped] prepare: v8::Global<v8::Function>,
    #[scoped] start: v8::Global<v8::Function>,
    #[scoped] resume: v8::Global<v8::Function>,
) {
    state.borrow_mut::<HostState>().entrypoints = Some(Entrypoints {
        prepare,
        start,
        resume,
    });
}

/// Waits for events and returns those queued, at most [`BATCH`], each as a
/// [`NewEvent`] array; an empty list once the isolate is being retired. A
/// `scheduled` run is answered like a request: an empty response when it
/// succeeded, `op_worker_respond_error` when it failed.
/// Taking a batch saves a round trip through the event loop per request
/// when requests arrive faster than they are served; resolving lazily (in
/// the next turn, never in the one that asked) keeps one turn of the event
/// loop to one batch under sustained load.
#[op2(async(lazy), fast)]
#[serde]
async fn op_worker_next_requests(state: Rc<RefCell<OpState>>) -> Vec<NewEvent> {
    let Some(queue) = state.borrow().borrow::<HostState>().queue.clone() else {
        return Vec::new();
    };
    let mut queue = RcRef::map(&queue, |q| q).borrow_mut().await;
    let Some(first) = queue.recv().await else {
        state.borrow_mut().borrow_mut::<HostState>().retired = true;
        return Vec::new();
    };
    let mut state = state.borrow_mut();
    let host = state.borrow_mut::<HostState>();
    let mut batch = vec![host.accept(first)];
    while batch.len() < BATCH {
        match queue.try_recv() {
            Ok(exchange) => batch.push(host.accept(exchange)),
            Err(_) => break,
        }
    }
    batch
}

/// The arguments of RPC call `id`, once: their bytes, stubs and streams
/// (as `rpc::to_js` lays them out).
#[op2]
#[buffer]
fn op_worker_call_args(state: &mut OpState, #[smi] id: u32) -> Vec<u8> {
    let args = state
        .borrow_mut::<HostState>()
        .exchanges
        .get_mut(&id)
        .and_then(|exchange| exchange.args.take())
        .unwrap_or_default();
    rpc::to_js(state, 0, args)
}

/// Answers RPC call `id` with its result, or (unless `ok`) what it threw:
/// the value's bytes and what `outgoing` names beside them. Returns false
/// if the host had already answered.
#[op2]
fn op_worker_respond_rpc(
    state: &mut OpState,
    #[smi] id: u32,
    ok: bool,
    #[buffer(copy)] bytes: Vec<u8>,
    #[serde] outgoing: Option<Outgoing>,
) -> Result<bool, JsErrorBox> {
    let worker = state.borrow::<HostState>().worker_name.clone();
    let payload = rpc::pack(state, &worker, bytes, outgoing)?;
    let status = if ok { 200 } else { 500 };
    let mut outcome = response(status, &[(RPC_ANSWER, "1")], ResponseBody::Empty, None);
    if let Outcome::Response(response) = &mut outcome {
        response.extensions_mut().insert(payload);
    }
    Ok(state.borrow_mut::<HostState>().answer(id, outcome))
}

#[op2(fast)]
#[smi]
fn op_worker_request_body(state: &mut OpState, #[smi] id: u32) -> Result<ResourceId, JsErrorBox> {
    let body = state
        .borrow_mut::<HostState>()
        .exchanges
        .get_mut(&id)
        .and_then(|exchange| exchange.body.take())
        .ok_or_else(|| JsErrorBox::type_error("The request body is no longer available"))?;
    Ok(state.resource_table.add(RequestBodyResource::new(body)))
}

/// Sends a response whose body is known now (or absent). Returns false if
/// the host had already answered the request.
#[op2]
fn op_worker_respond(
    state: &mut OpState,
    #[smi] id: u32,
    #[smi] status: u16,
    #[serde] headers: Vec<(ByteString, ByteString)>,
    #[serde] body: Option<StringOrBuffer>,
) -> bool {
    let host = state.borrow_mut::<HostState>();
    let outcome = response(
        status,
        &headers,
        static_body(body),
        host.limits.response_bytes,
    );
    host.answer(id, outcome)
}

/// Sends the commonest response, `new Response(text)` with at most a
/// content type, without building a header list: `header_kind` is deno's
/// `SERVE_FAST_HEADER_*` (0: none, 1: text/plain;charset=UTF-8,
/// 2: `content_type`).
#[op2]
fn op_worker_respond_static(
    state: &mut OpState,
    #[smi] id: u32,
    #[smi] status: u16,
    #[smi] header_kind: u8,
    #[string] content_type: &str,
    #[serde] body: StringOrBuffer,
) -> bool {
    let content_type: &[u8] = match header_kind {
        0 => b"",
        1 => b"text/plain;charset=UTF-8",
        _ => content_type.as_bytes(),
    };
    let headers: &[(&[u8], &[u8])] = if content_type.is_empty() {
        &[]
    } else {
        &[(b"content-type", content_type)]
    };
    let host = state.borrow_mut::<HostState>();
    let outcome = response(
        status,
        headers,
        static_body(Some(body)),
        host.limits.response_bytes,
    );
    host.answer(id, outcome)
}

/// Sends a response whose body the host reads from resource `rid` (a
/// ReadableStream turned into a resource, or a request body passed through).
#[op2]
fn op_worker_respond_stream(
    state: &mut OpState,
    #[smi] id: u32,
    #[smi] status: u16,
    #[serde] headers: Vec<(ByteString, ByteString)>,
    #[smi] rid: ResourceId,
) -> Result<bool, JsErrorBox> {
    let resource = state
        .resource_table
        .take_any(rid)
        .map_err(JsErrorBox::from_err)?;
    let host = state.borrow_mut::<HostState>();
    let (sender, body) = ResponseBody::channel();
    if !host.answer(id, response(status, &headers, body, None)) {
        resource.close();
        return Ok(false);
    }
    deno_core::unsync::spawn(isola_apis::body::pump(
        host.worker_name.clone(),
        "response body",
        resource,
        sender,
        host.limits.response_bytes,
    ));
    Ok(true)
}

/// Answers with status 101 and the `client` end of a `WebSocketPair`
/// (resource `rid`), which the server connects to the client once the
/// handshake is done.
#[op2]
fn op_worker_respond_websocket(
    state: &mut OpState,
    #[smi] id: u32,
    #[serde] headers: Vec<(ByteString, ByteString)>,
    #[smi] rid: ResourceId,
) -> Result<bool, JsErrorBox> {
    let link = websocket::take_link(state, rid)?;
    let mut outcome = response(101, &headers, ResponseBody::Empty, None);
    if let Outcome::Response(response) = &mut outcome {
        response
            .extensions_mut()
            .insert(websocket::Upgrade::new(link));
    }
    Ok(state.borrow_mut::<HostState>().answer(id, outcome))
}

/// The Worker failed to answer (it threw, or returned no Response); the
/// host answers instead. Logs the error with the Worker's name.
#[op2(fast)]
fn op_worker_respond_error(
    state: &mut OpState,
    #[smi] id: u32,
    #[string] error: &str,
    pass_through: bool,
    #[string] name: String,
    #[string] message: String,
) -> bool {
    let host = state.borrow_mut::<HostState>();
    let error = match &host.sources {
        Some(sources) => sources.map_stack(error),
        None => error.to_string(),
    };
    tracing::error!(target: "worker", "[{}] Uncaught {error}", host.worker_name);
    host.answer(
        id,
        Outcome::Failed {
            failure: Failure::Exception,
            pass_through,
            detail: Some(error),
            thrown: Some(Thrown { name, message }),
        },
    )
}

/// Resolves with the ids of requests whose clients went away before they
/// were answered, and of those the host failed for their CPU limit. They
/// leave those in flight, and JS cancels what they started (their
/// subrequests, their timers), as Cloudflare cancels a request's work when
/// its client disconnects.
#[op2(async(lazy), fast)]
#[serde]
async fn op_worker_abandoned(state: Rc<RefCell<OpState>>) -> Vec<u32> {
    std::future::poll_fn(|cx| {
        let mut state = state.borrow_mut();
        let host = state.borrow_mut::<HostState>();
        host.abandoned_waker = Some(cx.waker().clone());
        let mut gone: Vec<u32> = host
            .exchanges
            .iter_mut()
            .filter_map(|(id, exchange)| exchange.reply.poll_closed(cx).is_ready().then_some(*id))
            .collect();
        gone.append(&mut host.failed);
        if gone.is_empty() {
            return std::task::Poll::Pending;
        }
        for id in &gone {
            host.exchanges.remove(id);
        }
        std::task::Poll::Ready(gone)
    })
    .await
}

/// Counts a subrequest against the chain of requests `token` names
/// ([`Chain`]); false once the chain's budget is spent.
#[op2(fast)]
fn op_worker_take_subrequest(#[string] token: &str) -> bool {
    Chain::take(token)
}

/// `console.*` from a Worker: one log line per call, tagged with its name.
#[op2(fast)]
fn op_worker_log(state: &mut OpState, #[smi] level: i32, #[string] message: &str) {
    let worker = &state.borrow::<HostState>().worker_name;
    let message = message.strip_suffix('\n').unwrap_or(message);
    match level {
        0 => tracing::debug!(target: "worker", "[{worker}] {message}"),
        1 => tracing::info!(target: "worker", "[{worker}] {message}"),
        2 => tracing::warn!(target: "worker", "[{worker}] {message}"),
        _ => tracing::error!(target: "worker", "[{worker}] {message}"),
    }
}

fn static_body(body: Option<StringOrBuffer>) -> ResponseBody {
    match body {
        None => ResponseBody::Empty,
        Some(StringOrBuffer::String(text)) => ResponseBody::full(text),
        Some(StringOrBuffer::Buffer(bytes)) => ResponseBody::full(Bytes::copy_from_slice(&bytes)),
    }
}

/// The outcome for a response the Worker made: the response, or a failure
/// when its status or headers cannot be sent or its body is over the limit.
fn response<N: AsRef<[u8]>, V: AsRef<[u8]>>(
    status: u16,
    headers: &[(N, V)],
    body: ResponseBody,
    max_body: Option<u64>,
) -> Outcome {
    if let (Some(max), ResponseBody::Full(Some(bytes))) = (max_body, &body)
        && bytes.len() as u64 > max
    {
        tracing::error!(
            "the Worker's response body ({} bytes) is over the limit of {max} bytes",
            bytes.len()
        );
        return Outcome::failed(Failure::Exception);
    }
    let mut builder = http::Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(name.as_ref(), value.as_ref());
    }
    match builder.body(body) {
        Ok(response) => Outcome::Response(response),
        Err(error) => {
            tracing::error!("the Worker's response cannot be sent: {error}");
            Outcome::failed(Failure::Exception)
        }
    }
}
