//! The ops through which a Worker's JavaScript serves HTTP: take the next
//! request, read its headers and body, send the response.
//!
//! The JS side is `js-polyfills/js/20_http.js` and `60_worker.js`. Requests
//! wait in a queue fed by the server; each one taken gets a small integer id
//! (a slab slot) that JS uses until it responds.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use bytes::{Buf, Bytes};
use deno_core::{
    AsyncRefCell, AsyncResult, BufView, ByteString, OpState, RcRef, Resource, ResourceId,
    StringOrBuffer, op2, v8,
};
use deno_error::JsErrorBox;
use http_body_util::BodyExt;
use tokio::sync::mpsc;

use crate::exchange::{Exchange, Reply, RequestBody};
use crate::http::{Failure, ResponseBody, error_response};

/// Chunk size when the host reads a streamed response body.
const READ_CHUNK: usize = 64 * 1024;

/// Most requests handed to JS by one `op_isola_next_requests` call.
const BATCH: usize = 64;

/// What an isolate's ops share: the queue of requests and those in flight.
pub struct HostState {
    pub worker_name: Arc<str>,
    queue: Rc<AsyncRefCell<mpsc::UnboundedReceiver<Exchange>>>,
    exchanges: slab::Slab<InFlight>,
    pub entrypoints: Option<Entrypoints>,
}

/// The two JS functions the host calls to load a Worker (see `99_main.js`).
pub struct Entrypoints {
    pub prepare: v8::Global<v8::Function>,
    pub start: v8::Global<v8::Function>,
}

/// A request as JS receives it: id, method, URL, flat headers, has a body.
type NewRequest = (u32, String, String, Vec<ByteString>, bool);

struct InFlight {
    body: Option<RequestBody>,
    reply: Reply,
}

impl HostState {
    pub fn new(worker_name: Arc<str>, queue: mpsc::UnboundedReceiver<Exchange>) -> Self {
        Self {
            worker_name,
            queue: Rc::new(AsyncRefCell::new(queue)),
            exchanges: slab::Slab::new(),
            entrypoints: None,
        }
    }

    /// Registers a new exchange; returns what JS needs to build its Request.
    fn accept(&mut self, exchange: Exchange) -> NewRequest {
        let Exchange {
            method,
            url,
            headers,
            body,
            reply,
        } = exchange;
        let mut flat = Vec::with_capacity(headers.len() * 2);
        for (name, value) in &headers {
            flat.push(ByteString::from(name.as_str()));
            flat.push(ByteString::from(value.as_bytes()));
        }
        let has_body = body.is_some();
        let id = self.exchanges.insert(InFlight { body, reply });
        (id as u32, method.to_string(), url, flat, has_body)
    }

    fn take(&mut self, id: u32) -> Result<InFlight, JsErrorBox> {
        self.exchanges
            .try_remove(id as usize)
            .ok_or_else(|| JsErrorBox::type_error("This request has already been answered"))
    }

    fn get(&mut self, id: u32) -> Result<&mut InFlight, JsErrorBox> {
        self.exchanges
            .get_mut(id as usize)
            .ok_or_else(|| JsErrorBox::type_error("This request has already been answered"))
    }
}

deno_core::extension!(
    isola_host,
    ops = [
        op_isola_set_entrypoints,
        op_isola_next_requests,
        op_isola_request_body,
        op_isola_respond,
        op_isola_respond_static,
        op_isola_respond_stream,
        op_isola_respond_error,
        op_isola_log,
    ],
    options = { state: HostState },
    state = |state, options| {
        state.put(options.state);
    },
);

#[op2]
fn op_isola_set_entrypoints(
    state: &mut OpState,
    #[scoped] prepare: v8::Global<v8::Function>,
    #[scoped] start: v8::Global<v8::Function>,
) {
    state.borrow_mut::<HostState>().entrypoints = Some(Entrypoints { prepare, start });
}

