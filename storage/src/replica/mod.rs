//! Replicas of SQLite databases (D1 databases, Durable Objects' storage)
//! in S3-compatible object storage, so that another host can take a
//! database over when its owner dies and lose no acknowledged write.
//!
//! A database's objects, under `<name>/` in the bucket:
//!
//! ```text
//! <name>/<generation>/<seq>.snapshot   the whole file
//! <name>/<generation>/<seq>.wal        the WAL frames of committed transactions
//! ```
//!
//! - A **generation** is one owner's time with the database, named by its
//!   fencing token (16 hex digits, so they sort): a new owner's token is
//!   larger than every earlier owner's. It starts with a snapshot.
//! - Within a generation, `seq` counts the objects written: a snapshot
//!   holds everything before it, and each `.wal` segment the frames of the
//!   transactions committed since the object before it.
//! - **Restoring** takes the newest generation that has a snapshot, its
//!   last snapshot, and the segments after it in order.
//! - After each commit the owner reads the new frames from the `-wal` file
//!   ([`wal`]) and writes them as the next segment ([`Mode::Sync`]: before
//!   the call returns; [`Mode::Async`]: in the background, at most
//!   [`ASYNC_WINDOW`] segments behind). It then asks its [`Fence`] whether
//!   it still owns the database: a write is acknowledged only if it was
//!   replicated while its host owned the database, so a new owner, which
//!   restores after it takes ownership, has every acknowledged write.
//! - Once [`SNAPSHOT_AFTER`] bytes of segments, or as many as the
//!   database holds, have piled up, the owner checkpoints the log into
//!   the file, writes a snapshot, and removes what the snapshot replaces
//!   (and earlier generations).
//!
//! SQLite's automatic checkpoints are off on a replicated database, so the
//! log only starts afresh after the owner's own checkpoint.

mod wal;

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};

use crate::background::Background;
use crate::d1::{CommitHook, D1Database, D1Error, Durability};
use crate::r2::S3Location;

/// Segments piled up past the last snapshot (in bytes) before the owner
/// takes a new one, unless the database is larger: then as much as the
/// database. A restore so reads at most about twice the database, or
/// twice this.
pub const SNAPSHOT_AFTER: u64 = 1024 * 1024;

/// How many objects a restore fetches at once.
const FETCHES: usize = 16;

/// How many segments an asynchronous replica may hold back before a
/// commit waits for them.
pub const ASYNC_WINDOW: usize = 64;

/// How long one call to object storage may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// When a commit is acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Once its frames are in object storage (Durable Objects' default,
    /// as Cloudflare acknowledges a write once it is replicated).
    #[default]
    Sync,
    /// At once; its frames follow within [`ASYNC_WINDOW`] segments. A host
    /// that dies loses the commits not yet sent.
    Async,
}

/// Whether this host still owns a database: the lease it holds, checked
/// before each replicated write is acknowledged.
pub trait Fence: Send + Sync {
    /// The fencing token: larger for every new owner of the database.
    fn token(&self) -> u64;
    /// Ok while the lease holds; why not otherwise.
    fn check(&self) -> Result<(), String>;
}

/// Where replicas live: a bucket (and prefix), and the runtime that talks
/// to it.
#[derive(Clone)]
pub struct Replicas {
    store: Arc<dyn ObjectStore>,
    runtime: Arc<Background>,
    mode: Mode,
    describe: String,
    /// [`SNAPSHOT_AFTER`], smaller in tests.
    snapshot_after: u64,
}

impl Replicas {
    /// Replicas in the bucket `url` names (`s3://BUCKET[/PREFIX]?endpoint=…`).
    pub fn connect(url: &str, mode: Mode) -> Result<Self, String> {
        let location = S3Location::parse(url).map_err(|e| e.to_string())?;
        let store = location.connect().map_err(|e| e.to_string())?;
        Self::new(store, mode, location.describe())
    }

    /// Replicas in `store`.
    pub fn new(store: Arc<dyn ObjectStore>, mode: Mode, describe: String) -> Result<Self, String> {
        let runtime = Background::start("isola-replicas", 2)
            .map_err(|e| format!("{describe}: cannot start a runtime: {e}"))?;
        Ok(Self {
            store,
            runtime: Arc::new(runtime),
            mode,
            describe,
            snapshot_after: SNAPSHOT_AFTER,
        })
    }

