//! KV, the Cache API and Queues in PostgreSQL (or a database that speaks
//! its wire protocol), so that several hosts serve the same Workers over
//! the same data. One table holds every KV namespace, one every cache:
//!
//! ```sql
//! isola_kv    (namespace text, key bytea, value bytea)   -- primary key (namespace, key)
//! isola_cache (cache bytea, url text, entry bytea)       -- primary key (cache, url)
//! ```
//!
//! `isola_claims (event, due_ms)` records which scheduled events (cron
//! firings) a host claimed, so that one host of those sharing the
//! database fires each; `isola_signals (name, count)` the signals hosts
//! send one another (a Worker reloaded); `isola_queue_messages` holds Queues (see
//! `queues`), and the `isola_r2_*` tables what R2 knows of the objects
//! whose bytes are in a shared S3 bucket (see `r2`).
//!
//! Keys are `bytea`, which Postgres orders by their bytes: Cloudflare's
//! order, whatever the database's collation (and cache names, which may
//! hold any character, NUL included, which `text` cannot). A write
//! returns once its transaction commits, which Postgres makes durable
//! before it answers.
//!
//! The binding ops call stores from blocking threads, and the `isola`
//! command from wherever it is. So this store drives its connections on a
//! runtime of its own, and each call waits for its query there: that works
//! from any thread, inside an async runtime or not. A call that cannot be
//! answered within [`CALL_TIMEOUT`] fails, naming the database; one that
//! finds its connection broken is retried on a fresh one, with backoff.

mod kv;
mod queues;
mod r2;
#[cfg(test)]
mod tests;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use crate::background::Background;
use crate::claims::Claims;
use crate::error::StoreError;
use crate::health::{BackendHealth, Health};
use crate::kv::KvStore;
use crate::queues::{QueueError, QueueStore};
use crate::signals::Signals;

/// How long one call (its retries included) may wait for the database.
pub(crate) const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections one host keeps to the database at most.
const POOL_SIZE: usize = 16;

/// How many times a call is tried when its connection breaks.
const ATTEMPTS: u32 = 3;

/// The tables, created by the first host to open the database. Hosts that
/// start together take turns through an advisory lock, since `IF NOT
/// EXISTS` alone races.
const SCHEMA: &str = "
    SET client_min_messages = warning;
    SELECT pg_advisory_xact_lock(7305228110421501267);
    CREATE TABLE IF NOT EXISTS isola_kv (
        namespace text NOT NULL,
        key bytea NOT NULL,
        value bytea NOT NULL,
        PRIMARY KEY (namespace, key)
    );
    CREATE TABLE IF NOT EXISTS isola_cache (
        cache bytea NOT NULL,
        url text NOT NULL,
        entry bytea NOT NULL,
        PRIMARY KEY (cache, url)
    );
    CREATE TABLE IF NOT EXISTS isola_claims (
        event text NOT NULL,
        due_ms bigint NOT NULL,
        PRIMARY KEY (event, due_ms)
    );
    CREATE TABLE IF NOT EXISTS isola_signals (
        name text PRIMARY KEY,
        count bigint NOT NULL
    );
    CREATE TABLE IF NOT EXISTS isola_queue_messages (
        seq bigserial PRIMARY KEY,
        id text NOT NULL,
        queue text NOT NULL,
        body bytea NOT NULL,
        size bigint NOT NULL,
        content_type text NOT NULL,
        timestamp bigint NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        visible_at bigint NOT NULL,
        leased_until bigint NOT NULL DEFAULT 0
    );
    CREATE INDEX IF NOT EXISTS isola_queue_messages_visible
        ON isola_queue_messages (queue, visible_at);
    CREATE TABLE IF NOT EXISTS isola_r2_buckets (
        name text PRIMARY KEY,
        created bigint NOT NULL
    );
    CREATE TABLE IF NOT EXISTS isola_r2_objects (
        bucket text NOT NULL,
        key bytea NOT NULL,
        version text NOT NULL,
        size bigint NOT NULL,
        etag text NOT NULL,
        uploaded bigint NOT NULL,
        http_metadata text NOT NULL,
        custom_metadata text NOT NULL,
        checksums text NOT NULL,
        blob text NOT NULL,
        PRIMARY KEY (bucket, key)
    );
    CREATE TABLE IF NOT EXISTS isola_r2_uploads (
        id text PRIMARY KEY,
        bucket text NOT NULL,
        key bytea NOT NULL,
        http_metadata text NOT NULL,
        custom_metadata text NOT NULL,
        created bigint NOT NULL,
        state integer NOT NULL DEFAULT 0
    );
    CREATE TABLE IF NOT EXISTS isola_r2_parts (
        upload text NOT NULL,
        number integer NOT NULL,
        size bigint NOT NULL,
        etag text NOT NULL,
        md5 bytea NOT NULL,
        blob text NOT NULL,
        PRIMARY KEY (upload, number)
    );
