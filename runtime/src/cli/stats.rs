//! `isola stats`: what a running server's Workers are doing.

use clap::Args;

use super::StateArgs;
use crate::admin;

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Print the stats as JSON.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub state: StateArgs,
}

#[allow(clippy::print_stdout, reason = "the stats are the command's output")]
pub fn run(args: StatsArgs) -> anyhow::Result<()> {
    let stats = super::block_on(admin::stats(&args.state.persist_to))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&stats)?);
        return Ok(());
    }
    println!("warm isolates: {}", stats.warm_isolates);
    println!(
        "{:<20} {:>9} {:>7} {:>9} {:>5} {:>8} {:>10}  errors",
        "worker", "requests", "passed", "isolates", "idle", "cpu ms", "memory MB"
    );
    for worker in &stats.workers {
        let errors: Vec<String> = worker
            .errors
            .iter()
            .map(|(kind, count)| format!("{kind}={count}"))
            .collect();
        println!(
            "{:<20} {:>9} {:>7} {:>9} {:>5} {:>8.1} {:>10.1}  {}",
            worker.name,
            worker.requests,
            worker.passed_through,
            worker.isolates,
            worker.idle_isolates,
            worker.cpu_ms,
            worker.memory_bytes as f64 / (1024.0 * 1024.0),
            if errors.is_empty() {
                "-".to_string()
            } else {
                errors.join(" ")
            }
        );
    }
    for backend in &stats.backends {
        println!(
            "{} in {}: {}, {} calls, {} failed, {:.2} ms mean, {:.2} ms last{}",
            backend.store,
            backend.backend,
            if backend.healthy {
                "healthy"
            } else {
                "failing"
            },
            backend.calls,
            backend.failures,
            backend.mean_ms,
            backend.last_ms,
            backend
                .last_error
                .as_ref()
                .map(|e| format!("; last error: {e}"))
                .unwrap_or_default()
        );
    }
    if let Some(cluster) = &stats.cluster {
        println!(
            "host {} of {} ({}); took over {} database(s) from other owners",
            cluster.host,
            cluster.hosts.len(),
            cluster.hosts.join(", "),
            cluster.takeovers
        );
        for owned in &cluster.owned {
            println!(
                "  owns {} (token {}): {} segments replicated, {} pending{}",
                owned.key,
                owned.token,
                owned.segments,
                owned.pending,
                owned
                    .failed
                    .as_ref()
                    .map(|e| format!("; replication failed: {e}"))
                    .unwrap_or_default()
            );
        }
    }
    Ok(())
}