    /// Restores database `name` into `path` (replacing what is there) from
    /// its newest replica, opens it, and starts the generation of `fence`'s
    /// token with a snapshot: from then on every commit is replicated.
    pub fn open(
        &self,
        name: &str,
        path: &Path,
        durability: Durability,
        fence: Arc<dyn Fence>,
    ) -> Result<(D1Database, ReplicaStatus, Restored), D1Error> {
        let failed =
            |e: String| D1Error::open(path, format!("restoring from {}: {e}", self.describe));
        let restored = self.restore(name, path).map_err(failed)?;
        let status = ReplicaStatus::default();
        let replica = Replica::new(self, name, path, fence, status.clone());
        let db = D1Database::open_hooked(path, durability, Box::new(replica))?;
        Ok((db, status, restored))
    }

    /// Writes the newest replica of `name` into the file `path`; what was
    /// there, and its `-wal` and `-shm` files, are removed first. Returns
    /// how many segments were applied after the snapshot.
    pub fn restore(&self, name: &str, path: &Path) -> Result<Restored, String> {
        for stale in [
            path.to_path_buf(),
            with_suffix(path, "-wal"),
            with_suffix(path, "-shm"),
        ] {
            match std::fs::remove_file(&stale) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(format!("{}: {e}", stale.display())),
            }
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let objects = self.list(name)?;
        let Some(plan) = Plan::newest(&objects) else {
            return Ok(Restored::default());
        };
        let mut file =
            std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let snapshot = self.get(&plan.snapshot.path(name))?;
        std::io::Write::write_all(&mut file, &snapshot)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let paths: Vec<String> = plan.segments.iter().map(|s| s.path(name)).collect();
        for (bytes, path) in self.get_all(&paths)?.iter().zip(&paths) {
            wal::apply(&mut file, bytes).map_err(|e| format!("{path}: {e}"))?;
        }
        file.sync_all()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Restored {
            generation: Some(plan.snapshot.generation),
            segments: plan.segments.len(),
        })
    }

    /// Every object of database `name`.
    fn list(&self, name: &str) -> Result<Vec<Object>, String> {
        let store = self.store.clone();
        let prefix = ObjectPath::from(name);
        let listed =
            self.call(async move { store.list(Some(&prefix)).try_collect::<Vec<_>>().await })?;
        Ok(listed
            .iter()
            .filter_map(|meta| Object::parse(name, meta.location.as_ref()))
            .collect())
    }

    fn get(&self, path: &str) -> Result<bytes::Bytes, String> {
        let store = self.store.clone();
        let path = ObjectPath::from(path);
        self.call(async move { store.get(&path).await?.bytes().await })
    }

    /// The objects at `paths`, in order, fetched [`FETCHES`] at a time.
    fn get_all(&self, paths: &[String]) -> Result<Vec<bytes::Bytes>, String> {
        let store = self.store.clone();
        let paths: Vec<ObjectPath> = paths.iter().map(|p| ObjectPath::from(p.as_str())).collect();
        self.call(async move {
            futures::stream::iter(paths)
                .map(|path| {
                    let store = store.clone();
                    async move { store.get(&path).await?.bytes().await }
                })
                .buffered(FETCHES)
                .try_collect()
                .await
        })
    }

    /// Writes a new object (never over one: two writers of one name are
    /// two owners, and the second is refused).
    fn put(&self, path: &str, bytes: Vec<u8>) -> Result<(), String> {
        let store = self.store.clone();
        let path = ObjectPath::from(path);
        let options = PutOptions::from(PutMode::Create);
        self.call(async move {
            store
                .put_opts(&path, PutPayload::from(bytes), options)
                .await
                .map(drop)
        })
    }

    fn delete(&self, path: &str) -> Result<(), String> {
        let store = self.store.clone();
        let path = ObjectPath::from(path);
        self.call(async move {
            match store.delete(&path).await {
                Err(object_store::Error::NotFound { .. }) => Ok(()),
                other => other,
            }
        })
    }

    /// Runs one call to the bucket on the replicas' runtime, bounded.
    fn call<T: Send + 'static>(
        &self,
        work: impl Future<Output = object_store::Result<T>> + Send + 'static,
    ) -> Result<T, String> {
        self.runtime
            .wait_for(&self.describe, REQUEST_TIMEOUT, work)?
            .map_err(|e| format!("{}: {e}", self.describe))
    }
}