";

/// A pool of connections to one database, and the runtime that drives it.
pub(crate) struct PgStore {
    pool: Pool,
    runtime: Background,
    /// The database's URL without the password (`postgres://user@host:port/db`).
    url: String,
    /// The database as messages name it.
    name: String,
    /// Whether the tables are known to exist: created on the first
    /// connection that works.
    schema: Arc<AtomicBool>,
    /// Set once the host stops: no write may follow.
    sealed: AtomicBool,
    health: Health,
}

impl KvStore {
    /// KV and the Cache API in the Postgres database at `url`
    /// (`postgres://user@host:port/db`), remembering KV reads for
    /// `cache_ttl` unless a Worker's `cacheTtl` says otherwise (zero: every
    /// read asks the database). The password, when the server asks for
    /// one, comes from `PGPASSWORD`: a URL that carries one is refused, so
    /// that it is never kept in a config file.
    pub fn postgres(url: &str, cache_ttl: Duration) -> Result<Self, StoreError> {
        let store = Arc::new(PgStore::open(url)?);
        Ok(Self::new(store.clone(), store.clone())
            .remembering_reads(cache_ttl)
            .claiming_in(Claims::shared(store.clone()))
            .signalling_in(Signals::shared(store)))
    }
}

impl QueueStore {
    /// Queues in the Postgres database at `url`, shared with the other
    /// hosts that name it (the URL as [`KvStore::postgres`] takes it).
    pub fn postgres(url: &str) -> Result<Self, QueueError> {
        let store = PgStore::open(url).map_err(|e| QueueError::Storage(e.to_string()))?;
        Ok(Self::on(Arc::new(store)))
    }
}

impl PgStore {
    /// The database at `url`, for R2's rows (see `r2`).
    pub(crate) fn for_r2(url: &str) -> Result<Arc<Self>, crate::r2::R2Error> {
        Self::open(url)
            .map(Arc::new)
            .map_err(crate::r2::R2Error::storage)
    }

