//! `isola bench cold-start`: what it costs, on this machine, to start
//! serving a JS Worker and a Wasm guest, step by step, in one run.
//!
//! In-process (each step timed alone): creating a JS isolate with the
//! Workers global scope; loading a hello Worker into a warm isolate to its
//! first response; instantiating a Wasm guest from its `InstancePre` with
//! the pooling allocator; the guest's first response, compiled already and
//! from a cold module (compilation included, no disk cache). From outside:
//! `isola serve` started to its first 200 for the same hello as JS and as
//! Wasm, and `workerd` for the JS hello when it is on PATH.
//!
//! The chart is a handful of SVG rectangles and labels on a log scale,
//! written directly: a plotting library would add a dependency tree for
//! what fits in one function.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use isola_apis::Stores;

use super::{
    first_response, isolate_creations, load_workers, percentile, rss_bytes, wait_until_warm,
};
use crate::config::{WorkerConfig, default_cf};
use crate::instance::Launcher;
use crate::isolate::Pool;
use crate::limits::Limits;
use crate::outbound::Outbound;
use crate::worker::WorkerVersion;

#[derive(Debug, Args)]
pub struct ColdStartArgs {
    /// The hello-world guest (a wasi:http component); scripts/build-guests
    /// builds it.
    #[arg(long, default_value = "target/guests/wasm32-wasip2/release/hello.wasm")]
    guest: PathBuf,
    /// JS Workers to load, and a tenth as many isolates to create.
    #[arg(long, default_value_t = 100)]
    count: usize,
    /// Guest instances to create (at most 100 are held at once).
    #[arg(long, default_value_t = 2000)]
    instances: usize,
    /// Where to write the chart.
    #[arg(long, default_value = "cold-start.svg")]
    svg: PathBuf,
}

/// The JS hello-world every JS row uses.
const HELLO_JS: &str = "export default { fetch: () => new Response('Hello World!') }\n";

/// One row of the table.
struct Row {
    what: String,
    /// Sorted.
    times: Vec<Duration>,
    /// Resident memory per instance, if it means something for the row.
    memory: Option<u64>,
}

impl Row {
    fn new(what: impl Into<String>, mut times: Vec<Duration>, memory: Option<u64>) -> Self {
        times.sort();
        Self {
            what: what.into(),
            times,
            memory,
        }
    }

    fn median(&self) -> Duration {
        percentile(&self.times, 0.5)
    }
}

pub fn run(args: &ColdStartArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.count >= 10 && args.instances > 0,
        "--count must be at least 10 and --instances at least 1"
    );
    anyhow::ensure!(
        args.guest.is_file(),
        "{}: no such guest (scripts/build-guests builds it)",
        args.guest.display()
    );
    let dir = tempfile::tempdir()?;
    let hello_js = dir.path().join("hello.js");
    std::fs::write(&hello_js, HELLO_JS)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut rows = runtime.block_on(in_process(args, dir.path()))?;
    drop(runtime);

    rows.push(Row::new(
        "isola serve (JS hello): process start to first response",
        process_starts(|port| isola(&hello_js, port))?,
        None,
    ));
    rows.push(Row::new(
        "isola serve (Wasm hello): process start to first response",
        process_starts(|port| isola(&args.guest, port))?,
        None,
    ));
    if let Some(workerd) = on_path("workerd") {
        rows.push(Row::new(
            "workerd serve (JS hello): process start to first response",
            process_starts(|port| workerd_serve(&workerd, dir.path(), port))?,
            None,
        ));
    }

    print_table(&rows);
    std::fs::write(&args.svg, chart(&rows))
        .with_context(|| format!("cannot write {}", args.svg.display()))?;
    #[allow(clippy::print_stdout, reason = "the report is the command's output")]
    {
        println!("\nChart: {}", args.svg.display());
    }
    Ok(())
}

