//! What one host serves: Workers, their routes and failure policy, limits,
//! and the isolate pool.
//!
//! `isola serve a/ b.js` serves each Worker on the routes its own config
//! declares. An `isola.toml` says more:
//!
//! ```toml
//! [pool]
//! warm = 1                 # bootstrapped isolates kept ready
//! isolates_per_worker = 2  # most isolates one Worker may run on
//! concurrency = 16         # requests one isolate serves at once
//! memory_mb = 128          # memory per isolate
//!
//! [limits]                 # defaults for every Worker
//! cpu_ms = 50
//! subrequests = 50
//!
//! [storage]                # stores shared with other hosts (docs/cluster.md)
//! kv = "postgres://isola@db.internal:5432/isola"   # KV and the Cache API
//! kv_cache_ttl = 60        # seconds a host answers KV reads from its cache
//! queues = "postgres://isola@db.internal:5432/isola"
//! r2 = "s3://isola-objects?endpoint=http://minio.internal:9000"  # R2's bytes
//!
//! [cluster]                # owners of D1 databases and Durable Objects
//! etcd = ["http://etcd.internal:2379"]                          # (`super::cluster`)
//! host = "web-1"
//! listen = "0.0.0.0:8788"
//! url = "http://web-1.internal:8788"
//! replicas = "s3://isola-replicas?endpoint=http://minio.internal:9000"
//!
//! [[workers]]
//! path = "shop"                       # script, wrangler config or directory
//! routes = ["shop.localhost/*"]       # replaces the Worker's own routes
//! origin = "http://127.0.0.1:9000"    # where passed-through requests go
//! fail_open = true                    # pass through on exceptions and limits
//! limits = { cpu_ms = 100 }
//! ```

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use isola_apis::SharedStorage;
use isola_apis::durable_objects::ObjectBinding;
use isola_apis::services::ServiceBinding;

use super::cluster::{ClusterOptions, RawCluster};
use super::{ConfigError, LoadOptions, RoutePattern, WorkerConfig};
use crate::limits::{Limits, LimitsConfig};
use crate::outbound::Outbound;

/// The names of the Workers that the service bindings of `workers` call,
/// and those whose Durable Object classes their namespace bindings name,
/// each Worker's binding to itself aside (such a Worker still serves
/// requests from outside).
pub fn service_targets<'a>(
    workers: impl IntoIterator<Item = &'a WorkerConfig>,
) -> HashSet<&'a str> {
    workers
        .into_iter()
        .flat_map(|w| {
            let services = w
                .bindings_of::<ServiceBinding>()
                .map(|s| s.service.as_str());
            let classes = w
                .bindings_of::<ObjectBinding>()
                .filter_map(|o| o.script_name.as_deref());
            services.chain(classes).filter(move |name| *name != w.name)
        })
        .collect()
}

/// Most memory one isolate or guest instance may be given, in MiB.
pub const MAX_MEMORY_MB: usize = 16 * 1024;

/// `mb` MiB in bytes, if it is a memory limit an isolate can have: at least
/// 1 MiB, at most [`MAX_MEMORY_MB`].
pub fn memory_bytes(mb: usize) -> Result<usize, String> {
    if !(1..=MAX_MEMORY_MB).contains(&mb) {
        return Err(format!(
            "{mb} is not a memory limit: give from 1 to {MAX_MEMORY_MB} (MiB)"
        ));
    }
    Ok(mb * 1024 * 1024)
}

/// How isolates are pooled and shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolConfig {
    /// Bootstrapped isolates kept ready for Workers to load into.
    pub warm: usize,
    /// Most isolates one Worker runs on at once.
    pub isolates_per_worker: usize,
    /// Requests one isolate serves at once before another is started.
    pub concurrency: usize,
    /// Memory one isolate may use (its JS heap and what the engine allocates).
    pub memory_bytes: usize,
}

impl Default for PoolConfig {
    /// One warm isolate (each costs memory while it waits) and as many
    /// isolates per Worker as there are cores.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self {
            warm: 1,
            isolates_per_worker: cores,
            concurrency: 16,
            memory_bytes: 128 * 1024 * 1024,
        }
    }
}

