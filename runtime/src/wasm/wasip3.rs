//! WASIp3 guests: a request to a component that exports
//! `wasi:http/handler@0.3.0`, as spin-sdk 6 and 7 build them.
//!
//! The guest returns its response before its body is written: a task of
//! its own may go on writing, and the host reads the body's stream on the
//! store's event loop. So the instance runs until the body has been read
//! to its end or dropped (the client left), and then while the guest
//! finishes what it left running, for at most [`AFTER_BODY`]; and a body
//! the instance could not finish (it trapped or ran out of CPU) ends with
//! an error, so that the client sees a cut answer, not a short one.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use tokio::sync::oneshot;
use wasmtime::Store;
use wasmtime_wasi_http::p3::{self, bindings::ServicePre};
use wasmtime_wasi_http::{WasiBody, WasiHttpView};

use super::GuestState;
use super::serve::{Answered, answered, why};

/// How long an instance may go on with work it left running once its
/// response body has been read (Cloudflare gives `waitUntil` 30 s).
const AFTER_BODY: Duration = Duration::from_secs(30);

/// Runs `request` in the instance of `pre` in `store`; `name` is the
/// guest's, for the log line of a failure after its response began.
pub(super) async fn run(
    mut store: Store<GuestState>,
    pre: ServicePre<GuestState>,
    request: http::Request<WasiBody>,
    name: &str,
) -> Answered {
    let name = name.to_string();
    let (sender, receiver) = oneshot::channel();
    let responded = Arc::new(AtomicBool::new(false));
    let task = tokio::spawn(async move {
        let in_instance = responded.clone();
        let outcome = async {
            let service = pre.instantiate_async(&mut store).await?;
            let (request, _) = p3::Request::from_http(store.data_mut().http().hooks, request);
            store
                .run_concurrent(async move |accessor| {
                    let response = match service.handle(accessor, request).await? {
                        Ok(response) => response,
                        Err(code) => {
                            let _ = sender.send(Err(format!("{code:?}")));
                            return Ok(());
                        }
                    };
                    let response =
                        accessor.with(|store| response.into_http(store, async { Ok(()) }))?;
                    let (read, body_read) = oneshot::channel();
                    let (whole, body_whole) = oneshot::channel();
                    let response = response.map(|body| {
                        Whole {
                            body,
                            read: Some(read),
                            whole: Some(body_whole),
                        }
                        .boxed_unsync()
                    });
                    in_instance.store(true, Ordering::Relaxed);
                    let _ = sender.send(Ok(response));
                    let _ = body_read.await;
                    let _ = whole.send(());
                    // What the guest left running (a write after its
                    // answer, say) finishes, within its CPU limit.
                    let idle = std::future::poll_fn(|cx| accessor.poll_no_interesting_tasks(cx));
                    let _ = tokio::time::timeout(AFTER_BODY, idle).await;
                    wasmtime::Result::Ok(())
                })
                .await?
        }
        .await;
        // A failure before the response is the answer, logged there; one
        // after it is nobody's, so it is logged here.
        if let Err(error) = &outcome
            && responded.load(Ordering::Relaxed)
        {
            let (_, detail) = why(error);
            tracing::error!(target: "worker", "[{name}] {detail}");
        }
        outcome
    });
    answered(receiver, task).await
}

/// A guest's response body that ends cleanly only if its instance was
/// still running when the guest's stream ended: one that ends because the
/// instance stopped (a trap, its CPU limit, a panic) ends with an error.
struct Whole {
    body: WasiBody,
    /// Dropped once the body has been read to its end (or dropped with
    /// it).
    read: Option<oneshot::Sender<()>>,
    /// Sent by the instance once it has seen `read` dropped; closed unsent
    /// if the instance stopped first.
    whole: Option<oneshot::Receiver<()>>,
}

impl Body for Whole {
    type Data = Bytes;
    type Error = wasmtime_wasi_http::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if this.read.is_some() {
            match ready!(Pin::new(&mut this.body).poll_frame(cx)) {
                Some(frame) => return Poll::Ready(Some(frame)),
                None => drop(this.read.take()),
            }
        }
        let Some(whole) = this.whole.as_mut() else {
            return Poll::Ready(None);
        };
        let whole = ready!(Pin::new(whole).poll(cx)).is_ok();
        this.whole = None;
        Poll::Ready((!whole).then(|| {
            Err(wasmtime_wasi_http::Error::InternalError(Some(
                "the guest's instance stopped before it finished the body".into(),
            )))
        }))
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
