//! Which host of a deployment owns each D1 database and Durable Object,
//! kept in etcd so that no two hosts ever write one SQLite database.
//!
//! - **Hosts** register under `<prefix>/hosts/<id>` (their internal URL)
//!   with a lease of [`ClusterConfig::ttl`], renewed while they live. A
//!   host that stops renewing drops out, and so do its objects.
//! - **Owners**: `<prefix>/owners/<key>` names the host that owns a
//!   database or object. It is created only where absent (a transaction on
//!   its create revision) and attached to the owner's lease, so it goes
//!   when the owner does. Ownership sticks: a host that joins later takes
//!   only objects that have no owner.
//! - **Placement** of an object without an owner is by rendezvous hashing
//!   of its key over the live hosts; the chosen host claims it when it is
//!   first asked for it.
//! - **Fencing**: an owner's token is the create revision of its owner key,
//!   larger for every new owner. [`Ownership`] checks, before a replicated
//!   write is acknowledged, that the key still carries that revision
//!   (`isola_storage::replica::Fence`).
//!
//! - **Alarms** of Durable Objects are recorded under
//!   `<prefix>/alarms/<key>` (without a lease), so that whichever host owns
//!   an object next finds its alarm and fires it.
//!
//! Each host reads the whole view (hosts and owners) every
//! [`REFRESH`]; a claim updates it at once. [`Databases`] serves D1
//! databases and Durable Objects' storage on their owners.

mod databases;
mod view;
pub mod wire;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use etcd_client::{
    Client, Compare, CompareOp, ConnectOptions, GetOptions, PutOptions, Txn, TxnOp, TxnOpResponse,
};
use isola_storage::background::Background;
use isola_storage::replica::Fence;

pub use databases::{ClusterStats, Databases, OwnedDatabase};
pub use view::View;

/// How often a host reads the hosts and owners from etcd.
pub const REFRESH: Duration = Duration::from_millis(250);

/// How long one call to etcd may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// What a host needs to join a deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterConfig {
    /// etcd's client URLs.
    pub etcd: Vec<String>,
    /// Under which etcd keys the deployment lives (`/isola`).
    pub prefix: String,
    /// This host's name in the deployment (unique).
    pub host: String,
    /// Where other hosts reach this one (`http://10.0.0.5:8787`).
    pub url: String,
    /// How long a host that stops renewing its lease keeps its objects.
    pub ttl: Duration,
}

/// Where a database or object is served.
#[derive(Debug, Clone)]
pub enum Placement {
    /// On this host, which owns it.
    Here(Arc<Ownership>),
    /// On another host.
    There { host: String, url: String },
}

/// This host's membership of a deployment. Dropping it leaves the
/// deployment at once (its lease is revoked), which moves its objects.
pub struct Cluster {
    inner: Arc<Inner>,
}

struct Inner {
    config: ClusterConfig,
    client: Client,
    runtime: Background,
    /// This host's lease: its registration and the objects it owns.
    lease: AtomicU64,
    view: RwLock<View>,
    /// Objects this host claimed that another host had owned before.
    takeovers: AtomicU64,
}

impl Cluster {
    /// Joins the deployment: registers this host, and keeps its lease and
    /// its view of the deployment fresh until dropped.
    pub fn join(config: ClusterConfig) -> Result<Self, String> {
        let runtime = Background::start("isola-cluster", 1)
            .map_err(|e| format!("cannot start the cluster's runtime: {e}"))?;
        let endpoints = config.etcd.clone();
        let named = format!("etcd at {}", config.etcd.join(", "));
        let client = runtime
            .wait(async move {
                let options = ConnectOptions::new()
                    .with_connect_timeout(CALL_TIMEOUT)
                    .with_timeout(CALL_TIMEOUT);
                Client::connect(endpoints, Some(options)).await
            })
            .map_err(|e| format!("{named}: {e}"))?
            .map_err(|e| format!("{named} cannot be reached: {e}"))?;
        let inner = Arc::new(Inner {
            config,
            client,
            runtime,
            lease: AtomicU64::new(0),
            view: RwLock::new(View::default()),
            takeovers: AtomicU64::new(0),
        });
        inner.call(register(inner.clone()))??;
        inner.call(refresh(inner.clone()))??;
        let weak = Arc::downgrade(&inner);
        inner.runtime.handle().spawn(maintain(weak));
        Ok(Self { inner })
    }

    /// Where `key` is served, if this host's view names its owner: what
    /// [`place`](Self::place) answers without asking etcd.
    pub fn known(&self, key: &str) -> Option<Placement> {
        self.inner.known(&self.inner.read(), key)
    }

    /// Where `key` is served: here if this host owns it, or if no host
    /// does and the hash chooses this one (which then claims it).
    pub fn place(&self, key: &str) -> Result<Placement, String> {
        let choice = {
            let view = self.inner.read();
            if let Some(placement) = self.inner.known(&view, key) {
                return Ok(placement);
            }
            view.choose(key).map(str::to_string)
        };
        match choice {
            Some(host) if host == self.inner.config.host => self.claim(key),
            Some(host) => {
                let url = self.inner.read().url(&host).unwrap_or_default().to_string();
                Ok(Placement::There { host, url })
            }
            None => self.claim(key),
        }
    }

