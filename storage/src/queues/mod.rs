//! Queues: messages sent to a named queue, kept until a consumer
//! acknowledges them, with Cloudflare's size limits, delays, retries and
//! dead-letter moves, over a [`QueueBackend`]: SQLite in the state
//! directory (`sqlite`), or a PostgreSQL database several hosts share.
//!
//! A message is committed before `send` returns. A batch taken for
//! delivery is leased, not removed: only an acknowledgement removes a
//! message, so a message in flight when its host died is delivered again
//! (at least once): at once where the host owns its queues (SQLite clears
//! leases as it opens), when the lease ends where hosts share them.

mod limits;
mod sqlite;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::Notify;

pub use limits::{
    MAX_BATCH_BYTES, MAX_BATCH_MESSAGES, MAX_DELAY_SECONDS, MAX_MESSAGE_BYTES, QueueError,
    validate_batch, validate_delay,
};

/// How long a delivered batch stays leased before its messages may be
/// taken again (a consumer runs for at most 15 minutes).
pub(crate) const LEASE_MS: i64 = 15 * 60 * 1000;

/// A message on its way in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub body: Vec<u8>,
    /// `json`, `text`, `bytes` or `v8`.
    pub content_type: String,
    pub delay_seconds: u32,
}

/// A message as a consumer gets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Where the store keeps it: what `ack`, `retry` and `move_to` take.
    pub seq: i64,
    pub id: String,
    /// When it was sent, in milliseconds since the epoch.
    pub timestamp: i64,
    /// Deliveries so far, this one included.
    pub attempts: u32,
    pub content_type: String,
    pub body: Vec<u8>,
}

/// A queue's backlog, as `send` reports it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Backlog {
    pub backlog_count: u64,
    pub backlog_bytes: u64,
    /// Milliseconds since the epoch; 0 when the queue is empty.
    pub oldest_message_timestamp: i64,
}

/// What a consumer could deliver now: how many messages are visible, and
/// since when the oldest has been; or, with none visible, when the next
/// delayed one will be.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Readiness {
    pub visible: u64,
    pub visible_since: Option<i64>,
    pub next_visible: Option<i64>,
}

/// Raw storage for queues: messages by queue, in the order they were sent,
/// with their delivery state. Limits and wake-ups are [`QueueStore`]'s
/// business; a backend stores, leases and counts.
pub trait QueueBackend: Send + Sync {
    /// Adds `messages` to `queue`, sent at `now`, all or none, durably;
    /// the queue's backlog after.
    fn send(&self, queue: &str, messages: &[Outgoing], now: i64) -> Result<Backlog, QueueError>;

    /// The backlog of `queue`.
    fn backlog(&self, queue: &str) -> Result<Backlog, QueueError>;

    /// What a consumer of `queue` could take at `now`, counting visible
    /// messages up to `enough`.
    fn readiness(&self, queue: &str, now: i64, enough: usize) -> Result<Readiness, QueueError>;

    /// Leases up to `max` messages of `queue` visible at `now`, oldest
    /// first, until `leased_until`, counting this delivery in their
    /// attempts; no message is leased to two takers at once.
    fn take(
        &self,
        queue: &str,
        max: usize,
        now: i64,
        leased_until: i64,
    ) -> Result<Vec<Message>, QueueError>;

    /// Removes messages (by [`Message::seq`]).
    fn ack(&self, seqs: &[i64]) -> Result<(), QueueError>;

    /// Ends the leases of messages and makes them visible at `at`.
    fn retry(&self, seqs: &[i64], at: i64) -> Result<(), QueueError>;

    /// Moves messages of `from` to `to` as new there (no attempts,
    /// visible at `now`), keeping their ids and timestamps.
    fn move_to(&self, seqs: &[i64], from: &str, to: &str, now: i64) -> Result<(), QueueError>;

    /// How often a consumer should look for messages that other hosts
    /// sent (it is woken for this host's own); None where no other host
    /// sends.
    fn poll(&self) -> Option<Duration> {
        None
    }

    /// How a networked backend is doing; None for one in this host.
    fn health(&self) -> Option<crate::BackendHealth> {
        None
    }
}

/// Every queue of one state directory (or of memory, or of a shared
/// database).
#[derive(Clone)]
pub struct QueueStore {
    backend: Arc<dyn QueueBackend>,
    /// Woken when a queue gets a message, by queue name.
    wakers: Arc<Mutex<HashMap<String, Arc<Notify>>>>,
}

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl QueueStore {
    /// The queues kept in `<dir>/queues.sqlite`; messages leased by a
    /// host that is gone are free again.
    pub fn open(dir: &Path) -> Result<Self, QueueError> {
        Ok(Self::on(Arc::new(sqlite::SqliteQueues::open(dir)?)))
    }

    /// Queues that live in memory only.
    pub fn memory() -> Result<Self, QueueError> {
        Ok(Self::on(Arc::new(sqlite::SqliteQueues::memory()?)))
    }

    pub(crate) fn on(backend: Arc<dyn QueueBackend>) -> Self {
        Self {
            backend,
            wakers: Arc::default(),
        }
    }

    /// What wakes a consumer of `queue` when this host sends it a message.
    pub fn waker(&self, queue: &str) -> Arc<Notify> {
        self.wakers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(queue.to_string())
            .or_default()
            .clone()
    }

    /// How often a consumer looks for messages other hosts sent; None
    /// where the queues are this host's alone.
    pub fn poll(&self) -> Option<Duration> {
        self.backend.poll()
    }

    /// Adds `messages` to `queue`, all or none, once they pass the limits;
    /// returns the queue's backlog after.
    pub fn send(&self, queue: &str, messages: &[Outgoing]) -> Result<Backlog, QueueError> {
        validate_batch(messages)?;
        let backlog = self.backend.send(queue, messages, now_ms())?;
        self.waker(queue).notify_waiters();
        Ok(backlog)
    }

    /// How the backend is doing, where it is a networked one.
    pub fn health(&self) -> Option<crate::BackendHealth> {
        self.backend.health()
    }

    /// The backlog of `queue`.
    pub fn backlog(&self, queue: &str) -> Result<Backlog, QueueError> {
        self.backend.backlog(queue)
    }

    /// What a consumer of `queue` could take at `now`, counting visible
    /// messages up to `enough` (a full batch).
    pub fn readiness(&self, queue: &str, now: i64, enough: usize) -> Result<Readiness, QueueError> {
        self.backend.readiness(queue, now, enough)
    }

    /// Leases up to `max` visible messages of `queue`, oldest first, and
    /// counts this delivery in their attempts.
    pub fn take(&self, queue: &str, max: usize, now: i64) -> Result<Vec<Message>, QueueError> {
        self.backend.take(queue, max, now, now + LEASE_MS)
    }

    /// Removes acknowledged messages (by [`Message::seq`]).
    pub fn ack(&self, seqs: &[i64]) -> Result<(), QueueError> {
        self.backend.ack(seqs)
    }

    /// Makes messages visible again after `delay_seconds`.
    pub fn retry(&self, seqs: &[i64], delay_seconds: u32) -> Result<(), QueueError> {
        self.backend
            .retry(seqs, now_ms() + i64::from(delay_seconds) * 1000)
    }

    /// Moves messages of queue `from` to the queue `to`, as new there (no
    /// attempts), keeping their ids and timestamps.
    pub fn move_to(&self, seqs: &[i64], from: &str, to: &str) -> Result<(), QueueError> {
        self.backend.move_to(seqs, from, to, now_ms())?;
        self.waker(to).notify_waiters();
        Ok(())
    }
}