/// One Worker as the host runs it.
#[derive(Debug, Clone)]
pub struct WorkerEntry {
    pub config: WorkerConfig,
    /// Most specific first; empty for the host's default Worker.
    pub routes: Vec<RoutePattern>,
    /// The origin behind the Worker, for passed-through requests.
    pub origin: Option<url::Url>,
    /// Whether an exception or exceeded limit passes the request through to
    /// the origin instead of answering with an error.
    pub fail_open: bool,
    pub limits: Limits,
    /// How its config is read again when it is reloaded.
    pub load: LoadOptions,
}

/// Everything one `isola serve` (or `isola dev`) runs.
#[derive(Debug, Clone)]
pub struct HostConfig {
    pub workers: Vec<WorkerEntry>,
    pub pool: PoolConfig,
    pub options: HostOptions,
}

/// How the host behaves beyond its Workers.
#[derive(Debug, Clone, PartialEq)]
pub struct HostOptions {
    /// Development: error pages show the error and its stack, and
    /// `/cdn-cgi/handler/scheduled` runs a Worker's `scheduled` handler.
    pub dev: bool,
    /// `/__scheduled?cron=` runs the `scheduled` handler too
    /// (`--test-scheduled`, as in wrangler).
    pub test_scheduled: bool,
    /// Log one line per request: method, path, status, time.
    pub log_requests: bool,
    /// `request.cf` of every incoming request.
    pub cf: serde_json::Value,
    /// Where Workers' subrequests may go.
    pub outbound: Outbound,
    /// Most client connections open at once; None for the server's default.
    pub max_connections: Option<usize>,
    /// The Worker that gets what no route matches, when chosen by name
    /// (`isola dev`'s first); else the one without routes that no service
    /// binding reaches.
    pub default_worker: Option<String>,
    /// How long a Durable Object stays in memory without an event.
    pub object_idle: std::time::Duration,
    /// The stores kept in backends other hosts share.
    pub storage: SharedStorage,
    /// This host's place in a deployment of several (`[cluster]`).
    pub cluster: Option<ClusterOptions>,
}

impl Default for HostOptions {
    fn default() -> Self {
        Self {
            dev: false,
            test_scheduled: false,
            log_requests: false,
            cf: default_cf(),
            outbound: Outbound::default(),
            max_connections: None,
            default_worker: None,
            object_idle: isola_apis::durable_objects::DEFAULT_IDLE,
            storage: SharedStorage::default(),
            cluster: None,
        }
    }
}