/// What [`Replicas::restore`] found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Restored {
    /// The generation restored from; None for a database never replicated.
    pub generation: Option<u64>,
    /// Segments applied after its snapshot.
    pub segments: usize,
}

/// How far one database's replica has come, for `isola stats`.
#[derive(Debug, Clone, Default)]
pub struct ReplicaStatus(Arc<Mutex<Progress>>);

/// See [`ReplicaStatus`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// Segments written since the database was opened here.
    pub segments: u64,
    /// Segments committed here but not yet in object storage (asynchronous
    /// replicas only).
    pub pending: u64,
    pub snapshots: u64,
    /// Why replication stopped, if it did: every later write fails.
    pub failed: Option<String>,
}

impl ReplicaStatus {
    pub fn progress(&self) -> Progress {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn update(&self, change: impl FnOnce(&mut Progress)) {
        change(&mut self.0.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

/// One object of a database's replica.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Object {
    generation: u64,
    seq: u64,
    snapshot: bool,
}

impl Object {
    /// `<name>/<generation>/<seq>.snapshot` or `….wal`.
    fn parse(name: &str, path: &str) -> Option<Self> {
        let rest = path.strip_prefix(name)?.strip_prefix('/')?;
        let (generation, file) = rest.split_once('/')?;
        let (seq, kind) = file.split_once('.')?;
        Some(Self {
            generation: u64::from_str_radix(generation, 16).ok()?,
            seq: u64::from_str_radix(seq, 16).ok()?,
            snapshot: match kind {
                "snapshot" => true,
                "wal" => false,
                _ => return None,
            },
        })
    }

    fn path(&self, name: &str) -> String {
        let kind = if self.snapshot { "snapshot" } else { "wal" };
        format!("{name}/{:016x}/{:016x}.{kind}", self.generation, self.seq)
    }
}

/// What a restore reads: a snapshot and the segments after it.
struct Plan {
    snapshot: Object,
    segments: Vec<Object>,
}

impl Plan {
    /// The newest generation with a snapshot, from its last snapshot on;
    /// segments are taken while their numbers follow on without a gap.
    fn newest(objects: &[Object]) -> Option<Self> {
        let snapshot = objects
            .iter()
            .filter(|o| o.snapshot)
            .max_by_key(|o| (o.generation, o.seq))
            .copied()?;
        let mut segments: Vec<Object> = objects
            .iter()
            .filter(|o| !o.snapshot && o.generation == snapshot.generation && o.seq > snapshot.seq)
            .copied()
            .collect();
        segments.sort_by_key(|o| o.seq);
        let contiguous = segments
            .iter()
            .zip(snapshot.seq + 1..)
            .take_while(|(o, seq)| o.seq == *seq)
            .count();
        segments.truncate(contiguous);
        Some(Self { snapshot, segments })
    }
}

/// The owner's side of one database's replica: a [`CommitHook`].
struct Replica {
    path: PathBuf,
    wal: PathBuf,
    /// What writes the objects (on this thread, or behind `queue`).
    sender: Arc<Sender>,
    /// Where the next read of the log starts; None: at its start.
    position: Option<wal::Position>,
    next_seq: u64,
    since_snapshot: u64,
    /// The way to the background sender of an asynchronous replica.
    queue: Option<SyncSender<(Object, Vec<u8>)>>,
}

impl Replica {
    fn new(
        replicas: &Replicas,
        name: &str,
        path: &Path,
        fence: Arc<dyn Fence>,
        status: ReplicaStatus,
    ) -> Self {
        let sender = Arc::new(Sender {
            replicas: replicas.clone(),
            name: name.to_string(),
            fence,
            status,
        });
        let queue = (replicas.mode == Mode::Async).then(|| {
            let (queue, uploads) = sync_channel(ASYNC_WINDOW);
            let worker = sender.clone();
            std::thread::Builder::new()
                .name("isola-replica".into())
                .spawn(move || worker.run(uploads))
                .expect("a thread for the replica");
            queue
        });
        Self {
            path: path.to_path_buf(),
            wal: with_suffix(path, "-wal"),
            sender,
            position: None,
            next_seq: 0,
            since_snapshot: 0,
            queue,
        }
    }

    /// Checkpoints the log into the file and writes the file as the next
    /// object; then the log starts afresh.
    fn snapshot(&mut self, conn: &rusqlite::Connection) -> Result<(), D1Error> {
        let busy: i64 = conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0))
            .map_err(D1Error::sqlite)?;
        if busy != 0 {
            return Err(D1Error::Replication(format!(
                "{}: the log could not be checkpointed",
                self.path.display()
            )));
        }
        let bytes = std::fs::read(&self.path)
            .map_err(|e| D1Error::Replication(format!("{}: {e}", self.path.display())))?;
        self.position = None;
        self.since_snapshot = 0;
        self.send(true, bytes)
    }

    /// Writes the next object, now or through the background sender, and
    /// checks the fence before the commit it carries is acknowledged.
    fn send(&mut self, snapshot: bool, bytes: Vec<u8>) -> Result<(), D1Error> {
        let sender = &self.sender;
        if let Some(why) = sender.status.progress().failed {
            return Err(D1Error::Replication(why));
        }
        let object = Object {
            generation: sender.fence.token(),
            seq: self.next_seq,
            snapshot,
        };
        self.next_seq += 1;
        match &self.queue {
            Some(queue) => {
                sender.status.update(|p| p.pending += 1);
                queue
                    .send((object, bytes))
                    .map_err(|_| D1Error::Replication("the replica's sender stopped".into()))
            }
            None => sender.write(object, bytes).map_err(|why| {
                sender.status.update(|p| p.failed = Some(why.clone()));
                D1Error::Replication(why)
            }),
        }
    }
}

impl CommitHook for Replica {
    fn opened(&mut self, conn: &rusqlite::Connection) -> Result<(), D1Error> {
        conn.pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(D1Error::sqlite)?;
        self.snapshot(conn)
    }

