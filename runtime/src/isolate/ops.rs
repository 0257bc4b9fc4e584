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

struct InFlight {
    headers: http::HeaderMap,
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
        op_isola_next_request,
        op_isola_request_headers,
        op_isola_request_body,
        op_isola_respond,
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

/// Waits for the next request: `[id, method, url, hasBody]`, or null once
/// the isolate is being shut down.
#[op2]
#[serde]
async fn op_isola_next_request(state: Rc<RefCell<OpState>>) -> Option<(u32, String, String, bool)> {
    let queue = state.borrow().borrow::<HostState>().queue.clone();
    let exchange = RcRef::map(&queue, |q| q).borrow_mut().await.recv().await?;
    let Exchange {
        method,
        url,
        headers,
        body,
        reply,
    } = exchange;
    let has_body = body.is_some();
    let id = state
        .borrow_mut()
        .borrow_mut::<HostState>()
        .exchanges
        .insert(InFlight {
            headers,
            body,
            reply,
        });
    Some((id as u32, method.to_string(), url, has_body))
}

#[op2]
#[serde]
fn op_isola_request_headers(
    state: &mut OpState,
    #[smi] id: u32,
) -> Result<Vec<(ByteString, ByteString)>, JsErrorBox> {
    let exchange = state.borrow_mut::<HostState>().get(id)?;
    Ok(exchange
        .headers
        .iter()
        .map(|(name, value)| (name.as_str().into(), value.as_bytes().into()))
        .collect())
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
    let body = match body {
        None => ResponseBody::Empty,
        Some(StringOrBuffer::String(text)) => ResponseBody::full(text),
        Some(StringOrBuffer::Buffer(bytes)) => ResponseBody::full(Bytes::copy_from_slice(&bytes)),
    };
    send(exchange.reply, status, &headers, body);
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
fn send(reply: Reply, status: u16, headers: &[(ByteString, ByteString)], body: ResponseBody) {
    let response = build_response(status, headers, body).unwrap_or_else(|error| {
        tracing::error!("the Worker's response cannot be sent: {error}");
        error_response(Failure::Exception)
    });
    // The client may have gone away; nothing is left to do then.
    let _ = reply.send(response);
}

fn build_response(
    status: u16,
    headers: &[(ByteString, ByteString)],
    body: ResponseBody,
) -> Result<http::Response<ResponseBody>, http::Error> {
    let mut builder = http::Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(name.as_slice(), value.as_slice());
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