async fn in_process(args: &ColdStartArgs, dir: &Path) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();

    // JS: isolates, then Workers loaded into warm ones.
    let warm = 2;
    let rss_before = rss_bytes("self");
    let launcher = Launcher::new(
        Pool::new(warm, 128 * 1024 * 1024),
        Stores::memory(),
        Outbound::default(),
    );
    let pool = launcher.pool();
    wait_until_warm(pool, warm).await?;
    let per_isolate = rss_bytes("self").saturating_sub(rss_before) / warm as u64;
    rows.push(Row::new(
        "JS: create an isolate with the Workers global scope",
        isolate_creations(pool, args.count / 10).await?,
        Some(per_isolate),
    ));
    wait_until_warm(pool, warm).await?;
    let rss_warm = rss_bytes("self");
    let (times, isolates) = load_workers(&launcher, dir, args.count, warm).await?;
    wait_until_warm(pool, warm).await?;
    let per_worker = rss_bytes("self").saturating_sub(rss_warm) / args.count as u64;
    drop(isolates);
    rows.push(Row::new(
        "JS: load a Worker into a warm isolate, to first response",
        times,
        Some(per_worker),
    ));

    // Wasm: the guest compiled once (no disk cache in this process).
    let config = WorkerConfig::load(&args.guest)?;
    let version = WorkerVersion::prepare(config.clone(), &default_cf())?;
    let guest = version.guest.clone().context("not a Wasm guest")?;
    let held = args.instances.min(100);
    let mut instances = Vec::with_capacity(held);
    let mut times = Vec::with_capacity(args.instances);
    let rss_before = rss_bytes("self");
    for i in 0..args.instances {
        let started = Instant::now();
        let instance = guest.instantiate().await?;
        times.push(started.elapsed());
        if i < held {
            instances.push(instance);
        }
    }
    let per_instance = rss_bytes("self").saturating_sub(rss_before) / held as u64;
    drop(instances);
    rows.push(Row::new(
        "Wasm: instantiate from InstancePre (pooling allocator)",
        times,
        Some(per_instance),
    ));

    let mut warm_guest = Vec::with_capacity(args.count);
    for _ in 0..args.count {
        let started = Instant::now();
        let isolate = launcher
            .start(version.clone(), Limits::default(), None)
            .await?;
        first_response(&isolate).await?;
        warm_guest.push(started.elapsed());
    }
    rows.push(Row::new(
        "Wasm: first response, module compiled",
        warm_guest,
        None,
    ));

    let mut cold_guest = Vec::with_capacity(10);
    for _ in 0..10 {
        let started = Instant::now();
        let version = WorkerVersion::prepare(config.clone(), &default_cf())?;
        let isolate = launcher.start(version, Limits::default(), None).await?;
        first_response(&isolate).await?;
        cold_guest.push(started.elapsed());
    }
    rows.push(Row::new(
        "Wasm: first response from a cold module (compile included)",
        cold_guest,
        None,
    ));
    Ok(rows)
}

/// How long `start` on a free port takes to answer its first 200, five
/// times, each in a fresh process.
fn process_starts(start: impl Fn(u16) -> anyhow::Result<Child>) -> anyhow::Result<Vec<Duration>> {
    (0..5)
        .map(|_| {
            let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
            let started = Instant::now();
            let mut child = start(port)?;
            let answered = wait_for_200(port, &mut child);
            let _ = child.kill();
            let _ = child.wait();
            answered.map(|()| started.elapsed())
        })
        .collect()
}

fn wait_for_200(port: u16, child: &mut Child) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
            stream.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
            let mut reply = String::new();
            let _ = stream.read_to_string(&mut reply);
            if reply.starts_with("HTTP/1.1 200") {
                return Ok(());
            }
        }
        if let Some(status) = child.try_wait()? {
            anyhow::bail!("the server exited ({status}) before answering");
        }
        anyhow::ensure!(Instant::now() < deadline, "no answer within 30 s");
        std::thread::sleep(Duration::from_micros(500));
    }
}

