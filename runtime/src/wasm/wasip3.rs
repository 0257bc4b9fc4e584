//! WASIp3 guests: a request to a component that exports
//! `wasi:http/handler@0.3.0`, as spin-sdk 6 and 7 build them.
//!
//! The guest returns its response before its body is written: a task of
//! its own may go on writing, and the host reads the body's stream on the
//! store's event loop. So the instance runs until the body has been read
//! to its end or dropped (the client left); and a body the instance could
//! not finish (it trapped or ran out of CPU) ends with an error, so that
//! the client sees a cut answer, not a short one.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use tokio::sync::oneshot;
use wasmtime::Store;
use wasmtime_wasi_http::p3::{self, bindings::ServicePre};
use wasmtime_wasi_http::{WasiBody, WasiHttpView};

use super::GuestState;
use super::serve::{Answered, answered, why};

/// Runs `request` in the instance of `pre` in `store`; `name` is the
/// guest's, for the log line of a body it could not finish.
pub(super) async fn run(
    mut store: Store<GuestState>,
    pre: ServicePre<GuestState>,
    request: http::Request<WasiBody>,
    name: &str,
) -> Answered {
    let name = name.to_string();
    let (sender, receiver) = oneshot::channel();
    let (ended, instance_end) = oneshot::channel();
    let task = tokio::spawn(async move {
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
                    let response = response.map(|body| {
                        Whole {
                            body,
                            read: Some(read),
                            instance_end: Some(instance_end),
                        }
                        .boxed_unsync()
                    });
                    let _ = sender.send(Ok(response));
                    let _ = body_read.await;
                    wasmtime::Result::Ok(())
                })
                .await?
        }
        .await;
        // A failure after the response was given is logged here, since
        // it is nobody's answer; one before it is the answer, logged there.
        if let Err(error) = &outcome {
            let (_, detail) = why(error);
            if ended.send(detail.clone()).is_ok() {
                tracing::error!(target: "worker", "[{name}] {detail}");
            }
        }
        outcome
    });
    answered(receiver.await, task).await
}

/// A guest's response body that ends cleanly only if its instance did.
struct Whole {
    body: WasiBody,
    /// Dropped once the body has been read to its end (or dropped with
    /// it): the instance may stop.
    read: Option<oneshot::Sender<()>>,
    /// Why the instance failed; closed unsent if it did not.
    instance_end: Option<oneshot::Receiver<String>>,
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
        let Some(instance_end) = this.instance_end.as_mut() else {
            return Poll::Ready(None);
        };
        let end = ready!(Pin::new(instance_end).poll(cx));
        this.instance_end = None;
        Poll::Ready(
            end.ok()
                .map(|why| Err(wasmtime_wasi_http::Error::InternalError(Some(why)))),
        )
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