/// Waits for requests and returns those queued, at most [`BATCH`], as
/// `[id, method, url, headers, hasBody]` each (`headers` flat: name, value,
/// name, value, ...); an empty list once the isolate is
/// being shut down. Taking a batch saves a round trip through the event
/// loop per request when requests arrive faster than they are served.
#[op2]
#[serde]
async fn op_isola_next_requests(state: Rc<RefCell<OpState>>) -> Vec<NewRequest> {
    let queue = state.borrow().borrow::<HostState>().queue.clone();
    let mut queue = RcRef::map(&queue, |q| q).borrow_mut().await;
    let Some(first) = queue.recv().await else {
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

#[op2(fast)]
#[smi]
fn op_isola_request_body(state: &mut OpState, #[smi] id: u32) -> Result<ResourceId, JsErrorBox> {
    let body = state
        .borrow_mut::<HostState>()
        .get(id)?
        .body
        .take()
        .ok_or_else(|| JsErrorBox::type_error("The request body was already taken"))?;
    Ok(state.resource_table.add(RequestBodyResource::new(body)))
}

/// Sends a response whose body is known now (or absent).
#[op2]
fn op_isola_respond(
    state: &mut OpState,
    #[smi] id: u32,
    #[smi] status: u16,
    #[serde] headers: Vec<(ByteString, ByteString)>,
    #[serde] body: Option<StringOrBuffer>,
) -> Result<(), JsErrorBox> {
    let exchange = state.borrow_mut::<HostState>().take(id)?;
    send(exchange.reply, status, &headers, response_body(body));
    Ok(())
}

fn response_body(body: Option<StringOrBuffer>) -> ResponseBody {
    match body {
        None => ResponseBody::Empty,
        Some(StringOrBuffer::String(text)) => ResponseBody::full(text),
        Some(StringOrBuffer::Buffer(bytes)) => ResponseBody::full(Bytes::copy_from_slice(&bytes)),
    }
}

/// Sends the commonest response, `new Response(text)` with at most a
/// content type, without building a header list: `header_kind` is deno's
/// `SERVE_FAST_HEADER_*` (0: none, 1: text/plain;charset=UTF-8,
/// 2: `content_type`).
#[op2]
fn op_isola_respond_static(
    state: &mut OpState,
    #[smi] id: u32,
    #[smi] status: u16,
    #[smi] header_kind: u8,
    #[string] content_type: &str,
    #[serde] body: StringOrBuffer,
) -> Result<(), JsErrorBox> {
    let exchange = state.borrow_mut::<HostState>().take(id)?;
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
    send(exchange.reply, status, headers, response_body(Some(body)));
    Ok(())
}

/// Sends a response whose body the host reads from resource `rid` (a
/// ReadableStream turned into a resource, or a request body passed through).
#[op2]
fn op_isola_respond_stream(
    state: &mut OpState,
    #[smi] id: u32,
    #[smi] status: u16,
    #[serde] headers: Vec<(ByteString, ByteString)>,
    #[smi] rid: ResourceId,
) -> Result<(), JsErrorBox> {
    let exchange = state.borrow_mut::<HostState>().take(id)?;
    let resource = state
        .resource_table
        .take_any(rid)
        .map_err(JsErrorBox::from_err)?;
    let (tx, body) = ResponseBody::channel();
    send(exchange.reply, status, &headers, body);
    deno_core::unsync::spawn(async move {
        loop {
            match resource.clone().read(READ_CHUNK).await {
                Ok(chunk) if chunk.is_empty() => break,
                Ok(mut chunk) => {
                    let bytes = chunk.copy_to_bytes(chunk.remaining());
                    if tx.send(Ok(bytes)).await.is_err() {
                        break; // the client went away
                    }
                }
                Err(error) => {
                    let _ = tx.send(Err(error.to_string().into())).await;
                    break;
                }
            }
        }
        resource.close();
    });
    Ok(())
}

/// Answers with the host's error page because the Worker failed; logs why.
#[op2(fast)]
fn op_isola_respond_error(
    state: &mut OpState,
    #[smi] id: u32,
    #[string] error: &str,
    _pass_through: bool,
) -> Result<(), JsErrorBox> {
    let host = state.borrow_mut::<HostState>();
    let exchange = host.take(id)?;
    tracing::error!(target: "worker", worker = %host.worker_name, "Uncaught {error}");
    let _ = exchange.reply.send(error_response(Failure::Exception));
    Ok(())
}

/// `console.*` from a Worker: one log line per call, tagged with its name.
#[op2(fast)]
fn op_isola_log(state: &mut OpState, #[smi] level: i32, #[string] message: &str) {
    let worker = &state.borrow::<HostState>().worker_name;
    let message = message.strip_suffix('\n').unwrap_or(message);
    match level {
        0 => tracing::debug!(target: "worker", worker = %worker, "{message}"),
        1 => tracing::info!(target: "worker", worker = %worker, "{message}"),
        2 => tracing::warn!(target: "worker", worker = %worker, "{message}"),
        _ => tracing::error!(target: "worker", worker = %worker, "{message}"),
    }
}

/// Builds the response head; a status or header the client could not be
/// sent becomes the host's error page (and a log line) instead.
fn send<N: AsRef<[u8]>, V: AsRef<[u8]>>(
    reply: Reply,
    status: u16,
    headers: &[(N, V)],
    body: ResponseBody,
) {
    let response = build_response(status, headers, body).unwrap_or_else(|error| {
        tracing::error!("the Worker's response cannot be sent: {error}");
        error_response(Failure::Exception)
    });
    // The client may have gone away; nothing is left to do then.
    let _ = reply.send(response);
}

fn build_response<N: AsRef<[u8]>, V: AsRef<[u8]>>(
    status: u16,
    headers: &[(N, V)],
    body: ResponseBody,
) -> Result<http::Response<ResponseBody>, http::Error> {
    let mut builder = http::Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(name.as_ref(), value.as_ref());
    }
    builder.body(body)
}

/// A request body as a deno_core resource, so that `request.body` is a
/// resource-backed ReadableStream and a proxied body never enters JS.
struct RequestBodyResource {
    state: AsyncRefCell<BodyReader>,
}

struct BodyReader {
    body: RequestBody,
    pending: Bytes,
}

impl RequestBodyResource {
    fn new(body: RequestBody) -> Self {
        Self {
            state: AsyncRefCell::new(BodyReader {
                body,
                pending: Bytes::new(),
            }),
        }
    }
}

impl Resource for RequestBodyResource {
    fn name(&self) -> std::borrow::Cow<'_, str> {
        "requestBody".into()
    }

    fn read(self: Rc<Self>, limit: usize) -> AsyncResult<BufView> {
        Box::pin(async move {
            let mut reader = RcRef::map(&self, |r| &r.state).borrow_mut().await;
            loop {
                if !reader.pending.is_empty() {
                    let n = limit.min(reader.pending.len());
                    return Ok(BufView::from(reader.pending.split_to(n)));
                }
                match reader.body.frame().await {
                    None => return Ok(BufView::empty()),
                    Some(Ok(frame)) => {
                        if let Ok(data) = frame.into_data() {
                            reader.pending = data;
                        }
                    }
                    Some(Err(error)) => {
                        return Err(JsErrorBox::type_error(format!(
                            "The request body could not be read: {error}"
                        )));
                    }
                }
            }
        })
    }
}
