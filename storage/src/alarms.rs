//! When Durable Objects' alarms are due: one table for the whole host,
//! `<state>/do/alarms.sqlite` (or in memory), so that the host finds every
//! pending alarm at start without opening each object's database. A row
//! is written before `setAlarm()` returns, so an acknowledged alarm
//! survives a restart, and removed once its handler has succeeded.

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

use rusqlite::{Connection, OptionalExtension, params};

/// The object an alarm belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AlarmOwner {
    pub worker: String,
    pub class: String,
    pub id: String,
}

/// A pending alarm: when (milliseconds since the epoch) and how many times
/// its handler has failed so far.
#[derive(Debug, Clone, PartialEq)]
pub struct Alarm {
    pub owner: AlarmOwner,
    pub at: f64,
    pub retries: u32,
}

pub struct AlarmIndex {
    conn: Mutex<Connection>,
}

impl AlarmIndex {
    /// The index in `dir` (created if needed), or in memory when None.
    pub fn open(dir: Option<&Path>) -> Result<Self, String> {
        let conn = match dir {
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                let path = dir.join("alarms.sqlite");
                let existed = path.exists();
                let conn =
                    Connection::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                if existed {
                    crate::integrity::check(&conn)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                }
                conn.pragma_update(None, "journal_mode", "WAL")
                    .and_then(|()| conn.pragma_update(None, "synchronous", "NORMAL"))
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                conn
            }
            None => Connection::open_in_memory().map_err(|e| e.to_string())?,
        };
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS alarms (
                worker TEXT NOT NULL, class TEXT NOT NULL, id TEXT NOT NULL,
                at REAL NOT NULL, retries INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (worker, class, id))",
        )
        .map_err(|e| format!("the alarm index: {e}"))?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets `owner`'s alarm to `at`, replacing any (retries start over).
    pub fn set(&self, owner: &AlarmOwner, at: f64) -> Result<(), String> {
        self.lock()
            .execute(
                "INSERT OR REPLACE INTO alarms (worker, class, id, at, retries) VALUES (?, ?, ?, ?, 0)",
                params![owner.worker, owner.class, owner.id, at],
            )
            .map(drop)
            .map_err(|e| format!("the alarm index: {e}"))
    }

    /// Moves `owner`'s alarm to `at` after a failed run, keeping it only if
    /// it is still the one that ran (`ran_at`).
    pub fn retry(
        &self,
        owner: &AlarmOwner,
        ran_at: f64,
        at: f64,
        retries: u32,
    ) -> Result<(), String> {
        self.lock()
            .execute(
                "UPDATE alarms SET at = ?, retries = ? WHERE worker = ? AND class = ? AND id = ? AND at = ?",
                params![at, retries, owner.worker, owner.class, owner.id, ran_at],
            )
            .map(drop)
            .map_err(|e| format!("the alarm index: {e}"))
    }

    /// Removes `owner`'s alarm; with `ran_at`, only if it is still the one
    /// that ran (the handler may have set another).
    pub fn delete(&self, owner: &AlarmOwner, ran_at: Option<f64>) -> Result<(), String> {
        let conn = self.lock();
        let deleted = match ran_at {
            Some(at) => conn.execute(
                "DELETE FROM alarms WHERE worker = ? AND class = ? AND id = ? AND at = ?",
                params![owner.worker, owner.class, owner.id, at],
            ),
            None => conn.execute(
                "DELETE FROM alarms WHERE worker = ? AND class = ? AND id = ?",
                params![owner.worker, owner.class, owner.id],
            ),
        };
        deleted
            .map(drop)
            .map_err(|e| format!("the alarm index: {e}"))
    }

    /// `owner`'s alarm time, if it has one.
    pub fn get(&self, owner: &AlarmOwner) -> Result<Option<f64>, String> {
        self.lock()
            .query_row(
                "SELECT at FROM alarms WHERE worker = ? AND class = ? AND id = ?",
                params![owner.worker, owner.class, owner.id],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| format!("the alarm index: {e}"))
    }

    /// Moves the alarms of `worker`'s class `from` to the class `to` (a
    /// migration renamed it).
    pub fn rename_class(&self, worker: &str, from: &str, to: &str) -> Result<(), String> {
        self.lock()
            .execute(
                "UPDATE alarms SET class = ? WHERE worker = ? AND class = ?",
                params![to, worker, from],
            )
            .map(drop)
            .map_err(|e| format!("the alarm index: {e}"))
    }

    /// Removes the alarms of `worker`'s class `class` (a migration deleted
    /// it).
    pub fn delete_class(&self, worker: &str, class: &str) -> Result<(), String> {
        self.lock()
            .execute(
                "DELETE FROM alarms WHERE worker = ? AND class = ?",
                params![worker, class],
            )
            .map(drop)
            .map_err(|e| format!("the alarm index: {e}"))
    }

    /// Every pending alarm, soonest first.
    pub fn pending(&self) -> Result<Vec<Alarm>, String> {
        let conn = self.lock();
        let mut statement = conn
            .prepare_cached("SELECT worker, class, id, at, retries FROM alarms ORDER BY at")
            .map_err(|e| format!("the alarm index: {e}"))?;
        let rows = statement
            .query_map([], |row| {
                Ok(Alarm {
                    owner: AlarmOwner {
                        worker: row.get(0)?,
                        class: row.get(1)?,
                        id: row.get(2)?,
                    },
                    at: row.get(3)?,
                    retries: row.get(4)?,
                })
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| format!("the alarm index: {e}"))?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(id: &str) -> AlarmOwner {
        AlarmOwner {
            worker: "w".into(),
            class: "C".into(),
            id: id.into(),
        }
    }

    #[test]
    fn alarms_are_kept_replaced_retried_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let index = AlarmIndex::open(Some(dir.path())).unwrap();
        index.set(&owner("b"), 20.0).unwrap();
        index.set(&owner("a"), 30.0).unwrap();
        index.set(&owner("a"), 10.0).unwrap();
        let pending = index.pending().unwrap();
        assert_eq!(pending.len(), 2);
        assert_eq!((pending[0].owner.id.as_str(), pending[0].at), ("a", 10.0));
        // A run that finished after the handler set a new time keeps it.
        index.set(&owner("b"), 25.0).unwrap();
        index.delete(&owner("b"), Some(20.0)).unwrap();
        assert_eq!(index.get(&owner("b")).unwrap(), Some(25.0));
        index.retry(&owner("a"), 10.0, 12.0, 1).unwrap();
        drop(index);
        let index = AlarmIndex::open(Some(dir.path())).unwrap();
        let a = &index.pending().unwrap()[0];
        assert_eq!((a.at, a.retries), (12.0, 1));
        index.delete(&owner("a"), None).unwrap();
        assert_eq!(index.get(&owner("a")).unwrap(), None);
    }

    #[test]
    fn alarms_follow_their_class_through_renames_and_deletes() {
        let index = AlarmIndex::open(None).unwrap();
        index.set(&owner("a"), 10.0).unwrap();
        index.rename_class("w", "C", "D").unwrap();
        let moved = AlarmOwner {
            class: "D".into(),
            ..owner("a")
        };
        assert_eq!(index.get(&moved).unwrap(), Some(10.0));
        assert_eq!(index.get(&owner("a")).unwrap(), None);
        index.delete_class("w", "D").unwrap();
        assert!(index.pending().unwrap().is_empty());
    }
}
