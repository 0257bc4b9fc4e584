//! Queue consumers: for each `[[queues.consumers]]` entry of a Worker's
//! current version, a loop that waits for a full batch or for the batch
//! timeout, delivers the batch to the Worker's `queue` handler, and then
//! acknowledges, retries or dead-letters each message by what the handler
//! decided. A message nobody decided on is acknowledged when the handler
//! succeeded and retried when it threw. While full batches wait, up to
//! `max_concurrency` are in delivery at once; a partial batch goes only
//! when none is.

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use isola_apis::queues::Consumer;
use isola_storage::queues::{Message, QueueError, QueueStore, now_ms, validate_delay};
use serde::Deserialize;

use super::Host;
use super::slot::WorkerSlot;

/// How long a consumer sleeps with nothing pending (a message this host
/// sends meanwhile wakes it).
const IDLE: Duration = Duration::from_secs(3600);

/// What the `queue` handler reported (`onQueue` in `60_worker.js`).
#[derive(Debug, Deserialize)]
pub struct Report {
    pub ok: bool,
    /// `[id, "ack" | "retry" | null, retry delay in seconds or null]`.
    pub decisions: Vec<(String, Option<String>, Option<f64>)>,
}

/// Runs the consumers of `slot`'s Worker for as long as the host lives,
/// following its versions.
pub async fn run(host: Weak<Host>, slot: Arc<WorkerSlot>, store: QueueStore) {
    loop {
        let swapped = slot.swapped();
        let consumers = slot
            .version()
            .map(|version| version.config.consumers.clone())
            .unwrap_or_default();
        if consumers.is_empty() {
            swapped.await;
            continue;
        }
        drop(swapped);
        let loops = consumers
            .into_iter()
            .map(|consumer| consume(host.clone(), slot.clone(), store.clone(), consumer));
        futures::future::join_all(loops).await;
        if host.strong_count() == 0 {
            return;
        }
    }
}

/// Runs the store's blocking `work` off the runtime's threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, QueueError> + Send + 'static,
) -> Result<T, QueueError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| QueueError::Storage(e.to_string()))?
}