fn isola(worker: &Path, port: u16) -> anyhow::Result<Child> {
    Ok(Command::new(std::env::current_exe()?)
        .arg("serve")
        .arg(worker)
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--no-persist",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?)
}

/// `workerd serve` with a config serving `dir/hello.js` on `port`.
fn workerd_serve(workerd: &Path, dir: &Path, port: u16) -> anyhow::Result<Child> {
    let config = dir.join("workerd.capnp");
    std::fs::write(
        &config,
        format!(
            "using Workerd = import \"/workerd/workerd.capnp\";\n\
             const config :Workerd.Config = (\n\
             \x20 services = [(name = \"main\", worker = .hello)],\n\
             \x20 sockets = [(name = \"http\", address = \"127.0.0.1:{port}\", http = (), service = \"main\")],\n\
             );\n\
             const hello :Workerd.Worker = (\n\
             \x20 modules = [(name = \"hello.js\", esModule = embed \"hello.js\")],\n\
             \x20 compatibilityDate = \"2024-01-01\",\n\
             );\n"
        ),
    )?;
    Ok(Command::new(workerd)
        .arg("serve")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?)
}

fn on_path(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}

/// `d` in the unit that suits it.
fn human(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1000.0 {
        format!("{us:.1} µs")
    } else {
        format!("{:.2} ms", us / 1000.0)
    }
}

#[allow(clippy::print_stdout, reason = "the report is the command's output")]
fn print_table(rows: &[Row]) {
    println!("| step | runs | median | p99 | memory per instance |");
    println!("| --- | --- | --- | --- | --- |");
    for row in rows {
        let memory = row.memory.map_or("—".to_string(), |bytes| {
            if bytes >= 1_000_000 {
                format!("{:.1} MB", bytes as f64 / 1e6)
            } else {
                format!("{:.1} KB", bytes as f64 / 1e3)
            }
        });
        println!(
            "| {} | {} | {} | {} | {memory} |",
            row.what,
            row.times.len(),
            human(row.median()),
            human(percentile(&row.times, 0.99)),
        );
    }
}

/// A horizontal bar chart of the medians on a log scale (1 µs to 10 s).
fn chart(rows: &[Row]) -> String {
    const LABEL: f64 = 430.0;
    const BAR: f64 = 420.0;
    const ROW: f64 = 28.0;
    const TOP: f64 = 40.0;
    let decades = 7.0; // 1 µs .. 10 s
    let x = |d: Duration| {
        let us = (d.as_secs_f64() * 1e6).max(1.0);
        LABEL + BAR * (us.log10() / decades).min(1.0)
    };
    let height = TOP + ROW * rows.len() as f64 + 30.0;
    let width = LABEL + BAR + 110.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"10\" y=\"22\" font-size=\"15\" font-weight=\"bold\">Cold start, median (log scale)</text>\n"
    );
    for (i, label) in [
        "1 µs", "10 µs", "100 µs", "1 ms", "10 ms", "100 ms", "1 s", "10 s",
    ]
    .iter()
    .enumerate()
    {
        let at = LABEL + BAR * i as f64 / decades;
        let bottom = TOP + ROW * rows.len() as f64;
        svg.push_str(&format!(
            "<line x1=\"{at}\" y1=\"{TOP}\" x2=\"{at}\" y2=\"{bottom}\" stroke=\"#ddd\"/>\n\
             <text x=\"{at}\" y=\"{}\" text-anchor=\"middle\" fill=\"#666\">{label}</text>\n",
            bottom + 16.0
        ));
    }
    for (i, row) in rows.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let end = x(row.median());
        let color = if row.what.starts_with("Wasm") || row.what.contains("Wasm hello") {
            "#6a5acd"
        } else if row.what.starts_with("workerd") {
            "#999"
        } else {
            "#f38020"
        };
        let label = xml_escape(&row.what);
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{label}</text>\n\
             <rect x=\"{LABEL}\" y=\"{}\" width=\"{:.1}\" height=\"{}\" fill=\"{color}\"/>\n\
             <text x=\"{:.1}\" y=\"{}\">{}</text>\n",
            LABEL - 8.0,
            y + 17.0,
            y + 5.0,
            (end - LABEL).max(1.0),
            ROW - 10.0,
            end + 6.0,
            y + 17.0,
            human(row.median())
        ));
    }
    svg.push_str("</svg>\n");
    svg
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
