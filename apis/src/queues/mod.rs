//! Queues as bindings: `[[queues.producers]]` → `env.JOBS`, a queue's
//! producer (`send`, `sendBatch`), and `[[queues.consumers]]`, which make a
//! Worker's `queue(batch, env, ctx)` handler receive a queue's messages.
//!
//! - `queue.js`: the producer (workerd's content types and errors) and
//!   the consumer's `MessageBatch` and `Message`, with workerd's rules for
//!   calls to `ack`/`retry` after one another;
//! - [`ops`] holds `op_queue_send`;
//! - the store: [`isola_storage::queues`]; the host's consumer loop, which
//!   batches, delivers, retries and moves to dead-letter queues, is
//!   `runtime/src/host/queues.rs`.
//!
//! Black-box tests: `tests.rs` beside this file.

mod ops;

use std::path::Path;
use std::sync::Arc;

use isola_storage::queues::{QueueStore, validate_delay};
use serde::Deserialize;

use crate::binding::{BannerRow, Binding, BindingKind, JsBinding, Prepared, entries};
use crate::stores::{SharedStorage, Store, Stores};

/// The `queues` kind: its producers are bindings; its consumers are read
/// by [`consumers`].
pub struct Queues;

/// A producer binding (`[[queues.producers]]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducerBinding {
    pub binding: String,
    pub queue: String,
    /// Seconds every message waits unless it says otherwise.
    pub delivery_delay: u32,
}

/// A queue's producer, opened: what `op_queue_send` writes to.
#[derive(Clone)]
pub struct Producer {
    pub store: QueueStore,
    pub queue: String,
    pub delivery_delay: u32,
}

/// A `[[queues.consumers]]` entry, checked, with Cloudflare's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Consumer {
    pub queue: String,
    pub max_batch_size: usize,
    /// Seconds to wait for a full batch.
    pub max_batch_timeout: f64,
    pub max_retries: u32,
    pub dead_letter_queue: Option<String>,
    /// Seconds before a retried message is delivered again.
    pub retry_delay: u32,
    /// How many batches may be in delivery at once.
    pub max_concurrency: usize,
}

/// Batches in delivery at once when `max_concurrency` is not set: the
/// consumer scales up to this many while full batches wait, as Cloudflare
/// scales consumers with the backlog.
pub const DEFAULT_CONCURRENCY: usize = 10;

#[derive(Deserialize, Default)]
struct RawQueues {
    #[serde(default)]
    producers: Vec<RawProducer>,
    #[serde(default)]
    consumers: Vec<RawConsumer>,
}

#[derive(Deserialize)]
struct RawProducer {
    binding: String,
    queue: String,
    delivery_delay: Option<f64>,
    #[allow(
        dead_code,
        reason = "accepted as wrangler accepts it; queues here are local"
    )]
    remote: Option<bool>,
}

#[derive(Deserialize)]
struct RawConsumer {
    queue: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    max_batch_size: Option<usize>,
    max_batch_timeout: Option<f64>,
    max_retries: Option<u32>,
    dead_letter_queue: Option<String>,
    retry_delay: Option<f64>,
    max_concurrency: Option<usize>,
    #[allow(
        dead_code,
        reason = "accepted as wrangler accepts it; for pull consumers only"
    )]
    visibility_timeout_ms: Option<f64>,
}

fn read(value: serde_json::Value) -> Result<RawQueues, String> {
    let mut tables: Vec<RawQueues> = entries("queues", serde_json::Value::Array(vec![value]))?;
    Ok(tables.pop().unwrap_or_default())
}

/// The consumers a Worker's `queues` table declares, checked.
pub fn consumers(value: Option<&serde_json::Value>) -> Result<Vec<Consumer>, String> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let raw = read(value.clone())?;
    raw.consumers
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let at = format!("`queues.consumers[{i}]`");
            if c.kind.as_deref().is_some_and(|kind| kind != "worker") {
                return Err(format!(
                    "{at}.type has an invalid value; only \"worker\" consumers can be configured"
                ));
            }
            let max_batch_size = c.max_batch_size.unwrap_or(10);
            if !(1..=100).contains(&max_batch_size) {
                return Err(format!("{at}.max_batch_size must be from 1 to 100"));
            }
            let max_batch_timeout = c.max_batch_timeout.unwrap_or(5.0);
            if !(0.0..=60.0).contains(&max_batch_timeout) {
                return Err(format!(
                    "{at}.max_batch_timeout must be from 0 to 60 seconds"
                ));
            }
            let max_retries = c.max_retries.unwrap_or(3);
            if max_retries > 100 {
                return Err(format!("{at}.max_retries must be from 0 to 100"));
            }
            let retry_delay = validate_delay(c.retry_delay.unwrap_or(0.0))
                .map_err(|e| format!("{at}.retry_delay: {e}"))?;
            if c.dead_letter_queue.as_deref() == Some(c.queue.as_str()) {
                return Err(format!(
                    "Dead letter queue for queue \"{}\" cannot be itself",
                    c.queue
                ));
            }
            let max_concurrency = c.max_concurrency.unwrap_or(DEFAULT_CONCURRENCY);
            if !(1..=250).contains(&max_concurrency) {
                return Err(format!("{at}.max_concurrency must be from 1 to 250"));
            }
            Ok(Consumer {
                max_concurrency,
                queue: c.queue,
                max_batch_size,
                max_batch_timeout,
                max_retries,
                dead_letter_queue: c.dead_letter_queue,
                retry_delay,
            })
        })
        .collect()
}

impl BindingKind for Queues {
    fn key(&self) -> &'static str {
        "queues"
    }

    fn configure(
        &self,
        value: serde_json::Value,
        _dir: &Path,
    ) -> Result<Vec<Arc<dyn Binding>>, String> {
        read(value)?
            .producers
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let delivery_delay = validate_delay(p.delivery_delay.unwrap_or(0.0))
                    .map_err(|e| format!("`queues.producers[{i}]`.delivery_delay: {e}"))?;
                Ok(Arc::new(ProducerBinding {
                    binding: p.binding,
                    queue: p.queue,
                    delivery_delay,
                }) as Arc<dyn Binding>)
            })
            .collect()
    }

    fn extension(&self) -> deno_core::Extension {
        ops::isola_queues::init()
    }
}

impl Binding for ProducerBinding {
    fn binding(&self) -> &str {
        &self.binding
    }

    fn describe(&self) -> JsBinding {
        JsBinding::new("queue", ())
    }

    fn banner(&self) -> BannerRow {
        BannerRow {
            resource: self.queue.clone(),
            kind: "Queue",
        }
    }

    fn prepare(&self, stores: &Stores) -> Result<Option<Prepared>, String> {
        Ok(Some(Arc::new(Producer {
            store: stores.get::<QueueStore>()?,
            queue: self.queue.clone(),
            delivery_delay: self.delivery_delay,
        })))
    }
}

impl Store for QueueStore {
    fn open(dir: Option<&Path>, shared: &SharedStorage) -> Result<Self, String> {
        match (&shared.queues, dir) {
            (Some(url), _) => QueueStore::postgres(url),
            (None, Some(dir)) => QueueStore::open(dir),
            (None, None) => QueueStore::memory(),
        }
        .map_err(|e| e.to_string())
    }
}