/// Delivers `consumer`'s queue until the Worker is swapped or the host
/// goes; deliveries under way then finish first.
async fn consume(host: Weak<Host>, slot: Arc<WorkerSlot>, store: QueueStore, consumer: Consumer) {
    let swapped = slot.swapped();
    tokio::pin!(swapped);
    swapped.as_mut().enable();
    let waker = store.waker(&consumer.queue);
    let timeout_ms = (consumer.max_batch_timeout * 1000.0) as i64;
    let mut deliveries = tokio::task::JoinSet::new();
    loop {
        let arrived = waker.notified();
        tokio::pin!(arrived);
        arrived.as_mut().enable();
        let now = now_ms();
        let (queue, reader, enough) = (
            consumer.queue.clone(),
            store.clone(),
            consumer.max_batch_size,
        );
        let ready = match blocking(move || reader.readiness(&queue, now, enough)).await {
            Ok(ready) => ready,
            Err(error) => {
                tracing::error!("queue {}: {error}", consumer.queue);
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let full = ready.visible >= consumer.max_batch_size as u64;
        let due = if full {
            Some(now)
        } else if let Some(since) = ready.visible_since {
            Some(since + timeout_ms)
        } else {
            ready.next_visible
        };
        let room = deliveries.len() < consumer.max_concurrency;
        if room && due.is_some_and(|due| due <= now) && (full || deliveries.is_empty()) {
            let Some(host) = host.upgrade() else {
                break;
            };
            // Taken here, before the next look at the queue, so that look
            // does not count these messages as still waiting.
            let (queue, taker, max) = (
                consumer.queue.clone(),
                store.clone(),
                consumer.max_batch_size,
            );
            match blocking(move || taker.take(&queue, max, now_ms())).await {
                Ok(messages) if messages.is_empty() => {}
                Ok(messages) => {
                    let delivery = deliver(
                        host,
                        slot.clone(),
                        store.clone(),
                        consumer.clone(),
                        messages,
                    );
                    deliveries.spawn(delivery);
                }
                Err(error) => {
                    tracing::error!("queue {}: {error}", consumer.queue);
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
            continue;
        }
        // With a delivery under way, a partial batch waits for it to end
        // (or for the batch to fill); a full one waits for room.
        let timed = room && (full || deliveries.is_empty());
        let wait = due
            .filter(|_| timed)
            .map_or(IDLE, |due| Duration::from_millis((due - now).max(0) as u64));
        // Messages other hosts send wake nobody here: look again soon.
        let wait = store.poll().map_or(wait, |poll| wait.min(poll));
        tokio::select! {
            () = &mut arrived => {}
            () = tokio::time::sleep(wait) => {}
            Some(_) = deliveries.join_next(), if !deliveries.is_empty() => {}
            () = &mut swapped => break,
        }
    }
    while deliveries.join_next().await.is_some() {}
}

/// What becomes of a message after its delivery.
enum Fate {
    Ack,
    Retry(u32),
    DeadLetter,
    Drop,
}

/// Delivers one batch, taken from the queue, and settles each of its
/// messages.
async fn deliver(
    host: Arc<Host>,
    slot: Arc<WorkerSlot>,
    store: QueueStore,
    consumer: Consumer,
    messages: Vec<Message>,
) {
    let started = Instant::now();
    let report = slot
        .queue(&host.launcher, &consumer.queue, messages.clone())
        .await;
    let (ok, decisions) = match report {
        Ok(report) => (
            report.ok,
            report
                .decisions
                .into_iter()
                .map(|(id, action, delay)| (id, (action, delay)))
                .collect(),
        ),
        Err(failure) => {
            tracing::error!(
                "[{}] queue {}: the handler failed: {}",
                slot.name(),
                consumer.queue,
                failure.name()
            );
            (false, HashMap::new())
        }
    };
    let fates: Vec<(Message, Fate)> = messages
        .into_iter()
        .map(|message| {
            let decision = decisions.get(&message.id);
            let fate = fate(&consumer, &message, ok, decision);
            (message, fate)
        })
        .collect();
    let acked = fates.iter().filter(|(_, f)| matches!(f, Fate::Ack)).count();
    tracing::info!(
        "QUEUE {} {acked}/{} ({}ms)",
        consumer.queue,
        fates.len(),
        started.elapsed().as_millis()
    );
    if let Err(error) = settle(store, &consumer, fates).await {
        tracing::error!("queue {}: {error}", consumer.queue);
    }
}

/// A message's fate, by the handler's decision for it (if any) and
/// whether the handler succeeded.
fn fate(
    consumer: &Consumer,
    message: &Message,
    ok: bool,
    decision: Option<&(Option<String>, Option<f64>)>,
) -> Fate {
    let retry = |delay: Option<f64>| {
        let delay = delay
            .and_then(|d| validate_delay(d).ok())
            .unwrap_or(consumer.retry_delay);
        if message.attempts <= consumer.max_retries {
            Fate::Retry(delay)
        } else if consumer.dead_letter_queue.is_some() {
            Fate::DeadLetter
        } else {
            Fate::Drop
        }
    };
    match decision {
        Some((Some(action), _)) if action == "ack" => Fate::Ack,
        Some((Some(_), delay)) => retry(*delay),
        _ if ok => Fate::Ack,
        _ => retry(None),
    }
}

/// Applies the fates to the store, and logs the messages that leave the
/// queue unacknowledged.
async fn settle(
    store: QueueStore,
    consumer: &Consumer,
    fates: Vec<(Message, Fate)>,
) -> Result<(), QueueError> {
    let queue = consumer.queue.clone();
    let dead_letter = consumer.dead_letter_queue.clone();
    blocking(move || {
        let mut acks = Vec::new();
        let mut retries: HashMap<u32, Vec<i64>> = HashMap::new();
        let mut dead = Vec::new();
        for (message, fate) in fates {
            let attempts = message.attempts;
            let plural = if attempts == 1 { "" } else { "s" };
            match fate {
                Fate::Ack => acks.push(message.seq),
                Fate::Retry(delay) => {
                    tracing::debug!(
                        "Retrying message \"{}\" on queue \"{queue}\"...",
                        message.id
                    );
                    retries.entry(delay).or_default().push(message.seq);
                }
                Fate::DeadLetter => {
                    tracing::warn!(
                        "Moving message \"{}\" on queue \"{queue}\" to dead letter queue \"{}\" \
                         after {attempts} failed attempt{plural}...",
                        message.id,
                        dead_letter.as_deref().unwrap_or_default()
                    );
                    dead.push(message.seq);
                }
                Fate::Drop => {
                    tracing::warn!(
                        "Dropped message \"{}\" on queue \"{queue}\" after {attempts} failed \
                         attempt{plural}!",
                        message.id
                    );
                    acks.push(message.seq);
                }
            }
        }
        store.ack(&acks)?;
        for (delay, ids) in retries {
            store.retry(&ids, delay)?;
        }
        if let Some(to) = dead_letter.filter(|_| !dead.is_empty()) {
            store.move_to(&dead, &queue, &to)?;
        }
        Ok(())
    })
    .await
}

/// Checks that no queue has two consumers among `workers`: `(worker,
/// consumers)`.
pub fn check_consumers<'a>(
    workers: impl IntoIterator<Item = (&'a str, &'a [Consumer])>,
) -> Result<(), String> {
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for (worker, consumers) in workers {
        for consumer in consumers {
            if let Some(first) = seen.insert(&consumer.queue, worker) {
                return Err(format!(
                    "Multiple consumers defined for queue \"{}\": \"{first}\" and \"{worker}\"",
                    consumer.queue
                ));
            }
        }
    }
    Ok(())
}
