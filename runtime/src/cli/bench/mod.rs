//! `isola bench`: measurements of the host itself. HTTP throughput is
//! measured from outside with `wrk` instead (`scripts/bench-http`).
//!
//! - `isola bench workers` (in-process, so that it times exactly one
//!   thing): how long a Worker that has no isolate yet takes from its first
//!   request to its response while the pool is warm (the cold start a user
//!   sees), over many Workers; and the memory each idle isolate costs.
//! - `isola bench cold-start`: JS isolates against Wasm instances, step by
//!   step, with a chart.
//! - `isola bench sockets`: memory per idle WebSocket a server holds
//!   (from outside, given its pid), e.g. with hibernated Durable Objects.
//! - `isola bench dev`: the development loop as a user lives it, from
//!   outside: `isola dev` started to its first 200, an edit saved to the
//!   first response that shows it.

mod cold_start;
mod dev;
mod sockets;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use clap::{Args, Subcommand};
use http_body_util::{BodyExt, Full};
use isola_apis::Stores;
use tokio::sync::oneshot;

use crate::config::WorkerConfig;
use crate::exchange::{Event, Exchange, Outcome};
use crate::instance::{Instance, Launcher};
use crate::isolate::Pool;
use crate::limits::Limits;
use crate::outbound::Outbound;
use crate::worker::WorkerVersion;

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub bench: Bench,
}

#[derive(Debug, Subcommand)]
pub enum Bench {
    /// First request to response for newly loaded Workers, pool warm; memory
    /// per idle isolate.
    Workers {
        /// How many Workers to load.
        #[arg(long, default_value_t = 100)]
        count: usize,
        /// Warm isolates the pool keeps.
        #[arg(long, default_value_t = 2)]
        warm: usize,
    },
    /// Cold start of JS isolates and Wasm guests, step by step; writes an SVG.
    ColdStart(cold_start::ColdStartArgs),
    /// `isola dev` on a project: start to first 200, edit to new response.
    Dev(dev::DevBenchArgs),
    /// Memory per idle WebSocket a running server holds, given its pid.
    Sockets(sockets::SocketsArgs),
}

pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    match args.bench {
        Bench::Workers { count, warm } => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(workers(count, warm)),
        Bench::ColdStart(args) => cold_start::run(&args),
        Bench::Dev(args) => dev::run(&args),
        Bench::Sockets(args) => sockets::run(&args),
    }
}

#[allow(clippy::print_stdout, reason = "the report is the command's output")]
async fn workers(count: usize, warm: usize) -> anyhow::Result<()> {
    anyhow::ensure!(
        count > 0 && warm > 0,
        "--count and --warm must be at least 1"
    );
    let dir = tempfile::tempdir()?;
    let memory_per_isolate = 128 * 1024 * 1024;
    let rss_before = rss_bytes("self");
    let launcher = Launcher::new(
        Pool::new(warm, memory_per_isolate),
        Stores::memory(),
        Outbound::default(),
    );
    let pool = launcher.pool();
    wait_until_warm(pool, warm).await?;
    let rss_warm = rss_bytes("self");

    let creations = isolate_creations(pool, count.min(20)).await?;
    let (times, _isolates) = load_workers(&launcher, dir.path(), count, warm).await?;
    wait_until_warm(pool, warm).await?;
    let rss_loaded = rss_bytes("self");

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let percentile = |p: f64| percentile(&times, p);
    println!(
        "Newly loaded Worker, first request to response (pool of {warm} warm isolates), {count} Workers:"
    );
    println!("| median | p99 | min | max |");
    println!("| --- | --- | --- | --- |");
    println!(
        "| {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms |",
        ms(percentile(0.5)),
        ms(percentile(0.99)),
        ms(times[0]),
        ms(times[times.len() - 1])
    );
    println!();
    println!(
        "Creating an isolate with the Workers global scope: median {:.1} ms over {} (min {:.1} ms)",
        ms(creations[creations.len() / 2]),
        creations.len(),
        ms(creations[0])
    );
    println!();
    println!("Memory (resident):");
    println!("| what | per isolate |");
    println!("| --- | --- |");
    println!(
        "| a warm isolate (global scope, no Worker) | {:.1} MB |",
        (rss_warm.saturating_sub(rss_before)) as f64 / warm as f64 / 1e6
    );
    println!(
        "| an idle isolate with a hello Worker loaded | {:.1} MB |",
        (rss_loaded.saturating_sub(rss_warm)) as f64 / count as f64 / 1e6
    );
    Ok(())
}

/// Creates `count` isolates from scratch, one after another; how long each
/// took, sorted.
async fn isolate_creations(pool: &Pool, count: usize) -> anyhow::Result<Vec<Duration>> {
    let mut creations = Vec::with_capacity(count);
    for _ in 0..count {
        let started = Instant::now();
        drop(pool.fresh().await?);
        creations.push(started.elapsed());
    }
    creations.sort();
    Ok(creations)
}

/// Loads `count` hello Workers (written to `dir`) into warm isolates of
/// `pool`, waiting for `warm` of them before each: how long each took from
/// load to first response (sorted), and the isolates, still loaded.
async fn load_workers(
    launcher: &Launcher,
    dir: &Path,
    count: usize,
    warm: usize,
) -> anyhow::Result<(Vec<Duration>, Vec<Instance>)> {
    let mut times = Vec::with_capacity(count);
    let mut isolates = Vec::with_capacity(count);
    for i in 0..count {
        let version = prepare(dir, i)?;
        wait_until_warm(launcher.pool(), warm).await?;
        let started = Instant::now();
        let isolate = launcher.start(version, Limits::default(), None).await?;
        let body = first_response(&isolate).await?;
        times.push(started.elapsed());
        anyhow::ensure!(
            body == format!("worker {i}"),
            "Worker {i} answered {body:?}"
        );
        isolates.push(isolate);
    }
    times.sort();
    Ok((times, isolates))
}

/// The `p` quantile (0 to 1) of `sorted`, which is not empty.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// Writes Worker `i` (a hello Worker that names itself) and prepares it.
fn prepare(dir: &Path, i: usize) -> anyhow::Result<Arc<WorkerVersion>> {
    let path = dir.join(format!("worker{i}.js"));
    std::fs::write(
        &path,
        format!("export default {{ fetch: () => new Response('worker {i}') }}\n"),
    )?;
    let config = WorkerConfig::load(&path)?;
    Ok(WorkerVersion::prepare(
        config,
        &crate::config::default_cf(),
    )?)
}

async fn first_response(isolate: &Instance) -> anyhow::Result<String> {
    let (reply, outcome) = oneshot::channel();
    let request = http::Request::get("http://localhost/").body(Full::new(Bytes::new()))?;
    let _in_flight = isolate
        .dispatch(Event::Fetch(Exchange::from_request(request, 0, reply)))
        .map_err(|_| anyhow::anyhow!("the isolate stopped"))?;
    match outcome.await.context("no answer")? {
        Outcome::Response(response) => {
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            Ok(String::from_utf8_lossy(&body.to_bytes()).into_owned())
        }
        Outcome::Failed { failure, .. } => anyhow::bail!("the Worker failed: {}", failure.name()),
    }
}

async fn wait_until_warm(pool: &Pool, warm: usize) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while pool.warm() < warm {
        anyhow::ensure!(Instant::now() < deadline, "the pool did not warm up");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(())
}

/// The resident memory of process `pid` (or `self`), from /proc.
fn rss_bytes(pid: &str) -> u64 {
    let statm = std::fs::read_to_string(format!("/proc/{pid}/statm")).unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64;
    pages * page
}
