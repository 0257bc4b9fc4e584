//! Queues in the shared database (`isola_queue_messages`), so that every
//! host sends to the same queues and consumers on any host take from them.
//!
//! `take` leases with `FOR UPDATE SKIP LOCKED`: two hosts taking at once
//! get different messages, so each message goes to one consumer per
//! attempt. Leases are not cleared when a host starts (other hosts hold
//! theirs), so a message leased by a host that died is delivered again
//! when its lease ends. Backlogs are counted by the database on each ask.

use std::time::Duration;

use super::PgStore;
use crate::health::BackendHealth;
use crate::queues::{Backlog, Message, Outgoing, QueueBackend, QueueError, Readiness};

/// How often a consumer looks for messages that other hosts sent.
const POLL: Duration = Duration::from_millis(250);

const BACKLOG: &str = "
    SELECT count(*), coalesce(sum(size), 0)::bigint, coalesce(min(timestamp), 0)
    FROM isola_queue_messages WHERE queue = $1";

fn failed(error: crate::StoreError) -> QueueError {
    QueueError::Storage(error.to_string())
}

fn backlog(row: &tokio_postgres::Row) -> Backlog {
    Backlog {
        backlog_count: row.get::<_, i64>(0) as u64,
        backlog_bytes: row.get::<_, i64>(1) as u64,
        oldest_message_timestamp: row.get(2),
    }
}

impl QueueBackend for PgStore {
    fn send(&self, queue: &str, messages: &[Outgoing], now: i64) -> Result<Backlog, QueueError> {
        self.writable().map_err(failed)?;
        let queue = queue.to_string();
        let rows: Vec<(String, Vec<u8>, String, i64)> = messages
            .iter()
            .map(|m| {
                let id = format!("{:032x}", rand::random::<u128>());
                let visible_at = now + i64::from(m.delay_seconds) * 1000;
                (id, m.body.clone(), m.content_type.clone(), visible_at)
            })
            .collect();
        // Once only: messages sent before the connection broke would be
        // sent twice.
        self.call_once(move |mut client| {
            let (queue, rows) = (queue.clone(), rows.clone());
            async move {
                let transaction = client.transaction().await?;
                let insert = transaction
                    .prepare_cached(
                        "INSERT INTO isola_queue_messages
                         (id, queue, body, size, content_type, timestamp, visible_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .await?;
                for (id, body, content_type, visible_at) in &rows {
                    let size = body.len() as i64;
                    transaction
                        .execute(
                            &insert,
                            &[id, &queue, body, &size, content_type, &now, visible_at],
                        )
                        .await?;
                }
                let row = transaction.query_one(BACKLOG, &[&queue]).await?;
                transaction.commit().await?;
                Ok(backlog(&row))
            }
        })
        .map_err(failed)
    }

    fn backlog(&self, queue: &str) -> Result<Backlog, QueueError> {
        let queue = queue.to_string();
        self.call(move |client| {
            let queue = queue.clone();
            async move { Ok(backlog(&client.query_one(BACKLOG, &[&queue]).await?)) }
        })
        .map_err(failed)
    }

    fn readiness(&self, queue: &str, now: i64, enough: usize) -> Result<Readiness, QueueError> {
        let queue = queue.to_string();
        let enough = enough as i64;
        self.call(move |client| {
            let queue = queue.clone();
            async move {
                let visible = client
                    .query_one(
                        "SELECT count(*), min(visible_at) FROM (
                             SELECT visible_at FROM isola_queue_messages
                             WHERE queue = $1 AND visible_at <= $2 AND leased_until <= $2
                             ORDER BY visible_at LIMIT $3) ready",
                        &[&queue, &now, &enough],
                    )
                    .await?;
                let count: i64 = visible.get(0);
                let next_visible = if count > 0 {
                    None
                } else {
                    client
                        .query_one(
                            "SELECT min(greatest(visible_at, leased_until))
                             FROM isola_queue_messages
                             WHERE queue = $1 AND (visible_at > $2 OR leased_until > $2)",
                            &[&queue, &now],
                        )
                        .await?
                        .get(0)
                };
                Ok(Readiness {
                    visible: count as u64,
                    visible_since: visible.get(1),
                    next_visible,
                })
            }
        })
        .map_err(failed)
    }

    fn take(
        &self,
        queue: &str,
        max: usize,
        now: i64,
        leased_until: i64,
    ) -> Result<Vec<Message>, QueueError> {
        self.writable().map_err(failed)?;
        let queue = queue.to_string();
        let max = max as i64;
        // Once only: a take that committed would count its attempt twice.
        let mut taken = self
            .call_once(move |client| {
                let queue = queue.clone();
                async move {
                    let rows = client
                        .query(
                            "UPDATE isola_queue_messages
                             SET attempts = attempts + 1, leased_until = $3
                             WHERE seq IN (
                                 SELECT seq FROM isola_queue_messages
                                 WHERE queue = $1 AND visible_at <= $2 AND leased_until <= $2
                                 ORDER BY visible_at, seq LIMIT $4
                                 FOR UPDATE SKIP LOCKED)
                             RETURNING seq, id, timestamp, attempts, content_type, body",
                            &[&queue, &now, &leased_until, &max],
                        )
                        .await?;
                    Ok(rows
                        .iter()
                        .map(|row| Message {
                            seq: row.get(0),
                            id: row.get(1),
                            timestamp: row.get(2),
                            attempts: row.get::<_, i32>(3) as u32,
                            content_type: row.get(4),
                            body: row.get(5),
                        })
                        .collect::<Vec<_>>())
                }
            })
            .map_err(failed)?;
        taken.sort_by_key(|message| message.seq);
        Ok(taken)
    }

    fn ack(&self, seqs: &[i64]) -> Result<(), QueueError> {
        self.writable().map_err(failed)?;
        let seqs = seqs.to_vec();
        self.call(move |client| {
            let seqs = seqs.clone();
            async move {
                client
                    .execute(
                        "DELETE FROM isola_queue_messages WHERE seq = ANY($1)",
                        &[&seqs],
                    )
                    .await?;
                Ok(())
            }
        })
        .map_err(failed)
    }

    fn retry(&self, seqs: &[i64], at: i64) -> Result<(), QueueError> {
        self.writable().map_err(failed)?;
        let seqs = seqs.to_vec();
        self.call(move |client| {
            let seqs = seqs.clone();
            async move {
                client
                    .execute(
                        "UPDATE isola_queue_messages SET leased_until = 0, visible_at = $2
                         WHERE seq = ANY($1)",
                        &[&seqs, &at],
                    )
                    .await?;
                Ok(())
            }
        })
        .map_err(failed)
    }

    fn move_to(&self, seqs: &[i64], from: &str, to: &str, now: i64) -> Result<(), QueueError> {
        self.writable().map_err(failed)?;
        let (seqs, from, to) = (seqs.to_vec(), from.to_string(), to.to_string());
        self.call(move |client| {
            let (seqs, from, to) = (seqs.clone(), from.clone(), to.clone());
            async move {
                client
                    .execute(
                        "UPDATE isola_queue_messages
                         SET queue = $2, attempts = 0, leased_until = 0, visible_at = $3
                         WHERE seq = ANY($1) AND queue = $4",
                        &[&seqs, &to, &now, &from],
                    )
                    .await?;
                Ok(())
            }
        })
        .map_err(failed)
    }

    fn poll(&self) -> Option<Duration> {
        Some(POLL)
    }

    fn health(&self) -> Option<BackendHealth> {
        Some(PgStore::health(self, "queues"))
    }
}
