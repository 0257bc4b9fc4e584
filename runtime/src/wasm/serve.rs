//! A guest's requests: each one the host queues runs in an instance of its
//! own, in a task of its own, so requests to one guest run in parallel. A
//! Spin app's request first finds its component by route.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use tokio::sync::{mpsc, oneshot};
use wasmtime::{Store, Trap};
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::{WasiBody, WasiHttpView};

use ipnet::IpNet;
use isola_apis::WorkerBindings;
use isola_apis::body::{BodyError, RequestBody, ResponseBody};
use isola_apis::services::Thrown;

use super::{Guest, GuestState, Guests, Handler, Outgoing};
use crate::exchange::{Event, Exchange, Failure, Outcome, QueueDelivery, Scheduled, Serving};
use crate::limits::{Limits, Monitor};

/// One guest as it is served: what each of its requests needs.
struct Served {
    /// The Worker's name, for its log lines.
    name: Arc<str>,
    guests: Arc<Guests>,
    limits: Limits,
    bindings: Arc<WorkerBindings>,
    origin: Option<Arc<url::Url>>,
    /// Addresses its subrequests may not reach.
    denied: Arc<[IpNet]>,
}

/// Starts serving `guests` as the Worker `name` with `limits`, its `bindings`, in front of
/// `origin`, its subrequests kept from the `denied` addresses; the handle
/// takes its requests.
pub fn start(
    name: Arc<str>,
    guests: Arc<Guests>,
    limits: Limits,
    bindings: WorkerBindings,
    origin: Option<&url::Url>,
    denied: Vec<IpNet>,
) -> Serving {
    let serving = Arc::new(Served {
        name,
        guests,
        limits,
        bindings: Arc::new(bindings),
        origin: origin.cloned().map(Arc::new),
        denied: denied.into(),
    });
    let (queue, mut events) = mpsc::unbounded_channel();
    let monitor = Monitor::detached();
    let busy = monitor.clone();
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            match event {
                Event::Fetch(exchange) => {
                    tokio::spawn(answer(serving.clone(), exchange, busy.clone()));
                }
                Event::Scheduled(Scheduled { reply, .. })
                | Event::Queue(QueueDelivery { reply, .. }) => {
                    tracing::error!(
                        target: "worker",
                        "[{}] a Wasm guest has no scheduled or queue handler",
                        serving.name
                    );
                    let _ = reply.send(Outcome::failed(Failure::Exception));
                }
                // A guest exports nothing over RPC.
                Event::Release(_) => {}
            }
        }
    });
    Serving { queue, monitor }
}

async fn answer(serving: Arc<Served>, exchange: Exchange, monitor: Arc<Monitor>) {
    let started = Instant::now();
    let Exchange {
        method,
        url,
        headers,
        body,
        call,
        mut reply,
    } = exchange;
    // A guest serves `wasi:http` requests: it has no named entrypoints and
    // no RPC methods.
    if let Some(call) = call {
        let what = match (&call.rpc, &call.entrypoint) {
            (Some(rpc), _) => format!("the RPC method {:?}", rpc.path.join(".")),
            (None, Some(entrypoint)) => format!("the entrypoint {entrypoint:?}"),
            (None, None) => "it".to_string(),
        };
        let detail = format!(
            "{} is a Wasm guest, which serves HTTP requests only: {what} cannot be called",
            serving.name
        );
        let _ = reply.send(Outcome::Failed {
            failure: Failure::Exception,
            pass_through: false,
            thrown: Some(Thrown {
                name: "TypeError".into(),
                message: detail.clone(),
            }),
            detail: Some(detail),
        });
        return;
    }
    let mut headers = headers;
    let guest = match serving.guests.as_ref() {
        Guests::One(guest) => Some(guest.clone()),
        Guests::Spin(app) => url::Url::parse(&url)
            .ok()
            .and_then(|parsed| app.route(&parsed, &mut headers)),
    };
    let Some(guest) = guest else {
        let mut response = http::Response::new(ResponseBody::Empty);
        *response.status_mut() = http::StatusCode::NOT_FOUND;
        let _ = reply.send(Outcome::Response(response));
        return;
    };
    let ran = tokio::select! {
        ran = run(&serving, &guest, incoming(method, &url, headers, body)) => Some(ran),
        // The client left before its answer: the guest's instance stops.
        () = reply.closed() => None,
    };
    monitor.add_cpu(started.elapsed());
    let Some(ran) = ran else {
        return;
    };
    let outcome = match ran {
        Ok(response) => Outcome::Response(response),
        Err((failure, detail)) => {
            tracing::error!(target: "worker", "[{}] {detail}", guest.name);
            Outcome::Failed {
                failure,
                pass_through: false,
                detail: Some(detail),
                thrown: None,
            }
        }
    };
    let _ = reply.send(outcome);
}