/// A plausible `request.cf` for a request that never crossed Cloudflare:
/// the placeholder wrangler's local simulator uses.
pub fn default_cf() -> serde_json::Value {
    serde_json::json!({
        "asOrganization": "",
        "asn": 395747,
        "colo": "DFW",
        "city": "Austin",
        "region": "Texas",
        "regionCode": "TX",
        "metroCode": "635",
        "postalCode": "78701",
        "country": "US",
        "continent": "NA",
        "timezone": "America/Chicago",
        "latitude": "30.27130",
        "longitude": "-97.74260",
        "clientTcpRtt": 0,
        "httpProtocol": "HTTP/1.1",
        "requestPriority": "weight=192;exclusive=0",
        "tlsCipher": "AEAD-AES128-GCM-SHA256",
        "tlsVersion": "TLSv1.3",
        "edgeRequestKeepAliveStatus": 0,
        "clientTrustScore": 99,
        "botManagement": {
            "corporateProxy": false,
            "verifiedBot": false,
            "ja3Hash": "25b4882c2bcb50cd6b469ff28c596742",
            "staticResource": false,
            "detectionIds": [],
            "score": 99
        }
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHostConfig {
    #[serde(default)]
    pool: RawPool,
    #[serde(default)]
    outbound: RawOutbound,
    #[serde(default)]
    limits: LimitsConfig,
    #[serde(default)]
    storage: RawStorage,
    cluster: Option<RawCluster>,
    #[serde(default)]
    workers: Vec<RawWorker>,
}

/// `[storage]`: the backends other hosts share, by the stores they hold.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStorage {
    kv: Option<String>,
    kv_cache_ttl: Option<u64>,
    queues: Option<String>,
    r2: Option<String>,
}

impl RawStorage {
    fn validated(self, source: &Path) -> Result<SharedStorage, ConfigError> {
        for (name, url) in [("kv", &self.kv), ("queues", &self.queues)] {
            if let Some(url) = url
                && !(url.starts_with("postgres://") || url.starts_with("postgresql://"))
            {
                return Err(ConfigError::new(
                    source,
                    format!(
                        "`storage.{name}` = {url:?}: it is shared through PostgreSQL; \
                         give postgres://user@host:port/database"
                    ),
                ));
            }
        }
        if let Some(r2) = &self.r2 {
            isola_storage::r2::S3Location::parse(r2)
                .map_err(|e| ConfigError::new(source, format!("`storage.r2`: {e}")))?;
            if self.kv.is_none() {
                return Err(ConfigError::new(
                    source,
                    "`storage.r2` keeps object bytes in S3 and what R2 knows of them \
                     (keys, metadata, uploads) in KV's database: give `storage.kv` too",
                ));
            }
        }
        if self.kv.is_none() && self.kv_cache_ttl.is_some() {
            return Err(ConfigError::new(
                source,
                "`storage.kv_cache_ttl` applies to a shared KV: give `storage.kv` too",
            ));
        }
        Ok(SharedStorage {
            kv: self.kv,
            kv_cache_ttl: self.kv_cache_ttl,
            queues: self.queues,
            r2: self.r2,
            cluster: None,
        })
    }
}

/// `[outbound]`: local addresses Workers may reach (see `crate::outbound`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutbound {
    #[serde(default)]
    allow: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPool {
    warm: Option<usize>,
    isolates_per_worker: Option<usize>,
    concurrency: Option<usize>,
    memory_mb: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorker {
    path: PathBuf,
    routes: Option<Vec<String>>,
    origin: Option<String>,
    #[serde(default)]
    fail_open: bool,
    #[serde(default)]
    limits: LimitsConfig,
}

impl HostConfig {
    /// The host for `isola serve <paths>`: one `isola.toml`, or Worker
    /// paths (scripts, wrangler configs, directories), each read as `load`
    /// says. `limits` are the defaults the command line set.
    pub fn load(
        paths: &[PathBuf],
        limits: &LimitsConfig,
        load: &LoadOptions,
    ) -> Result<Self, ConfigError> {
        if let [path] = paths
            && path.file_name().is_some_and(|name| name == "isola.toml")
        {
            return Self::from_file(path, limits, load);
        }
        let defaults = limits
            .apply(Limits::default())
            .map_err(|m| ConfigError::new(Path::new("command line"), m))?;
        let workers = paths
            .iter()
            .map(|path| {
                let config = WorkerConfig::load_with(path, load)?;
                let routes = config.routes.clone();
                entry(
                    path,
                    config,
                    &routes,
                    None,
                    false,
                    defaults,
                    &LimitsConfig::default(),
                    load,
                )
            })
            .collect::<Result<_, _>>()?;
        let host = Self::validated(workers, PoolConfig::default(), Path::new("command line"))?;
        host.check_one_default(Path::new("command line"))?;
        Ok(host)
    }

    fn from_file(
        path: &Path,
        cli_limits: &LimitsConfig,
        load: &LoadOptions,
    ) -> Result<Self, ConfigError> {
        let text = super::wrangler::read(path)?;
        let raw: RawHostConfig = toml::from_str(&text).map_err(|e| ConfigError::new(path, e))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let defaults = raw
            .limits
            .apply(Limits::default())
            .and_then(|limits| cli_limits.apply(limits))
            .map_err(|m| ConfigError::new(path, m))?;
        let mut pool = PoolConfig::default();
        pool.warm = raw.pool.warm.unwrap_or(pool.warm);
        pool.isolates_per_worker = raw
            .pool
            .isolates_per_worker
            .unwrap_or(pool.isolates_per_worker);
        pool.concurrency = raw.pool.concurrency.unwrap_or(pool.concurrency);
        if let Some(mb) = raw.pool.memory_mb {
            pool.memory_bytes = memory_bytes(mb)
                .map_err(|m| ConfigError::new(path, format!("`memory_mb`: {m}")))?;
        }
        if pool.isolates_per_worker == 0 || pool.concurrency == 0 {
            return Err(ConfigError::new(
                path,
                "`isolates_per_worker` and `concurrency` must be at least 1",
            ));
        }
        let workers = raw
            .workers
            .into_iter()
            .map(|worker| {
                let worker_path = dir.join(&worker.path);
                let config = WorkerConfig::load_with(&worker_path, load)?;
                let routes = worker.routes.unwrap_or_else(|| config.routes.clone());
                entry(
                    path,
                    config,
                    &routes,
                    worker.origin.as_deref(),
                    worker.fail_open,
                    defaults,
                    &worker.limits,
                    load,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        if workers.is_empty() {
            return Err(ConfigError::new(
                path,
                "no [[workers]]: name at least one Worker",
            ));
        }
        let mut host = Self::validated(workers, pool, path)?;
        host.check_one_default(path)?;
        host.options.outbound.allow = raw
            .outbound
            .allow
            .iter()
            .map(|entry| Outbound::parse_allowed(entry))
            .collect::<Result<_, _>>()
            .map_err(|m| ConfigError::new(path, format!("`outbound.allow`: {m}")))?;
        host.options.storage = raw.storage.validated(path)?;
        host.options.cluster = raw
            .cluster
            .map(|cluster| cluster.validated(path))
            .transpose()?;
        Ok(host)
    }

    /// What `isola dev` runs: the Workers of `paths` (wrangler configs, as
    /// `wrangler dev -c a -c b` takes them), the first answering every
    /// request and the others reached through its service bindings;
    /// routes do not apply, as in `wrangler dev`.
    pub fn for_dev(paths: &[PathBuf], load: &LoadOptions) -> Result<Self, ConfigError> {
        let source = Path::new("command line");
        let workers = paths
            .iter()
            .map(|path| {
                let config = WorkerConfig::load_with(path, load)?;
                entry(
                    path,
                    config,
                    &[],
                    None,
                    false,
                    Limits::default(),
                    &LimitsConfig::default(),
                    load,
                )
            })
            .collect::<Result<_, _>>()?;
        let mut host = Self::validated(workers, PoolConfig::default(), source)?;
        host.options.default_worker = host.workers.first().map(|w| w.config.name.clone());
        Ok(host)
    }

    /// A Worker that others reach through service bindings needs no route;
    /// of the others, one at most may have none (the default).
    fn check_one_default(&self, source: &Path) -> Result<(), ConfigError> {
        let workers = &self.workers;
        let bound = service_targets(workers.iter().map(|w| &w.config));
        let unrouted: Vec<&str> = workers
            .iter()
            .filter(|w| w.routes.is_empty() && !bound.contains(w.config.name.as_str()))
            .map(|w| w.config.name.as_str())
            .collect();
        if unrouted.len() > 1 {
            return Err(ConfigError::new(
                source,
                format!(
                    "Workers {} have no routes; all but one (the default) need `routes`",
                    unrouted.join(", ")
                ),
            ));
        }
        Ok(())
    }

    /// Checks what concerns several Workers at once.
    fn validated(
        workers: Vec<WorkerEntry>,
        pool: PoolConfig,
        source: &Path,
    ) -> Result<Self, ConfigError> {
        let mut names: HashMap<&str, &Path> = HashMap::new();
        for worker in &workers {
            if let Some(other) = names.insert(&worker.config.name, &worker.config.source) {
                return Err(ConfigError::new(
                    source,
                    format!(
                        "two Workers are named {:?} ({} and {}): names must differ",
                        worker.config.name,
                        other.display(),
                        worker.config.source.display()
                    ),
                ));
            }
        }
        check_assets_apart(&workers, source)?;
        Ok(Self {
            workers,
            pool,
            options: HostOptions::default(),
        })
    }
}

/// No Worker's static assets reach into another Worker's folder (its
/// code, its `.dev.vars`), nor contain it: each serves only its own files.
fn check_assets_apart(workers: &[WorkerEntry], source: &Path) -> Result<(), ConfigError> {
    for worker in workers {
        let others = workers
            .iter()
            .map(|w| &w.config)
            .filter(|other| other.name != worker.config.name);
        assets_apart(&worker.config, others).map_err(|m| ConfigError::new(source, m))?;
    }
    Ok(())
}

/// Whether `worker`'s assets stay out of the folders of `others` (and do
/// not hold them); an error names both Workers.
pub fn assets_apart<'a>(
    worker: &WorkerConfig,
    others: impl Iterator<Item = &'a WorkerConfig>,
) -> Result<(), String> {
    let folder = |config: &WorkerConfig| {
        let dir = config.source.parent().unwrap_or(Path::new("/"));
        dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf())
    };
    let Some(assets) = &worker.assets else {
        return Ok(());
    };
    let own = folder(worker);
    for other in others {
        let theirs = folder(other);
        // Assets in a folder of its own nested in theirs are its own.
        let inside = assets.directory.starts_with(&theirs)
            && !(assets.directory.starts_with(&own) && own.starts_with(&theirs));
        if inside || theirs.starts_with(&assets.directory) {
            return Err(format!(
                "Worker {:?}: `assets.directory` {} reaches the folder of Worker {:?} ({}); \
                 a Worker serves only its own files",
                worker.name,
                assets.directory.display(),
                other.name,
                theirs.display()
            ));
        }
    }
    Ok(())
}

#[allow(
    clippy::too_many_arguments,
    reason = "each argument is one field of the entry, named at the call"
)]
fn entry(
    source: &Path,
    config: WorkerConfig,
    routes: &[String],
    origin: Option<&str>,
    fail_open: bool,
    defaults: Limits,
    overrides: &LimitsConfig,
    load: &LoadOptions,
) -> Result<WorkerEntry, ConfigError> {
    let name = config.name.clone();
    let fail = |message: String| ConfigError::new(source, format!("Worker {name:?}: {message}"));
    let mut routes = routes
        .iter()
        .map(|text| RoutePattern::parse(text))
        .collect::<Result<Vec<_>, _>>()
        .map_err(fail)?;
    routes.sort_by(RoutePattern::specificity);
    let origin = origin
        .map(|text| match url::Url::parse(text) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(url),
            _ => Err(fail(format!("`origin` {text:?} is not an http(s) URL"))),
        })
        .transpose()?;
    if fail_open && origin.is_none() {
        return Err(fail(
            "`fail_open` needs an `origin` to pass requests to".into(),
        ));
    }
    let limits = config
        .limits
        .apply(defaults)
        .and_then(|limits| overrides.apply(limits))
        .map_err(fail)?;
    Ok(WorkerEntry {
        config,
        routes,
        origin,
        fail_open,
        limits,
        load: load.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn shared_r2_needs_an_s3_url_and_kvs_database() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "w.js", "export default {}");
        let load = |storage: &str| {
            let host = write(
                dir.path(),
                "isola.toml",
                &format!("[storage]\n{storage}\n[[workers]]\npath = \"w.js\"\n"),
            );
            HostConfig::load(&[host], &LimitsConfig::default(), &LoadOptions::default())
                .map(|config| config.options.storage)
                .map_err(|e| e.to_string())
        };
        let kv = "kv = \"postgres://isola@db:5432/isola\"";
        let shared = load(&format!(
            "{kv}\nr2 = \"s3://objects?endpoint=http://s3:9000\""
        ))
        .unwrap();
        assert_eq!(
            shared.r2.as_deref(),
            Some("s3://objects?endpoint=http://s3:9000")
        );
        let alone = load("r2 = \"s3://objects\"").unwrap_err();
        assert!(alone.contains("give `storage.kv` too"), "{alone}");
        let keyed = load(&format!("{kv}\nr2 = \"s3://objects?secret_access_key=x\"")).unwrap_err();
        assert!(
            keyed.contains("`storage.r2`") && keyed.contains("unknown parameter"),
            "{keyed}"
        );
    }

    #[test]
    fn an_isola_toml_lists_workers_with_routes_origins_and_limits() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a/index.js", "export default {}");
        write(
            dir.path(),
            "a/wrangler.toml",
            "name = \"a\"\nmain = \"index.js\"\nroutes = [\"a.localhost/*\"]\n[limits]\ncpu_ms = 20\n",
        );
        write(dir.path(), "b.js", "export default {}");
        let host = write(
            dir.path(),
            "isola.toml",
            r#"
[pool]
warm = 3
concurrency = 8
[limits]
subrequests = 10
[[workers]]
path = "a"
[[workers]]
path = "b.js"
routes = ["*/b/*"]
origin = "http://127.0.0.1:9000"
fail_open = true
limits = { cpu_ms = 200 }
"#,
        );
        let config =
            HostConfig::load(&[host], &LimitsConfig::default(), &LoadOptions::default()).unwrap();
        assert_eq!(config.pool.warm, 3);
        assert_eq!(config.pool.concurrency, 8);
        let [a, b] = &config.workers[..] else {
            panic!()
        };
        assert_eq!(a.routes[0].to_string(), "a.localhost/*");
        assert_eq!(a.limits.cpu, std::time::Duration::from_millis(20));
        assert_eq!(a.limits.subrequests, 10);
        assert!(!a.fail_open);
        assert_eq!(b.config.name, "b");
        assert_eq!(b.limits.cpu, std::time::Duration::from_millis(200));
        assert_eq!(
            b.origin.as_ref().unwrap().as_str(),
            "http://127.0.0.1:9000/"
        );
        assert!(b.fail_open);
    }

    #[test]
    fn mistakes_are_reported_naming_the_file_and_worker() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.js", "export default {}");
        write(dir.path(), "b.js", "export default {}");

        let host = write(
            dir.path(),
            "isola.toml",
            "[[workers]]\npath = \"a.js\"\nfail_open = true\n",
        );
        let err = HostConfig::load(&[host], &LimitsConfig::default(), &LoadOptions::default())
            .unwrap_err();
        assert!(err.to_string().contains("isola.toml"), "{err}");
        assert!(err.to_string().contains("\"a\""), "{err}");
        assert!(err.to_string().contains("needs an `origin`"), "{err}");

        let host = write(
            dir.path(),
            "isola.toml",
            "[[workers]]\npath = \"a.js\"\nroute = 1\n",
        );
        let err = HostConfig::load(&[host], &LimitsConfig::default(), &LoadOptions::default())
            .unwrap_err();
        assert!(err.to_string().contains("route"), "{err}");

        let paths = [dir.path().join("a.js"), dir.path().join("b.js")];
        let err = HostConfig::load(&paths, &LimitsConfig::default(), &LoadOptions::default())
            .unwrap_err();
        assert!(err.to_string().contains("a, b have no routes"), "{err}");

        let paths = [dir.path().join("a.js"), dir.path().join("a.js")];
        let err = HostConfig::load(&paths, &LimitsConfig::default(), &LoadOptions::default())
            .unwrap_err();
        assert!(
            err.to_string().contains("two Workers are named \"a\""),
            "{err}"
        );
    }

    #[test]
    fn workers_reached_by_service_bindings_need_no_routes() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "auth/worker.js", "export default {}");
        write(
            dir.path(),
            "auth/wrangler.toml",
            "name = \"auth\"\nmain = \"worker.js\"\n",
        );
        write(dir.path(), "front/worker.js", "export default {}");
        let front = "name = \"front\"\nmain = \"worker.js\"\n\
                     [[services]]\nbinding = \"AUTH\"\nservice = \"auth\"\n";
        write(dir.path(), "front/wrangler.toml", front);
        let paths = [dir.path().join("auth"), dir.path().join("front")];
        let config =
            HostConfig::load(&paths, &LimitsConfig::default(), &LoadOptions::default()).unwrap();
        assert_eq!(
            service_targets(config.workers.iter().map(|w| &w.config)),
            HashSet::from(["auth"])
        );

        // A binding to a named entrypoint is read with it.
        write(
            dir.path(),
            "front/wrangler.toml",
            &format!("{front}entrypoint = \"Admin\"\n"),
        );
        let config =
            HostConfig::load(&paths, &LimitsConfig::default(), &LoadOptions::default()).unwrap();
        let front = &config.workers[1].config;
        let binding: Vec<&ServiceBinding> = front.bindings_of().collect();
        assert_eq!(binding[0].entrypoint.as_deref(), Some("Admin"));
    }
}
