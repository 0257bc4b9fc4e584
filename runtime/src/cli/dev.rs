//! `isola dev`: serve one Workers project for development, as `wrangler
//! dev` does: its wrangler config as it is, secrets from `.dev.vars`, a
//! banner with its bindings, a log line per request, error pages with the
//! stack, and live reload on every edit.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use isola_apis::Stores;

use super::serve::run_host;
use crate::config::{
    HostConfig, LoadOptions, WorkerConfig, default_cf, find_config_above, is_script,
};
use crate::dev;
use crate::limits::LimitsConfig;

#[derive(Debug, Args)]
pub struct DevArgs {
    /// The project: a directory holding a wrangler config, the config, or
    /// a Worker script.
    #[arg(default_value = ".", conflicts_with = "configs")]
    pub path: PathBuf,

    /// A Worker's wrangler config (may repeat, as with `wrangler dev -c a
    /// -c b`): the first answers requests, the others are reached through
    /// its service bindings.
    #[arg(short = 'c', long = "config", value_name = "CONFIG")]
    pub configs: Vec<PathBuf>,

    /// Port to listen on (default: `[dev] port`, else 8787; 0 picks a free
    /// one).
    #[arg(long)]
    pub port: Option<u16>,

    /// Address to listen on (default: `[dev] ip`, else localhost).
    #[arg(long)]
    pub ip: Option<String>,

    /// The `[env.NAME]` section of the config to use.
    #[arg(long, short)]
    pub env: Option<String>,

    /// A var for the Worker's `env`, overriding the config's (may repeat).
    #[arg(long = "var", value_name = "KEY:VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,

    /// Where KV and D1 data live (default: `.isola/state` in the project).
    #[arg(long)]
    pub persist_to: Option<PathBuf>,

    /// Also run the `scheduled` handler on `GET /__scheduled?cron=...`.
    #[arg(long)]
    pub test_scheduled: bool,

    /// Seconds a Durable Object stays in memory without an event before
    /// it is evicted (default 70, as on Cloudflare).
    #[arg(long, value_name = "SECONDS")]
    pub object_idle_timeout: Option<u64>,

    /// A JSON file of `request.cf` fields, over the config's `[dev] cf`.
    #[arg(long, value_name = "FILE")]
    pub cf: Option<PathBuf>,

    /// Do not reload the Worker when its files change.
    #[arg(long)]
    pub no_watch: bool,
}

fn parse_var(text: &str) -> Result<(String, String), String> {
    text.split_once(':')
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .filter(|(key, _)| !key.is_empty())
        .ok_or_else(|| format!("expected KEY:VALUE, not {text:?}"))
}

#[allow(
    clippy::print_stdout,
    reason = "the banner and the ready line are the command's output"
)]
pub fn run(args: DevArgs) -> anyhow::Result<()> {
    // A script named on its own runs under the wrangler config of the
    // directory the command runs in (or one above), as `main`: that is
    // what `wrangler dev src/index.ts` does.
    let (paths, main) = match is_script(&args.path)
        .then(|| find_config_above(&std::env::current_dir().ok()?))
        .flatten()
    {
        Some(config) => (vec![config], Some(args.path)),
        None if args.configs.is_empty() => (vec![args.path], None),
        None => (args.configs, None),
    };
    let load = LoadOptions {
        env: args.env,
        dev_vars: true,
        vars: args.vars.into_iter().collect::<BTreeMap<_, _>>(),
        main,
    };
    let mut config = if paths.len() == 1 {
        HostConfig::load(&paths, &LimitsConfig::default(), &load)?
    } else {
        HostConfig::for_dev(&paths, &load)?
    };
    let workers: Vec<WorkerConfig> = config.workers.iter().map(|w| w.config.clone()).collect();
    let worker = workers[0].clone();
    for warning in workers.iter().flat_map(WorkerConfig::warnings) {
        tracing::warn!("{warning}");
    }
    let project = worker
        .source
        .parent()
        .context("the Worker's config has no directory")?
        .to_path_buf();
    let ip = match args.ip.as_deref().or(worker.dev.ip.as_deref()) {
        None | Some("localhost") => IpAddr::V4(Ipv4Addr::LOCALHOST),
        Some(text) => text
            .parse()
            .with_context(|| format!("{text:?} is not an IP address"))?,
    };
    let port = args.port.or(worker.dev.port).unwrap_or(8787);
    config.options.dev = true;
    // Local origins stay reachable, as in `wrangler dev`.
    config.options.outbound.local = true;
    config.options.log_requests = true;
    if let Some(seconds) = args.object_idle_timeout {
        anyhow::ensure!(seconds > 0, "--object-idle-timeout must be at least 1");
        config.options.object_idle = std::time::Duration::from_secs(seconds);
    }
    config.options.test_scheduled = args.test_scheduled;
    config.options.cf = cf(&worker.dev.cf, args.cf.as_deref())?;
    let persist_to = args
        .persist_to
        .unwrap_or_else(|| project.join(".isola/state"));
    let stores = Stores::in_dir(&persist_to);
    let state_dir = std::path::absolute(&persist_to)?;
    run_host(
        config,
        stores,
        &persist_to,
        SocketAddr::new(ip, port),
        |host, addr| {
            for worker in &workers {
                print!("{}", dev::banner(worker));
            }
            println!("Ready on http://{addr}");
            if args.no_watch {
                return Ok(Vec::new());
            }
            workers
                .iter()
                .map(|worker| {
                    let project = worker.source.parent().unwrap_or(Path::new("/"));
                    let assets = worker.assets.as_ref().map(|a| a.directory.clone());
                    dev::watch(
                        host.clone(),
                        worker.name.clone(),
                        project,
                        state_dir.clone(),
                        assets,
                    )
                    .with_context(|| format!("cannot watch {}", project.display()))
                })
                .collect()
        },
    )
}

/// `request.cf`: the placeholder values, the config's `[dev] cf` over them,
/// and the fields of `file` over those.
fn cf(
    config: &serde_json::Map<String, serde_json::Value>,
    file: Option<&Path>,
) -> anyhow::Result<serde_json::Value> {
    let mut cf = default_cf();
    let fields = cf.as_object_mut().expect("the placeholder cf is an object");
    fields.extend(config.clone());
    if let Some(file) = file {
        let text = std::fs::read_to_string(file).with_context(|| format!("{}", file.display()))?;
        let overrides: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text)
            .with_context(|| format!("{}: expected a JSON object", file.display()))?;
        fields.extend(overrides);
    }
    Ok(cf)
}