    /// Where `key` is served, claiming it for this host if no host owns
    /// it: for calls another host forwarded here.
    pub fn claim(&self, key: &str) -> Result<Placement, String> {
        if let Some(placement) = self.inner.known(&self.inner.read(), key) {
            return Ok(placement);
        }
        self.inner
            .call(claim(self.inner.clone(), key.to_string()))?
    }

    /// Forgets what this host knew of `key`'s owner, so that the next
    /// [`place`](Self::place) asks etcd (after a forwarded call failed).
    pub fn forget(&self, key: &str) {
        self.inner.write().forget(key);
    }

    /// Whether this host owns `key`, or would claim it (no host owns it
    /// and the hash chooses this one).
    pub fn would_own(&self, key: &str) -> bool {
        let view = self.inner.read();
        match view.owner(key) {
            Some((host, _)) => host == self.inner.config.host,
            None => view.choose(key) == Some(self.inner.config.host.as_str()),
        }
    }

    /// Records object `key`'s alarm where every host sees it.
    pub fn put_alarm(&self, key: &str, record: &str) -> Result<(), String> {
        let mut client = self.inner.client.clone();
        let etcd_key = format!("{}/alarms/{key}", self.inner.config.prefix);
        let value = record.to_string();
        self.inner
            .call(async move { client.put(etcd_key, value, None).await })?
            .map_err(|e| format!("etcd: {e}"))?;
        self.inner.write().set_alarm(key, Some(record));
        Ok(())
    }

    /// Removes object `key`'s alarm record: any, or only `record` (an
    /// alarm set again meanwhile stays).
    pub fn remove_alarm(&self, key: &str, record: Option<&str>) -> Result<(), String> {
        let mut client = self.inner.client.clone();
        let etcd_key = format!("{}/alarms/{key}", self.inner.config.prefix);
        let txn = match record {
            Some(record) => {
                Txn::new().when([Compare::value(etcd_key.clone(), CompareOp::Equal, record)])
            }
            None => Txn::new(),
        }
        .and_then([TxnOp::delete(etcd_key, None)]);
        let removed = self
            .inner
            .call(async move { client.txn(txn).await })?
            .map_err(|e| format!("etcd: {e}"))?
            .succeeded();
        if removed {
            self.inner.write().set_alarm(key, None);
        }
        Ok(())
    }

    /// This host's name.
    pub fn host(&self) -> &str {
        &self.inner.config.host
    }

    /// The deployment as this host last saw it.
    pub fn view(&self) -> View {
        self.inner.read().clone()
    }

    /// How many objects this host took over from another owner.
    pub fn takeovers(&self) -> u64 {
        self.inner.takeovers.load(Ordering::Relaxed)
    }

    /// Marks that a claimed object had been owned before (its replica had
    /// an earlier generation).
    pub fn took_over(&self) {
        self.inner.takeovers.fetch_add(1, Ordering::Relaxed);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let lease = self.inner.lease.load(Ordering::SeqCst) as i64;
        let mut client = self.inner.client.clone();
        let _ = self
            .inner
            .call(async move { client.lease_revoke(lease).await });
    }
}

/// A database or object this host owns, with the token that fences it.
#[derive(Debug)]
pub struct Ownership {
    inner: Weak<Inner>,
    key: String,
    token: u64,
}

impl Ownership {
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl Fence for Ownership {
    fn token(&self) -> u64 {
        self.token
    }

    fn check(&self) -> Result<(), String> {
        let inner = self
            .inner
            .upgrade()
            .ok_or("this host left the deployment")?;
        let key = inner.owner_key(&self.key);
        let mut client = inner.client.clone();
        let response = inner
            .call(async move { client.get(key, None).await })?
            .map_err(|e| format!("etcd: {e}"))?;
        match response.kvs().first() {
            Some(kv) if kv.create_revision() as u64 == self.token => Ok(()),
            Some(kv) => Err(format!(
                "{} is now owned by {}",
                self.key,
                kv.value_str().unwrap_or("another host")
            )),
            None => Err(format!("the lease on {} ended", self.key)),
        }
    }
}

impl Inner {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, View> {
        self.view.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, View> {
        self.view.write().unwrap_or_else(|e| e.into_inner())
    }

    fn owner_key(&self, key: &str) -> String {
        format!("{}/owners/{key}", self.config.prefix)
    }

    /// Where `key` is served, if `view` knows its owner.
    fn known(self: &Arc<Self>, view: &View, key: &str) -> Option<Placement> {
        let (host, token) = view.owner(key)?;
        if host == self.config.host {
            return Some(Placement::Here(Arc::new(Ownership {
                inner: Arc::downgrade(self),
                key: key.to_string(),
                token,
            })));
        }
        let url = view.url(host)?;
        Some(Placement::There {
            host: host.to_string(),
            url: url.to_string(),
        })
    }

