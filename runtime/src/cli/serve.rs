//! `isola serve`: load Workers and serve them over HTTP.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use tokio::signal::unix::SignalKind;

use super::StateArgs;
use isola_apis::Stores;
use isola_storage::KvStore;

use crate::config::{HostConfig, LoadOptions, memory_bytes};
use crate::host::Host;
use crate::limits::LimitsConfig;
use crate::outbound::Outbound;
use crate::{admin, cluster, server};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Workers to serve: scripts, wrangler.toml / wrangler.json(c) files or
    /// directories holding one; or a single isola.toml.
    #[arg(required = true)]
    pub workers: Vec<PathBuf>,

    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8787)]
    pub port: u16,

    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,

    /// Most isolates one Worker runs on (default: one per CPU core).
    #[arg(long)]
    pub isolates: Option<usize>,

    /// Bootstrapped isolates kept ready for Workers (default 1).
    #[arg(long)]
    pub warm: Option<usize>,

    /// Requests one isolate serves at once before another is started.
    #[arg(long)]
    pub concurrency: Option<usize>,

    /// Memory per isolate, in MB (default 128).
    #[arg(long)]
    pub memory_mb: Option<usize>,

    /// Most client connections open at once (default: three quarters of
    /// the file descriptors the process may open).
    #[arg(long)]
    pub max_connections: Option<usize>,

    /// A local address or subnet Workers' subrequests may reach (loopback,
    /// private and link-local ones are refused otherwise); repeatable.
    #[arg(long = "allow-net", value_name = "ADDR")]
    pub allow_net: Vec<String>,

    /// CPU time per request, in ms (default 50, at most 30000).
    #[arg(long)]
    pub cpu_ms: Option<u64>,

    /// fetch() calls per request (default 50).
    #[arg(long)]
    pub subrequests: Option<u32>,

    /// Keep KV, D1 and other state in memory only, not in --persist-to.
    #[arg(long)]
    pub no_persist: bool,

    /// Seconds a Durable Object stays in memory without an event before
    /// it is evicted (default 70, as on Cloudflare).
    #[arg(long, value_name = "SECONDS")]
    pub object_idle_timeout: Option<u64>,

    #[command(flatten)]
    pub state: StateArgs,
}

#[allow(
    clippy::print_stdout,
    reason = "the ready line is the command's output"
)]
pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    let limits = LimitsConfig {
        cpu_ms: args.cpu_ms,
        subrequests: args.subrequests,
        ..Default::default()
    };
    let mut config = HostConfig::load(&args.workers, &limits, &LoadOptions::default())?;
    if let Some(isolates) = args.isolates {
        anyhow::ensure!(isolates > 0, "--isolates must be at least 1");
        config.pool.isolates_per_worker = isolates;
    }
    if let Some(concurrency) = args.concurrency {
        anyhow::ensure!(concurrency > 0, "--concurrency must be at least 1");
        config.pool.concurrency = concurrency;
    }
    config.pool.warm = args.warm.unwrap_or(config.pool.warm);
    if let Some(seconds) = args.object_idle_timeout {
        anyhow::ensure!(seconds > 0, "--object-idle-timeout must be at least 1");
        config.options.object_idle = std::time::Duration::from_secs(seconds);
    }
    if let Some(max) = args.max_connections {
        anyhow::ensure!(max > 0, "--max-connections must be at least 1");
        config.options.max_connections = Some(max);
    }
    for entry in &args.allow_net {
        let allowed =
            Outbound::parse_allowed(entry).map_err(|m| anyhow::anyhow!("--allow-net: {m}"))?;
        config.options.outbound.allow.push(allowed);
    }
    if let Some(mb) = args.memory_mb {
        config.pool.memory_bytes =
            memory_bytes(mb).map_err(|m| anyhow::anyhow!("--memory-mb: {m}"))?;
    }
    for worker in &config.workers {
        for warning in worker.config.warnings() {
            tracing::warn!("{warning}");
        }
    }
    if let Some(options) = &config.options.cluster {
        anyhow::ensure!(
            !args.no_persist,
            "[cluster] keeps local copies of the databases this host owns: \
             it cannot run with --no-persist"
        );
        let databases = cluster::join(options, &args.state.persist_to)?;
        config.options.storage.cluster = Some(isola_apis::Placement(databases));
    }
    let stores = if args.no_persist {
        Stores::memory()
    } else {
        Stores::in_dir(&args.state.persist_to)
    }
    .sharing(config.options.storage.clone());
    let addr = SocketAddr::new(args.host, args.port);
    run_host(
        config,
        stores,
        &args.state.persist_to,
        addr,
        |host, addr| {
            println!(
                "Ready on http://{addr} ({})",
                host.worker_names().join(", ")
            );
            Ok(())
        },
    )
}

/// Starts `config`'s Workers on `stores`, listens on `addr`, calls `ready`
/// with the address bound (what it returns lives as long as the server),
/// and serves until Ctrl-C or SIGTERM, when it seals the KV state. The
/// admin endpoint is found through `state_dir`.
pub(super) fn run_host<T>(
    config: HostConfig,
    stores: Stores,
    state_dir: &Path,
    addr: SocketAddr,
    ready: impl FnOnce(&Arc<Host>, SocketAddr) -> anyhow::Result<T>,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        // Opened now, so that a state directory another server holds is
        // reported before anything starts.
        let kv = stores.get::<KvStore>().map_err(anyhow::Error::msg)?;
        tokio::spawn(sweep_expired_kv(kv.clone()));
        let max_connections = config
            .options
            .max_connections
            .unwrap_or_else(server::default_max_connections);
        let internal = match (&config.options.cluster, &config.options.storage.cluster) {
            (Some(options), Some(placement)) => {
                Some((cluster::bind(options).await?, placement.0.clone()))
            }
            _ => None,
        };
        let host = Host::start(config, stores).await?;
        if let Some((listener, databases)) = internal {
            tokio::spawn(cluster::serve_internal(listener, host.clone(), databases));
        }
        let server = server::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let _admin = admin::start(host.clone(), state_dir).await?;
        let _ready = ready(&host, server.local_addr()?)?;
        let mut terminate = tokio::signal::unix::signal(SignalKind::terminate())
            .context("cannot watch for SIGTERM")?;
        tokio::select! {
            served = server.serve(host, max_connections) => served?,
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
        // Stopping cleanly: the next start checks KV against this seal.
        let sealed = tokio::task::spawn_blocking(move || kv.seal()).await?;
        sealed.map_err(anyhow::Error::msg)
    })
}

/// Removes expired KV entries now and then (they are invisible from the
/// moment they expire; this reclaims their space).
async fn sweep_expired_kv(kv: KvStore) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        every.tick().await;
        let kv = kv.clone();
        let swept = tokio::task::spawn_blocking(move || {
            let now = isola_storage::unix_now();
            // Hosts that share a database take turns: one sweeps each minute.
            let minute_ms = (now / 60 * 60_000) as i64;
            if !kv.claims().claim("kv:sweep", minute_ms)? {
                return Ok(0);
            }
            kv.sweep_expired(now)
        })
        .await;
        match swept {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::debug!("removed {n} expired KV entries"),
            Ok(Err(e)) => tracing::warn!("sweeping expired KV entries failed: {e}"),
            Err(e) => tracing::warn!("sweeping expired KV entries failed: {e}"),
        }
    }
}
