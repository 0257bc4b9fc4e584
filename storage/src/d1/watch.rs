//! Bounds on each D1 call (`run`, `batch`, `exec`), so that a Worker's SQL
//! can neither run forever nor make the host allocate without end. A
//! database has one connection, shared by every Worker bound to it: an
//! endless query would hold it, and its write lock, for everyone.
//!
//! - Time: a call may run for [`Limits::timeout`] (30 s, D1's limit),
//!   counted from when it holds the connection. SQLite's progress handler
//!   polls the deadline every [`PROGRESS_OPS`] VM steps and interrupts the
//!   statement; the call then fails, its transaction is rolled back, and the
//!   connection is free for the next call.
//! - Size: the values a call reads are counted (text and BLOB bytes, 8 for
//!   any other value) and the call fails before it keeps the value that
//!   would take it past [`Limits::max_result_bytes`].
//! - Cancellation: a [`CancelToken`] given to a database handle
//!   (`D1Database::set_cancel`) stops that handle's calls the same way, from
//!   any thread. `sqlite3_interrupt` is not used: it stops whatever the
//!   shared connection runs at that moment, which may be another request's
//!   statement by then.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use rusqlite::types::ValueRef;

use super::D1Error;

/// How many SQLite VM steps pass between two looks at the deadline and the
/// cancel token: often enough to stop within microseconds, rarely enough to
/// cost nothing measurable.
pub(super) const PROGRESS_OPS: i32 = 1000;

/// How long one call may run, as on D1.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How many bytes of values one call may read (a Worker has 128 MB).
pub const DEFAULT_RESULT_LIMIT: u64 = 100 * 1024 * 1024;

/// What one call may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How long the call may run once it holds the database.
    pub timeout: Duration,
    /// How many bytes of values it may read, all statements together:
    /// text and BLOB lengths, 8 for any other value.
    pub max_result_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_TIMEOUT,
            max_result_bytes: DEFAULT_RESULT_LIMIT,
        }
    }
}

impl Limits {
    /// No bounds, for the host's own reads of a whole database (export).
    pub(super) fn unbounded() -> Self {
        Self {
            timeout: Duration::MAX,
            max_result_bytes: u64::MAX,
        }
    }
}

/// Stops, from any thread, the calls made through the database handles it
/// was given to. Once cancelled it stays so: give each request its own.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }

    /// Stops the running call (within [`PROGRESS_OPS`] VM steps) and fails
    /// every later one.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Why a call was stopped.
#[derive(Debug, Clone, Copy)]
enum Stop {
    Timeout(Duration),
    Cancelled,
}

impl Stop {
    fn error(self) -> D1Error {
        match self {
            Self::Timeout(limit) => D1Error::Timeout(limit),
            Self::Cancelled => D1Error::Cancelled,
        }
    }
}

/// The call being watched.
struct Armed {
    deadline: Option<Instant>,
    timeout: Duration,
    cancel: Option<CancelToken>,
    stopped: Option<Stop>,
}

impl Armed {
    /// Whether the call must stop; once it must, it stays stopped.
    fn poll(&mut self) -> Option<Stop> {
        if self.stopped.is_none() {
            if self.cancel.as_ref().is_some_and(CancelToken::is_cancelled) {
                self.stopped = Some(Stop::Cancelled);
            } else if self.deadline.is_some_and(|at| Instant::now() >= at) {
                self.stopped = Some(Stop::Timeout(self.timeout));
            }
        }
        self.stopped
    }
}

type Slot = Arc<Mutex<Option<Armed>>>;

fn lock(slot: &Slot) -> MutexGuard<'_, Option<Armed>> {
    slot.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The progress handler of one connection, and the call it watches (none
/// between calls: the host's own statements are never stopped).
pub(super) struct Watchdog(Slot);

impl Watchdog {
    pub(super) fn install(conn: &mut Connection) -> rusqlite::Result<Self> {
        let slot: Slot = Arc::default();
        let polled = Arc::clone(&slot);
        conn.progress_handler(
            PROGRESS_OPS,
            Some(move || lock(&polled).as_mut().is_some_and(|a| a.poll().is_some())),
        )?;
        Ok(Self(slot))
    }

    /// Watches one call from now on. Start it inside the call's
    /// transaction, so that it is dropped (and watches nothing) before the
    /// transaction commits or rolls back.
    pub(super) fn watch(&self, limits: &Limits, cancel: Option<&CancelToken>) -> Watch<'_> {
        *lock(&self.0) = Some(Armed {
            deadline: Instant::now().checked_add(limits.timeout),
            timeout: limits.timeout,
            cancel: cancel.cloned(),
            stopped: None,
        });
        Watch {
            slot: &self.0,
            left: limits.max_result_bytes,
            limit: limits.max_result_bytes,
        }
    }
}

/// One call being watched, and what it may still read.
pub(super) struct Watch<'a> {
    slot: &'a Slot,
    left: u64,
    limit: u64,
}

impl Watch<'_> {
    /// Fails if the call is to stop (for between statements, which the
    /// progress handler does not see).
    pub(super) fn check(&self) -> Result<(), D1Error> {
        match lock(self.slot).as_mut().and_then(Armed::poll) {
            Some(stop) => Err(stop.error()),
            None => Ok(()),
        }
    }

    /// Counts `value` against the result limit, before it is copied.
    pub(super) fn take(&mut self, value: &ValueRef<'_>) -> Result<(), D1Error> {
        let bytes = match value {
            ValueRef::Text(bytes) | ValueRef::Blob(bytes) => bytes.len() as u64,
            _ => 8,
        };
        self.left = self
            .left
            .checked_sub(bytes)
            .ok_or(D1Error::ResultTooLarge(self.limit))?;
        Ok(())
    }

    /// Stops watching; the error of the call is why it was stopped, if it
    /// was (whatever SQLite said, and even if it went on to succeed: the
    /// host's own statements may have been the ones interrupted).
    pub(super) fn finish<T>(self, outcome: Result<T, D1Error>) -> Result<T, D1Error> {
        let stopped = lock(self.slot).take().and_then(|armed| armed.stopped);
        match stopped {
            Some(stop) => Err(stop.error()),
            None => outcome,
        }
    }
}

impl Drop for Watch<'_> {
    fn drop(&mut self) {
        lock(self.slot).take();
    }
}

#[cfg(test)]
mod tests;
