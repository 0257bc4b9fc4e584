//! Queues in SQLite, one file per state directory (`queues.sqlite`), or in
//! memory. Writes commit before they return (WAL, `synchronous = NORMAL`:
//! a message survives the process being killed). The host owns its file,
//! so the leases of a host that died are cleared as the file opens, and
//! each queue's backlog is counted in memory as messages come and go.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

use rusqlite::{Connection, OptionalExtension, params};

use super::{Backlog, Message, Outgoing, QueueBackend, QueueError, Readiness};

/// The queues of one file, behind one connection.
pub(super) struct SqliteQueues {
    state: Mutex<State>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    queue TEXT NOT NULL,
    body BLOB NOT NULL,
    size INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    visible_at INTEGER NOT NULL,
    leased_until INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS messages_by_queue ON messages (queue, visible_at);
CREATE INDEX IF NOT EXISTS messages_by_age ON messages (queue, timestamp);
";

/// The connection, and each queue's message count and bytes, kept as
/// messages come and go so that `send` need not count its backlog.
struct State {
    conn: Connection,
    counts: HashMap<String, (u64, u64)>,
}

impl State {
    fn count(&mut self, queue: &str, messages: i64, bytes: i64) {
        let entry = self.counts.entry(queue.to_string()).or_default();
        entry.0 = entry.0.saturating_add_signed(messages);
        entry.1 = entry.1.saturating_add_signed(bytes);
    }

    fn backlog(&self, queue: &str) -> Result<Backlog, QueueError> {
        let (count, bytes) = self.counts.get(queue).copied().unwrap_or_default();
        let oldest: Option<i64> = self
            .conn
            .query_row(
                "SELECT min(timestamp) FROM messages WHERE queue = ?1",
                [queue],
                |r| r.get(0),
            )
            .map_err(storage)?;
        Ok(Backlog {
            backlog_count: count,
            backlog_bytes: bytes,
            oldest_message_timestamp: oldest.unwrap_or(0),
        })
    }
}

fn storage(error: impl std::fmt::Display) -> QueueError {
    QueueError::Storage(error.to_string())
}

impl SqliteQueues {
    /// The queues kept in `<dir>/queues.sqlite`; messages leased by a
    /// host that is gone are free again.
    pub(super) fn open(dir: &Path) -> Result<Self, QueueError> {
        std::fs::create_dir_all(dir).map_err(storage)?;
        let path = dir.join("queues.sqlite");
        let existed = path.exists();
        let conn = Connection::open(&path)
            .map_err(|e| QueueError::Storage(format!("cannot open {}: {e}", path.display())))?;
        if existed {
            crate::integrity::check(&conn)
                .map_err(|e| QueueError::Storage(format!("{}: {e}", path.display())))?;
        }
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(storage)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(storage)?;
        Self::with(conn)
    }

    /// Queues that live in memory only.
    pub(super) fn memory() -> Result<Self, QueueError> {
        Self::with(Connection::open_in_memory().map_err(storage)?)
    }

