//! `isola serve`: load a Worker and serve it over HTTP.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use crate::config::WorkerConfig;
use crate::host::Host;
use crate::http;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// A Worker script, or a wrangler.toml / wrangler.json / wrangler.jsonc.
    pub worker: PathBuf,

    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8787)]
    pub port: u16,

    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,

    /// Isolates running the Worker (default: one per CPU core).
    #[arg(long)]
    pub isolates: Option<usize>,
}

#[allow(
    clippy::print_stdout,
    reason = "the ready line is the command's output"
)]
pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    let config = WorkerConfig::load(&args.worker)?;
    for field in &config.ignored_fields {
        tracing::warn!(
            "{}: `{field}` is not supported yet and is ignored",
            args.worker.display()
        );
    }
    let isolates = args
        .isolates
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let host = Host::start(&config, isolates).await?;
        let server = http::bind(SocketAddr::new(args.host, args.port))
            .await
            .with_context(|| format!("cannot listen on {}:{}", args.host, args.port))?;
        let addr = server.local_addr()?;
        println!("Ready on http://{addr} ({})", host.worker_name());
        tokio::select! {
            served = server.serve(host) => served?,
            _ = tokio::signal::ctrl_c() => {}
        }
        Ok(())
    })
}
