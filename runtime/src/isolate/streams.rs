//! Bodies crossing between the host and JS as streams: a request body read
//! by the Worker, and a response body the host reads from the Worker.

use std::rc::Rc;
use std::sync::Arc;

use bytes::{Buf, Bytes};
use deno_core::{AsyncRefCell, AsyncResult, BufView, RcRef, Resource};
use deno_error::JsErrorBox;
use http_body_util::BodyExt;
use tokio::sync::mpsc;

use crate::exchange::{BodyError, RequestBody};

/// Chunk size when the host reads a streamed response body.
const READ_CHUNK: usize = 64 * 1024;

/// A request body as a deno_core resource, so that `request.body` is a
/// resource-backed ReadableStream and a proxied body never enters JS.
pub struct RequestBodyResource {
    state: AsyncRefCell<BodyReader>,
}

struct BodyReader {
    body: RequestBody,
    pending: Bytes,
}

impl RequestBodyResource {
    pub fn new(body: RequestBody) -> Self {
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

/// Reads `resource` (a response body) chunk by chunk into `sender`, until
/// it ends, fails, passes `max_bytes`, or the client goes away. A failure
/// is logged under the Worker's name: the client only sees a cut body.
pub async fn pump_response_body(
    worker: Arc<str>,
    resource: Rc<dyn Resource>,
    sender: mpsc::Sender<Result<Bytes, BodyError>>,
    max_bytes: Option<u64>,
) {
    let mut sent: u64 = 0;
    loop {
        let chunk = match resource.clone().read(READ_CHUNK).await {
            Ok(chunk) if chunk.is_empty() => break,
            Ok(mut chunk) => chunk.copy_to_bytes(chunk.remaining()),
            Err(error) => {
                tracing::error!(target: "worker", "[{worker}] Uncaught (in response body) {error}");
                let _ = sender.send(Err(error.to_string().into())).await;
                break;
            }
        };
        sent += chunk.len() as u64;
        if max_bytes.is_some_and(|max| sent > max) {
            tracing::error!("the Worker's response body passed its size limit; it was cut off");
            let _ = sender
                .send(Err("response body over the size limit".into()))
                .await;
            break;
        }
        if sender.send(Ok(chunk)).await.is_err() {
            break; // the client went away
        }
    }
    resource.close();
}