    fn with(conn: Connection) -> Result<Self, QueueError> {
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(storage)?;
        conn.execute_batch(SCHEMA).map_err(storage)?;
        conn.execute("UPDATE messages SET leased_until = 0", [])
            .map_err(storage)?;
        let counts = {
            let mut statement = conn
                .prepare("SELECT queue, count(*), total(size) FROM messages GROUP BY queue")
                .map_err(storage)?;
            let rows = statement
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        (r.get::<_, i64>(1)? as u64, r.get::<_, f64>(2)? as u64),
                    ))
                })
                .map_err(storage)?;
            rows.collect::<Result<_, _>>().map_err(storage)?
        };
        Ok(Self {
            state: Mutex::new(State { conn, counts }),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl QueueBackend for SqliteQueues {
    fn send(&self, queue: &str, messages: &[Outgoing], now: i64) -> Result<Backlog, QueueError> {
        let mut state = self.state();
        {
            let tx = state.conn.transaction().map_err(storage)?;
            {
                let mut insert = tx
                    .prepare_cached(
                        "INSERT INTO messages (id, queue, body, size, content_type, timestamp, \
                         visible_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    )
                    .map_err(storage)?;
                for message in messages {
                    let id = format!("{:032x}", rand::random::<u128>());
                    let visible_at = now + i64::from(message.delay_seconds) * 1000;
                    insert
                        .execute(params![
                            id,
                            queue,
                            message.body,
                            message.body.len() as i64,
                            message.content_type,
                            now,
                            visible_at
                        ])
                        .map_err(storage)?;
                }
            }
            tx.commit().map_err(storage)?;
        }
        let bytes: usize = messages.iter().map(|m| m.body.len()).sum();
        state.count(queue, messages.len() as i64, bytes as i64);
        state.backlog(queue)
    }

    fn backlog(&self, queue: &str) -> Result<Backlog, QueueError> {
        self.state().backlog(queue)
    }

    fn readiness(&self, queue: &str, now: i64, enough: usize) -> Result<Readiness, QueueError> {
        let state = self.state();
        let conn = &state.conn;
        let (visible, visible_since): (i64, Option<i64>) = conn
            .query_row(
                "SELECT count(*), min(visible_at) FROM (SELECT visible_at FROM messages \
                 WHERE queue = ?1 AND visible_at <= ?2 AND leased_until <= ?2 \
                 ORDER BY visible_at LIMIT ?3)",
                params![queue, now, enough as i64],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(storage)?;
        // Only asked when nothing is visible: then the rows looked at are
        // the delayed ones and the few in flight.
        let next_visible: Option<i64> = if visible > 0 {
            None
        } else {
            conn.query_row(
                "SELECT min(max(visible_at, leased_until)) FROM messages \
                 WHERE queue = ?1 AND (visible_at > ?2 OR leased_until > ?2)",
                params![queue, now],
                |r| r.get(0),
            )
            .optional()
            .map_err(storage)?
            .flatten()
        };
        Ok(Readiness {
            visible: visible as u64,
            visible_since,
            next_visible,
        })
    }

    fn take(
        &self,
        queue: &str,
        max: usize,
        now: i64,
        leased_until: i64,
    ) -> Result<Vec<Message>, QueueError> {
        let mut state = self.state();
        let tx = state.conn.transaction().map_err(storage)?;
        let taken: Vec<Message> = {
            let mut select = tx
                .prepare_cached(
                    "UPDATE messages SET attempts = attempts + 1, leased_until = ?3 \
                     WHERE seq IN (SELECT seq FROM messages WHERE queue = ?1 AND visible_at <= ?2 \
                     AND leased_until <= ?2 ORDER BY visible_at, seq LIMIT ?4) \
                     RETURNING id, timestamp, attempts, content_type, body, seq",
                )
                .map_err(storage)?;
            let rows = select
                .query_map(params![queue, now, leased_until, max as i64], |r| {
                    Ok((
                        r.get::<_, i64>(5)?,
                        Message {
                            seq: r.get(5)?,
                            id: r.get(0)?,
                            timestamp: r.get(1)?,
                            attempts: r.get(2)?,
                            content_type: r.get(3)?,
                            body: r.get(4)?,
                        },
                    ))
                })
                .map_err(storage)?;
            let mut taken: Vec<(i64, Message)> = rows.collect::<Result<_, _>>().map_err(storage)?;
            taken.sort_by_key(|(seq, _)| *seq);
            taken.into_iter().map(|(_, m)| m).collect()
        };
        tx.commit().map_err(storage)?;
        Ok(taken)
    }

    fn ack(&self, seqs: &[i64]) -> Result<(), QueueError> {
        let mut state = self.state();
        let tx = state.conn.transaction().map_err(storage)?;
        let mut removed = Vec::with_capacity(seqs.len());
        {
            let mut delete = tx
                .prepare_cached("DELETE FROM messages WHERE seq = ?1 RETURNING queue, size")
                .map_err(storage)?;
            for seq in seqs {
                let row: Option<(String, i64)> = delete
                    .query_row([seq], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
                    .map_err(storage)?;
                removed.extend(row);
            }
        }
        tx.commit().map_err(storage)?;
        for (queue, size) in removed {
            state.count(&queue, -1, -size);
        }
        Ok(())
    }

    fn retry(&self, seqs: &[i64], at: i64) -> Result<(), QueueError> {
        let mut state = self.state();
        let tx = state.conn.transaction().map_err(storage)?;
        {
            let mut update = tx
                .prepare_cached(
                    "UPDATE messages SET leased_until = 0, visible_at = ?2 WHERE seq = ?1",
                )
                .map_err(storage)?;
            for seq in seqs {
                update.execute(params![seq, at]).map_err(storage)?;
            }
        }
        tx.commit().map_err(storage)
    }

    fn move_to(&self, seqs: &[i64], from: &str, to: &str, now: i64) -> Result<(), QueueError> {
        let mut state = self.state();
        let tx = state.conn.transaction().map_err(storage)?;
        let mut moved = Vec::with_capacity(seqs.len());
        {
            let mut update = tx
                .prepare_cached(
                    "UPDATE messages SET queue = ?2, attempts = 0, leased_until = 0, \
                         visible_at = ?3 WHERE seq = ?1 AND queue = ?4 RETURNING size",
                )
                .map_err(storage)?;
            for seq in seqs {
                let size: Option<i64> = update
                    .query_row(params![seq, to, now, from], |r| r.get(0))
                    .optional()
                    .map_err(storage)?;
                moved.extend(size);
            }
        }
        tx.commit().map_err(storage)?;
        for size in moved {
            state.count(from, -1, -size);
            state.count(to, 1, size);
        }
        Ok(())
    }
}
