//! `isola bench sockets`: how much memory a server spends per idle
//! WebSocket it holds, measured from outside so that any server (isola,
//! workerd) can be compared: the server's RSS before the sockets, with them
//! open, and after they have been idle (long enough for Durable Objects to
//! hibernate); then every socket says something and must be answered,
//! which shows that none was dropped while idle. The server's Worker
//! should send nothing until it is spoken to.

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use futures::{SinkExt, StreamExt, stream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::rss_bytes;

#[derive(Debug, Args)]
pub struct SocketsArgs {
    /// Where to connect; `{i}` is replaced by the socket's number.
    #[arg(long)]
    url: String,
    /// The server's process id, whose RSS is measured.
    #[arg(long)]
    pid: u32,
    /// How many sockets to hold.
    #[arg(long, default_value_t = 10_000)]
    count: usize,
    /// Seconds the sockets stay idle before they are used again.
    #[arg(long, default_value_t = 5)]
    idle: u64,
    /// Handshakes in flight at once.
    #[arg(long, default_value_t = 64)]
    parallel: usize,
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub fn run(args: &SocketsArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.count > 0, "--count must be at least 1");
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(sockets(args))
}

#[allow(clippy::print_stdout, reason = "the report is the command's output")]
async fn sockets(args: &SocketsArgs) -> anyhow::Result<()> {
    let pid = args.pid.to_string();
    let mb = |bytes: u64| bytes as f64 / 1e6;
    let before = rss_bytes(&pid);
    anyhow::ensure!(before > 0, "no process {pid} to measure");

    let started = Instant::now();
    let opened: Vec<anyhow::Result<Socket>> = stream::iter(0..args.count)
        .map(|i| {
            let url = args.url.replace("{i}", &i.to_string());
            async move {
                let config = WebSocketConfig::default().read_buffer_size(4096);
                let (socket, _) =
                    tokio_tungstenite::connect_async_with_config(&url, Some(config), false)
                        .await
                        .with_context(|| format!("connecting to {url}"))?;
                Ok(socket)
            }
        })
        .buffer_unordered(args.parallel.max(1))
        .collect()
        .await;
    let mut sockets = Vec::with_capacity(args.count);
    let mut failed = Vec::new();
    for socket in opened {
        match socket {
            Ok(socket) => sockets.push(socket),
            Err(error) => failed.push(error),
        }
    }
    if let Some(error) = failed.first() {
        println!(
            "{} sockets failed to open; the first: {error:#}",
            failed.len()
        );
    }
    let open = sockets.len();
    println!(
        "{open} sockets open in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    anyhow::ensure!(open > 0, "no socket opened");

    let held = rss_bytes(&pid);
    tokio::time::sleep(Duration::from_secs(args.idle)).await;
    let idle = rss_bytes(&pid);

    let answered = stream::iter(sockets.iter_mut())
        .map(|socket| async move {
            socket.send(Message::text("hello")).await.ok()?;
            tokio::time::timeout(Duration::from_secs(30), socket.next())
                .await
                .ok()
                .flatten()
                .and_then(Result::ok)
        })
        .buffer_unordered(args.parallel.max(1))
        .filter(|answer| std::future::ready(answer.is_some()))
        .count()
        .await;

    let per_socket = idle.saturating_sub(before) as f64 / open as f64;
    println!(
        "server RSS: {:.1} MB before, {:.1} MB with the sockets open, {:.1} MB after {} s idle",
        mb(before),
        mb(held),
        mb(idle),
        args.idle
    );
    println!(
        "per idle socket: {:.1} KB, so {:.0} sockets per GB",
        per_socket / 1e3,
        if per_socket > 0.0 {
            1e9 / per_socket
        } else {
            f64::INFINITY
        }
    );
    println!("answered after idling: {answered}/{open}");
    anyhow::ensure!(
        answered == open,
        "{} sockets went unanswered",
        open - answered
    );
    Ok(())
}