    fn committed(&mut self, conn: &rusqlite::Connection) -> Result<(), D1Error> {
        let frames = wal::read_committed(&self.wal, self.position)
            .map_err(|e| D1Error::Replication(format!("{}: {e}", self.wal.display())))?;
        let Some(frames) = frames else {
            return Ok(());
        };
        if frames.restarted {
            // Something else checkpointed the log: only a snapshot is sure
            // to hold every commit.
            return self.snapshot(conn);
        }
        self.position = Some(frames.next);
        self.since_snapshot += frames.segment.len() as u64;
        self.send(false, frames.segment)?;
        let size = std::fs::metadata(&self.path).map_or(0, |m| m.len());
        if self.since_snapshot >= self.sender.replicas.snapshot_after.max(size) {
            self.snapshot(conn)?;
        }
        Ok(())
    }
}

/// Writes a replica's objects: inline for a synchronous replica, on a
/// thread of its own for an asynchronous one.
struct Sender {
    replicas: Replicas,
    name: String,
    fence: Arc<dyn Fence>,
    status: ReplicaStatus,
}

impl Sender {
    fn run(&self, uploads: Receiver<(Object, Vec<u8>)>) {
        for (object, bytes) in uploads {
            let outcome = self.write(object, bytes);
            self.status.update(|p| {
                p.pending = p.pending.saturating_sub(1);
                if let Err(why) = outcome {
                    tracing::error!("replica of {}: {why}", self.name);
                    p.failed.get_or_insert(why);
                }
            });
        }
    }

    /// Writes one object, then checks the fence; after a snapshot, removes
    /// what it replaces.
    fn write(&self, object: Object, bytes: Vec<u8>) -> Result<(), String> {
        self.replicas.put(&object.path(&self.name), bytes)?;
        self.fence
            .check()
            .map_err(|why| format!("this host no longer owns {}: {why}", self.name))?;
        self.status.update(|p| {
            if object.snapshot {
                p.snapshots += 1;
            } else {
                p.segments += 1;
            }
        });
        if object.snapshot {
            self.compact(object);
        }
        Ok(())
    }

    /// Removes what snapshot `kept` replaces: earlier objects of its
    /// generation, and earlier generations. Best effort: what is left
    /// behind is never read again.
    fn compact(&self, kept: Object) {
        let Ok(objects) = self.replicas.list(&self.name) else {
            return;
        };
        for object in objects {
            let older = object.generation < kept.generation
                || (object.generation == kept.generation && object.seq < kept.seq);
            if older && let Err(e) = self.replicas.delete(&object.path(&self.name)) {
                tracing::warn!("replica of {}: {e}", self.name);
                return;
            }
        }
    }
}

/// `path` with `suffix` after its file name (`db.sqlite-wal`).
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests;
