//! D1 databases and Durable Objects' storage in a deployment. Each lives
//! on its owner ([`Cluster::place`]), in a local copy restored from its
//! replica when the owner claims it, with every commit replicated
//! ([`Replicas`]). A D1 call that reaches another host is forwarded to the
//! owner ([`wire`]); a Durable Object runs on its owner, so its storage is
//! only ever opened there.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use isola_storage::d1::{
    CancelToken, D1Backend, D1Database, D1Error, Durability, Limits, QueryResult, SavepointStep,
    Statement,
};
use isola_storage::replica::{Fence, ReplicaStatus, Replicas};

use crate::wire::{self, Answer, Call, Failure, Request};
use crate::{Cluster, Ownership, Placement};

/// A deployment's databases, as this host serves and reaches them.
pub struct Databases {
    cluster: Cluster,
    replicas: Replicas,
    /// Where this host keeps its copies of the D1 databases it owns.
    dir: PathBuf,
    client: wire::Client,
    /// How long a call waits for a database whose owner is unreachable to
    /// get a new one: the owner's lease, and a little more.
    failover: Duration,
    open: Mutex<HashMap<String, Local>>,
}

/// A database this host owns, open.
struct Local {
    token: u64,
    db: D1Database,
    status: ReplicaStatus,
}

/// This host's place in the deployment, for `isola stats`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClusterStats {
    pub host: String,
    /// The live hosts, by name.
    pub hosts: Vec<String>,
    /// The databases and objects this host owns and has open.
    pub owned: Vec<OwnedDatabase>,
    /// How many of them it restored from another owner's replica.
    pub takeovers: u64,
}

/// One database this host owns, for `isola stats`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OwnedDatabase {
    pub key: String,
    pub token: u64,
    /// Segments written since this host claimed it.
    pub segments: u64,
    /// Segments committed here and not yet in object storage.
    pub pending: u64,
    pub failed: Option<String>,
}

impl Databases {
    pub fn new(cluster: Cluster, replicas: Replicas, dir: PathBuf, secret: String) -> Arc<Self> {
        let failover = cluster.inner.config.ttl + Duration::from_secs(3);
        Arc::new(Self {
            cluster,
            replicas,
            dir,
            client: wire::Client::new(secret),
            failover,
            open: Mutex::default(),
        })
    }

    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    pub fn client(&self) -> &wire::Client {
        &self.client
    }

    /// D1 database `id`, wherever its owner is.
    pub fn d1(self: &Arc<Self>, id: &str) -> D1Database {
        D1Database::with_backend(Arc::new(Placed {
            databases: self.clone(),
            key: format!("d1/{id}"),
        }))
    }

    /// Opens a Durable Object's database (`key`, kept at `path`) on this
    /// host, which must own the object.
    pub fn open_object(&self, key: &str, path: &Path) -> Result<D1Database, D1Error> {
        match self.cluster.place(key).map_err(D1Error::Unreachable)? {
            Placement::Here(ownership) => self.local(key, ownership, path),
            Placement::There { host, .. } => Err(D1Error::Unreachable(format!(
                "{key} is owned by {host}, not this host"
            ))),
        }
    }

    /// Runs a call another host forwarded here, claiming the database if
    /// no host owns it; None if another host does.
    pub fn serve(&self, key: &str, request: &Request) -> Option<Answer> {
        let ownership = match self.cluster.claim(key) {
            Ok(Placement::Here(ownership)) => ownership,
            Ok(Placement::There { .. }) => return None,
            Err(e) => return Some(Answer::Error(D1Error::Unreachable(e).to_string())),
        };
        let path = self.d1_path(key);
        Some(match self.local(key, ownership, &path) {
            Ok(db) => run(&db, &request.call, &request.limits(), None),
            Err(e) => Answer::Error(e.to_string()),
        })
    }

    pub fn stats(&self) -> ClusterStats {
        ClusterStats {
            host: self.cluster.host().to_string(),
            hosts: self.cluster.view().hosts().keys().cloned().collect(),
            owned: self.owned(),
            takeovers: self.cluster.takeovers(),
        }
    }

    /// The databases this host owns and has open.
    fn owned(&self) -> Vec<OwnedDatabase> {
        let view = self.cluster.view();
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let mut owned: Vec<OwnedDatabase> = open
            .iter()
            .filter(|(key, local)| view.owner(key) == Some((self.cluster.host(), local.token)))
            .map(|(key, local)| {
                let progress = local.status.progress();
                OwnedDatabase {
                    key: key.clone(),
                    token: local.token,
                    segments: progress.segments,
                    pending: progress.pending,
                    failed: progress.failed,
                }
            })
            .collect();
        owned.sort_by(|a, b| a.key.cmp(&b.key));
        owned
    }

    fn d1_path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.sqlite"))
    }

    /// This host's copy of `key`, which it owns under `ownership`: the one
    /// open, or, when none is open under that token (or its replication
    /// failed), restored from the replica and opened.
    fn local(
        &self,
        key: &str,
        ownership: Arc<Ownership>,
        path: &Path,
    ) -> Result<D1Database, D1Error> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(local) = open.get(key)
            && local.token == ownership.token()
            && local.status.progress().failed.is_none()
        {
            return Ok(local.db.clone());
        }
        open.remove(key);
        let token = ownership.token();
        let (db, status, restored) =
            self.replicas
                .open(key, path, Durability::Process, ownership)?;
        if restored.generation.is_some() {
            self.cluster.took_over();
        }
        open.insert(
            key.to_string(),
            Local {
                token,
                db: db.clone(),
                status,
            },
        );
        Ok(db)
    }
}

