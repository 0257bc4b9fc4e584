//! The producer's ops (`queue.js`): `op_queue_send`, behind `send` and
//! `sendBatch`, and `op_queue_metrics`. The bodies arrive serialised, end
//! to end in one buffer; the store checks Cloudflare's limits and commits
//! them off the isolate's thread.

use std::cell::RefCell;
use std::rc::Rc;

use deno_core::{JsBuffer, OpState, op2};
use deno_error::JsErrorBox;
use isola_storage::queues::{Backlog, Outgoing, QueueError, validate_delay};

use super::Producer;
use crate::binding::WorkerBindings;

/// Sends the messages laid end to end in `bodies`, each described by
/// `[content type, length, delay in seconds or null]` (null: the
/// producer's delivery delay). Returns the queue's backlog.
#[op2]
#[serde]
pub async fn op_queue_send(
    state: Rc<RefCell<OpState>>,
    #[string] binding: String,
    #[buffer] bodies: JsBuffer,
    #[serde] messages: Vec<(String, usize, Option<f64>)>,
) -> Result<Backlog, JsErrorBox> {
    let producer: Producer = WorkerBindings::bound(&state, &binding, "queue")?;
    let mut outgoing = Vec::with_capacity(messages.len());
    let mut at = 0;
    for (content_type, length, delay) in messages {
        let body = bodies
            .get(at..at + length)
            .ok_or_else(|| JsErrorBox::type_error("message lengths do not match their bodies"))?
            .to_vec();
        at += length;
        let delay_seconds = match delay {
            Some(delay) => validate_delay(delay).map_err(|e| JsErrorBox::generic(e.to_string()))?,
            None => producer.delivery_delay,
        };
        outgoing.push(Outgoing {
            body,
            content_type,
            delay_seconds,
        });
    }
    blocking(move || producer.store.send(&producer.queue, &outgoing)).await
}

/// The backlog of the producer's queue.
#[op2]
#[serde]
pub async fn op_queue_metrics(
    state: Rc<RefCell<OpState>>,
    #[string] binding: String,
) -> Result<Backlog, JsErrorBox> {
    let producer: Producer = WorkerBindings::bound(&state, &binding, "queue")?;
    blocking(move || producer.store.backlog(&producer.queue)).await
}

/// Runs the store's `work` on tokio's blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, QueueError> + Send + 'static,
) -> Result<T, JsErrorBox> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| JsErrorBox::generic(e.to_string()))?
        .map_err(|e| JsErrorBox::generic(e.to_string()))
}

deno_core::extension!(
    isola_queues,
    deps = [isola_global_scope],
    ops = [op_queue_send, op_queue_metrics],
    esm_entry_point = "ext:isola_queues/queue.js",
    esm = [dir "src/queues", "queue.js"],
);