    /// Runs `work` on the cluster's runtime, bounded by [`CALL_TIMEOUT`].
    fn call<T: Send + 'static>(
        &self,
        work: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, String> {
        self.runtime.wait_for("etcd", CALL_TIMEOUT, work)
    }
}

/// Takes a lease and registers this host under it.
async fn register(inner: Arc<Inner>) -> Result<(), String> {
    let mut client = inner.client.clone();
    let ttl = inner.config.ttl.as_secs().max(1) as i64;
    let lease = client
        .lease_grant(ttl, None)
        .await
        .map_err(|e| format!("etcd: {e}"))?
        .id();
    let key = format!("{}/hosts/{}", inner.config.prefix, inner.config.host);
    client
        .put(
            key,
            inner.config.url.clone(),
            Some(PutOptions::new().with_lease(lease)),
        )
        .await
        .map_err(|e| format!("etcd: {e}"))?;
    inner.lease.store(lease as u64, Ordering::SeqCst);
    Ok(())
}

/// Reads every host and owner into the view.
async fn refresh(inner: Arc<Inner>) -> Result<(), String> {
    let mut client = inner.client.clone();
    let prefix = format!("{}/", inner.config.prefix);
    let response = client
        .get(prefix.clone(), Some(GetOptions::new().with_prefix()))
        .await
        .map_err(|e| format!("etcd: {e}"))?;
    let entries = response.kvs().iter().filter_map(|kv| {
        let key = kv.key_str().ok()?.strip_prefix(&prefix)?;
        Some((
            key.to_string(),
            kv.value_str().ok()?.to_string(),
            kv.create_revision() as u64,
        ))
    });
    let view = View::read(entries);
    *inner.write() = view;
    Ok(())
}

/// Creates `key`'s owner key for this host if no host owns it.
async fn claim(inner: Arc<Inner>, key: String) -> Result<Placement, String> {
    let mut client = inner.client.clone();
    let owner_key = inner.owner_key(&key);
    let lease = inner.lease.load(Ordering::SeqCst) as i64;
    let txn = Txn::new()
        .when([Compare::create_revision(
            owner_key.clone(),
            CompareOp::Equal,
            0,
        )])
        .and_then([TxnOp::put(
            owner_key.clone(),
            inner.config.host.clone(),
            Some(PutOptions::new().with_lease(lease)),
        )])
        .or_else([TxnOp::get(owner_key, None)]);
    let response = client.txn(txn).await.map_err(|e| format!("etcd: {e}"))?;
    let (host, token) = if response.succeeded() {
        let revision = response.header().map_or(0, |h| h.revision()) as u64;
        (inner.config.host.clone(), revision)
    } else {
        let owner = response.op_responses().into_iter().find_map(|op| match op {
            TxnOpResponse::Get(get) => get.kvs().first().map(|kv| {
                (
                    kv.value_str().unwrap_or_default().to_string(),
                    kv.create_revision() as u64,
                )
            }),
            _ => None,
        });
        owner.ok_or_else(|| format!("the owner of {key} left while it was claimed"))?
    };
    let mut view = inner.write();
    view.set_owner(&key, &host, token);
    match inner.known(&view, &key) {
        Some(placement) => Ok(placement),
        None => Err(format!("{key} is owned by {host}, which is not registered")),
    }
}

/// Renews this host's lease and refreshes its view, until the cluster is
/// dropped. A lease that ended (the host stalled past its TTL) is
/// replaced: the objects it held are gone, and the tokens with them.
async fn maintain(inner: Weak<Inner>) {
    let mut renewed = tokio::time::Instant::now();
    loop {
        tokio::time::sleep(REFRESH).await;
        let Some(inner) = inner.upgrade() else { return };
        if renewed.elapsed() >= inner.config.ttl / 3 {
            match renew(&inner).await {
                Ok(true) => renewed = tokio::time::Instant::now(),
                Ok(false) => {
                    tracing::warn!("this host's lease in etcd ended; registering again");
                    match register(inner.clone()).await {
                        Ok(()) => renewed = tokio::time::Instant::now(),
                        Err(e) => tracing::warn!("{e}"),
                    }
                }
                Err(e) => tracing::warn!("renewing this host's lease: {e}"),
            }
        }
        if let Err(e) = refresh(inner.clone()).await {
            tracing::warn!("reading the deployment: {e}");
        }
    }
}

/// Renews the lease once: false if it had already ended.
async fn renew(inner: &Inner) -> Result<bool, String> {
    let mut client = inner.client.clone();
    let lease = inner.lease.load(Ordering::SeqCst) as i64;
    let (mut keeper, mut stream) = client
        .lease_keep_alive(lease)
        .await
        .map_err(|e| format!("etcd: {e}"))?;
    keeper
        .keep_alive()
        .await
        .map_err(|e| format!("etcd: {e}"))?;
    let answer = stream.message().await.map_err(|e| format!("etcd: {e}"))?;
    Ok(answer.is_some_and(|a| a.ttl() > 0))
}

#[cfg(test)]
mod tests;