/// Runs `call` on a database of this host.
fn run(db: &D1Database, call: &Call, limits: &Limits, cancel: Option<&CancelToken>) -> Answer {
    let mut db = db.clone();
    db.set_limits(*limits);
    if let Some(cancel) = cancel {
        db.set_cancel(cancel.clone());
    }
    match call {
        Call::Batch {
            statements,
            as_host: false,
        } => Answer::from_results(db.batch(statements)),
        Call::Batch {
            statements,
            as_host: true,
        } => Answer::from_results(db.batch_as_host(statements)),
        Call::Script { sql } => Answer::from_results(db.script(sql)),
        Call::Dump => db
            .dump()
            .map_or_else(|e| Answer::Error(e.to_string()), Answer::Dump),
    }
}

/// A D1 database of the deployment, as a backend: each call runs where
/// its owner is.
struct Placed {
    databases: Arc<Databases>,
    key: String,
}

impl Placed {
    /// Runs `call` on the owner. A call that could not be sent (the owner
    /// is gone, or no longer owns the database) is sent again once etcd
    /// names an owner, for as long as a failover takes.
    fn call(&self, call: Call, limits: &Limits, cancel: Option<&CancelToken>) -> Answer {
        let databases = &self.databases;
        let deadline = Instant::now() + databases.failover;
        let mut backoff = Duration::from_millis(25);
        loop {
            let failure = match databases.cluster.place(&self.key) {
                Ok(Placement::Here(ownership)) => {
                    let path = databases.d1_path(&self.key);
                    return match databases.local(&self.key, ownership, &path) {
                        Ok(db) => run(&db, &call, limits, cancel),
                        Err(e) => Answer::Error(e.to_string()),
                    };
                }
                Ok(Placement::There { url, .. }) => {
                    let request = Request {
                        call: call.clone(),
                        timeout_ms: limits.timeout.as_millis() as u64,
                        max_result_bytes: limits.max_result_bytes,
                    };
                    let client = databases.client.clone();
                    let key = self.key.clone();
                    let sent = databases
                        .cluster
                        .inner
                        .call(async move { client.send(&url, &key, &request).await });
                    match sent {
                        Ok(Ok(answer)) => return answer,
                        Ok(Err(Failure::Lost(why))) => {
                            return Answer::Error(D1Error::Unreachable(why).to_string());
                        }
                        Ok(Err(Failure::NotSent(why))) => why,
                        Ok(Err(Failure::Misdirected)) => "the owner moved".to_string(),
                        Err(why) => why,
                    }
                }
                Err(why) => why,
            };
            if Instant::now() >= deadline || cancel.is_some_and(CancelToken::is_cancelled) {
                return Answer::Error(D1Error::Unreachable(failure).to_string());
            }
            databases.cluster.forget(&self.key);
            std::thread::sleep(backoff);
            backoff = (backoff * 2).min(Duration::from_millis(500));
        }
    }

    fn results(
        &self,
        call: Call,
        limits: &Limits,
        cancel: Option<&CancelToken>,
    ) -> Result<Vec<QueryResult>, D1Error> {
        match self.call(call, limits, cancel) {
            Answer::Results(results) => Ok(results),
            Answer::Error(message) => Err(D1Error::Remote(message)),
            Answer::Dump(_) => Err(D1Error::Remote("D1_ERROR: a dump answered a query".into())),
        }
    }
}

impl D1Backend for Placed {
    fn batch(
        &self,
        statements: &[Statement],
        limits: &Limits,
        cancel: Option<&CancelToken>,
    ) -> Result<Vec<QueryResult>, D1Error> {
        self.results(Call::batch(statements, false), limits, cancel)
    }

    fn script(
        &self,
        sql: &str,
        limits: &Limits,
        cancel: Option<&CancelToken>,
    ) -> Result<Vec<QueryResult>, D1Error> {
        self.results(
            Call::Script {
                sql: sql.to_string(),
            },
            limits,
            cancel,
        )
    }

    fn dump(&self) -> Result<Vec<u8>, D1Error> {
        match self.call(Call::Dump, &Limits::default(), None) {
            Answer::Dump(bytes) => Ok(bytes),
            Answer::Error(message) => Err(D1Error::Remote(message)),
            Answer::Results(_) => Err(D1Error::Remote("D1_ERROR: a query answered a dump".into())),
        }
    }

    fn batch_as_host(
        &self,
        statements: &[Statement],
        limits: &Limits,
        cancel: Option<&CancelToken>,
    ) -> Result<Vec<QueryResult>, D1Error> {
        self.results(Call::batch(statements, true), limits, cancel)
    }

    fn savepoint(&self, _step: SavepointStep) -> Result<(), D1Error> {
        Err(D1Error::Remote(
            "D1_ERROR: a transaction spanning calls is not kept on a D1 database of several hosts"
                .into(),
        ))
    }
}