    pub(crate) fn open(url: &str) -> Result<Self, StoreError> {
        // What comes before `@` may hold a password: it stays out of
        // messages.
        let shown = url.rsplit_once('@').map_or(url, |(_, rest)| rest);
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Database(format!("{shown:?} is not a PostgreSQL URL: {e}")))?;
        let url = describe(&config);
        let name = format!("the PostgreSQL database {url}");
        if config.get_password().is_some() {
            return Err(StoreError::Database(format!(
                "the URL of {name} carries a password: give it in PGPASSWORD instead"
            )));
        }
        if let Ok(password) = std::env::var("PGPASSWORD") {
            config.password(password);
        }
        config.connect_timeout(CALL_TIMEOUT);
        config.application_name("isola");
        let runtime = Background::start("isola-postgres", 2)
            .map_err(|e| StoreError::Database(format!("{name}: cannot start a runtime: {e}")))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(CALL_TIMEOUT))
            .create_timeout(Some(CALL_TIMEOUT))
            .recycle_timeout(Some(CALL_TIMEOUT))
            .build()
            .map_err(|e| StoreError::Database(format!("{name}: {e}")))?;
        let store = Self {
            pool,
            runtime,
            url,
            name,
            schema: Arc::default(),
            sealed: AtomicBool::new(false),
            health: Health::default(),
        };
        // A host comes up while its database is away (its KV calls fail
        // until it is back), so that its other Workers serve meanwhile.
        if let Err(e) = store.call(|_| async { Ok(()) }) {
            tracing::warn!("{e}: the stores it holds fail until it answers");
        }
        Ok(store)
    }

    /// Runs `query` on a pooled connection on this store's runtime and
    /// waits for it. A broken connection is replaced and the query tried
    /// again, so `query` must be safe to repeat; the whole call fails after
    /// [`CALL_TIMEOUT`].
    fn call<T, F, Fut>(&self, query: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(deadpool_postgres::Object) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, tokio_postgres::Error>> + Send,
    {
        self.attempt(ATTEMPTS, query)
    }

    /// [`call`](Self::call) for a query that must not run twice: it is
    /// tried again only when no connection could be had.
    fn call_once<T, F, Fut>(&self, query: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(deadpool_postgres::Object) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, tokio_postgres::Error>> + Send,
    {
        self.attempt(1, query)
    }

    /// Runs `query`, trying again up to `attempts` times in all when its
    /// connection breaks (and up to [`ATTEMPTS`] when none can be had).
    fn attempt<T, F, Fut>(&self, attempts: u32, query: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(deadpool_postgres::Object) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, tokio_postgres::Error>> + Send,
    {
        let pool = self.pool.clone();
        let name = self.name.clone();
        let schema = self.schema.clone();
        let attempts = async move {
            let mut backoff = Duration::from_millis(50);
            let mut attempt = 1;
            loop {
                let (failure, limit) = match pool.get().await {
                    Ok(client) => match with_schema(&schema, client, &query).await {
                        Ok(value) => return Ok(value),
                        Err(e) if e.is_closed() || io_failure(&e) => (explain(&e), attempts),
                        Err(e) => {
                            return Err(StoreError::Database(format!("{name}: {}", explain(&e))));
                        }
                    },
                    Err(e) => (e.to_string(), ATTEMPTS),
                };
                if attempt >= limit {
                    return Err(StoreError::Database(format!(
                        "{name} cannot be reached: {failure}"
                    )));
                }
                tracing::debug!("{name}: {failure}; trying again");
                tokio::time::sleep(backoff).await;
                backoff *= 2;
                attempt += 1;
            }
        };
        let name = &self.name;
        let started = Instant::now();
        let answer = self
            .runtime
            .wait_for(name, CALL_TIMEOUT, attempts)
            .map_err(StoreError::Database)
            .and_then(|answer| answer);
        let error = answer.as_ref().err().map(ToString::to_string);
        self.health.record(started.elapsed(), error.as_deref());
        answer
    }

    /// How the database has answered `store`'s calls so far.
    pub(crate) fn health(&self, store: &str) -> BackendHealth {
        self.health.report(store, &self.url)
    }

    /// Refuses a write once the host is stopping.
    fn writable(&self) -> Result<(), StoreError> {
        if self.sealed.load(Ordering::Acquire) {
            return Err(StoreError::Stopping);
        }
        Ok(())
    }
}

/// Creates the tables on `client` unless that is known to be done, then
/// runs `query` on it.
async fn with_schema<T, F, Fut>(
    schema: &AtomicBool,
    client: deadpool_postgres::Object,
    query: &F,
) -> Result<T, tokio_postgres::Error>
where
    F: Fn(deadpool_postgres::Object) -> Fut,
    Fut: Future<Output = Result<T, tokio_postgres::Error>>,
{
    if !schema.load(Ordering::Acquire) {
        client.batch_execute(SCHEMA).await?;
        schema.store(true, Ordering::Release);
    }
    query(client).await
}

/// `postgres://user@host:port/db` without the password, for messages.
fn describe(config: &tokio_postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
        Some(tokio_postgres::config::Host::Unix(path)) => path.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config
        .get_user()
        .map(|u| format!("{u}@"))
        .unwrap_or_default();
    let db = config.get_dbname().unwrap_or_default();
    format!("postgres://{user}{host}:{port}/{db}")
}

/// What went wrong, in the server's words when it answered with an error
/// (tokio-postgres says only "db error" then).
fn explain(error: &tokio_postgres::Error) -> String {
    match (error.as_db_error(), std::error::Error::source(error)) {
        (Some(db), _) => format!("{} ({})", db.message(), db.code().code()),
        (None, Some(source)) => format!("{error}: {source}"),
        (None, None) => error.to_string(),
    }
}

/// Whether `error` is the connection failing rather than the query.
fn io_failure(error: &tokio_postgres::Error) -> bool {
    std::error::Error::source(error).is_some_and(|source| source.is::<std::io::Error>())
}
