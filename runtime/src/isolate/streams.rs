//! A response body the host reads from the Worker, chunk by chunk.

use std::rc::Rc;
use std::sync::Arc;

use bytes::{Buf, Bytes};
use deno_core::Resource;
use isola_apis::body::BodyError;
use tokio::sync::mpsc;

/// Chunk size when the host reads a streamed response body.
const READ_CHUNK: usize = 64 * 1024;

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