/// The request as `wasi:http` takes it, or why it cannot be.
fn incoming(
    method: http::Method,
    url: &str,
    headers: http::HeaderMap,
    body: Option<RequestBody>,
) -> Result<(Scheme, http::Request<WasiBody>), String> {
    let scheme = if url.starts_with("https:") {
        Scheme::Https
    } else {
        Scheme::Http
    };
    let body = match body {
        Some(body) => body
            .map_err(|e| wasmtime_wasi_http::Error::InternalError(Some(e.to_string())))
            .boxed_unsync(),
        None => Empty::<Bytes>::new()
            .map_err(|never| match never {})
            .boxed_unsync(),
    };
    let mut request = http::Request::new(body);
    *request.method_mut() = method;
    *request.uri_mut() = url.parse().map_err(|e| format!("bad URL {url:?}: {e}"))?;
    *request.headers_mut() = headers;
    Ok((scheme, request))
}

/// What a guest's run gives back: its response, or why it failed.
pub(super) type Answered = Result<http::Response<ResponseBody>, (Failure, String)>;

/// Runs one request in a fresh instance: its response, or why it failed.
async fn run(
    serving: &Served,
    guest: &Guest,
    request: Result<(Scheme, http::Request<WasiBody>), String>,
) -> Answered {
    let (scheme, request) = request.map_err(|e| internal(&e))?;
    let outgoing = Outgoing::new(
        serving.limits.subrequests,
        request.uri().authority().cloned(),
        serving.origin.clone(),
        serving.denied.clone(),
        guest.options.allowed_hosts.clone(),
    );
    let state = GuestState::new(guest, serving.bindings.clone(), outgoing);
    let store = guest.store(state, serving.limits.cpu);
    match &guest.handler {
        Handler::P2(pre) => run_p2(store, pre.clone(), scheme, request).await,
        Handler::P3(pre) => super::wasip3::run(store, pre.clone(), request, &guest.name).await,
    }
}

pub(super) fn internal(e: &dyn std::fmt::Display) -> (Failure, String) {
    (Failure::Unavailable, e.to_string())
}

/// Calls WASI 0.2's `wasi:http/incoming-handler`.
async fn run_p2(
    mut store: Store<GuestState>,
    pre: ProxyPre<GuestState>,
    scheme: Scheme,
    request: http::Request<WasiBody>,
) -> Answered {
    let request = store
        .data_mut()
        .http()
        .new_incoming_request(scheme, request)
        .map_err(|e| internal(&e))?;
    let (sender, receiver) = oneshot::channel();
    let out = store
        .data_mut()
        .http()
        .new_response_outparam(sender)
        .map_err(|e| internal(&e))?;

    // The guest may go on writing the body after it has set the response,
    // so it runs in a task of its own.
    let task = tokio::spawn(async move {
        let proxy = pre.instantiate_async(&mut store).await?;
        proxy
            .wasi_http_incoming_handler()
            .call_handle(&mut store, request, out)
            .await
    });
    let answer = async {
        receiver
            .await
            .map(|answer| answer.map_err(|code| format!("{code:?}")))
    };
    answered(answer, task).await
}

/// The response a guest set, or why there is none: the error code it
/// answered with, or, where it set nothing, how its task ended.
///
/// Awaited until the guest answers; dropped before that (its client left),
/// it stops the guest's instance, as a JS Worker's work is cancelled when
/// its client leaves. Once answered, the task goes on: it may be writing
/// the body.
pub(super) async fn answered(
    answer: impl Future<
        Output = Result<Result<http::Response<WasiBody>, String>, oneshot::error::RecvError>,
    >,
    task: tokio::task::JoinHandle<wasmtime::Result<()>>,
) -> Answered {
    let unanswered = StopUnanswered(Some(task.abort_handle()));
    let answer = answer.await;
    unanswered.answered();
    match answer {
        Ok(Ok(response)) => Ok(response.map(|body| {
            ResponseBody::Boxed(body.map_err(|e| Box::new(e) as BodyError).boxed_unsync())
        })),
        Ok(Err(code)) => Err((
            Failure::Exception,
            format!("the guest answered with an error: {code}"),
        )),
        Err(_) => Err(match task.await {
            Ok(Ok(())) => (
                Failure::Exception,
                "the guest returned without setting a response".to_string(),
            ),
            Ok(Err(error)) => why(&error),
            Err(joined) => internal(&joined),
        }),
    }
}

/// Aborts a guest's task when dropped, unless [`StopUnanswered::answered`]
/// said the guest answered first.
struct StopUnanswered(Option<tokio::task::AbortHandle>);

impl StopUnanswered {
    fn answered(mut self) {
        self.0 = None;
    }
}

impl Drop for StopUnanswered {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.abort();
        }
    }
}

/// The failure a guest's error means, and how to say it.
pub(super) fn why(error: &wasmtime::Error) -> (Failure, String) {
    match error.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => (
            Failure::CpuLimit,
            "the guest exceeded its CPU time limit".to_string(),
        ),
        Some(trap) => (
            Failure::Exception,
            format!("the guest trapped: {trap}\n{error:?}"),
        ),
        None => (Failure::Exception, format!("the guest failed: {error:#}")),
    }
}
