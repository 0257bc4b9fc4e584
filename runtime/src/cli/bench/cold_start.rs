//! `isola bench cold-start`: what it costs, on this machine, to start
//! serving a JS Worker and Wasm guests, step by step, in one run.
//!
//! In-process (each step timed alone): creating a JS isolate with the
//! Workers global scope; loading a hello Worker into a warm isolate to its
//! first response; then for each Wasm guest (by default the hellos of
//! guests/: Rust, JS through componentize-js, Python through
//! componentize-py, and the Spin app `guests/spin/todo` as spin-sdk builds
//! it for wasm32-wasip1), instantiating it from its `InstancePre` with the
//! pooling allocator, its first response with the module compiled, and
//! from a cold module (compilation included, no disk cache). From outside:
//! `isola serve` started to its first 200 for the same JS hello as a Worker
//! in an isolate and as a component, for each guest (its compiled module
//! cached on disk, as after a first start), and `workerd` for the JS hello
//! when it is on PATH.
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
    /// A hello-world guest (a wasi:http component) to measure, as
    /// LABEL=PATH; repeatable. By default the Rust, JS and Python hellos
    /// that scripts/build-guests builds.
    #[arg(long = "guest", value_parser = labelled_path)]
    guests: Vec<(String, PathBuf)>,
    /// The JS hello served as a Worker, to set beside its component.
    #[arg(long, default_value = "guests/components/js/hello.js")]
    js: PathBuf,
    /// JS Workers to load, and a tenth as many isolates to create.
    #[arg(long, default_value_t = 100)]
    count: usize,
    /// Guest instances to create (at most 100 are held at once).
    #[arg(long, default_value_t = 2000)]
    instances: usize,
    /// Cold starts (compilation included) per guest.
    #[arg(long, default_value_t = 3)]
    cold: usize,
    /// Where to write the chart.
    #[arg(long, default_value = "cold-start.svg")]
    svg: PathBuf,
}

/// The JS hello-world the in-process JS rows and workerd use.
const HELLO_JS: &str = "export default { fetch: () => new Response('Hello World!') }\n";

/// The guests measured when none is named.
const DEFAULT_GUESTS: [(&str, &str); 5] = [
    ("Rust", "target/guests/wasm32-wasip2/release/hello.wasm"),
    ("JS component", "target/guests/components/hello-js.wasm"),
    ("Python component", "target/guests/components/hello-py.wasm"),
    // A core module: its cold start includes making it a component.
    (
        "Rust Spin app",
        "target/guests/wasm32-wasip1/release/spin_todo.wasm",
    ),
    // spin-sdk 7: a WASIp3 component.
    (
        "Rust Spin app (WASIp3)",
        "target/guests/wasm32-wasip2/release/spin_notes.wasm",
    ),
];

fn labelled_path(text: &str) -> Result<(String, PathBuf), String> {
    let (label, path) = text
        .split_once('=')
        .ok_or_else(|| format!("{text}: expected LABEL=PATH"))?;
    Ok((label.to_string(), PathBuf::from(path)))
}

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
        args.count >= 10 && args.instances > 0 && args.cold > 0,
        "--count must be at least 10, --instances and --cold at least 1"
    );
    let guests: Vec<(String, PathBuf)> = if args.guests.is_empty() {
        DEFAULT_GUESTS
            .iter()
            .map(|(label, path)| (label.to_string(), PathBuf::from(path)))
            .collect()
    } else {
        args.guests.clone()
    };
    for path in guests.iter().map(|(_, path)| path).chain([&args.js]) {
        anyhow::ensure!(
            path.is_file(),
            "{}: no such file (scripts/build-guests builds the guests)",
            path.display()
        );
    }
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("hello.js"), HELLO_JS)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut rows = runtime.block_on(in_process(args, &guests, dir.path()))?;
    drop(runtime);

    rows.push(Row::new(
        "isola serve, JS hello as a Worker: start to first response",
        process_starts(|port| isola(&args.js, port))?,
        None,
    ));
    for (label, path) in &guests {
        // The first start compiles the guest and caches it on disk.
        process_starts_n(1, |port| isola(path, port))?;
        rows.push(Row::new(
            format!("isola serve, Wasm {label} hello: start to first response"),
            process_starts(|port| isola(path, port))?,
            None,
        ));
    }
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

async fn in_process(
    args: &ColdStartArgs,
    guests: &[(String, PathBuf)],
    dir: &Path,
) -> anyhow::Result<Vec<Row>> {
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

    for (label, path) in guests {
        rows.extend(guest_rows(args, &launcher, label, path).await?);
    }
    Ok(rows)
}

/// The in-process rows of the guest at `path`: compiled once (`isola bench`
/// reads no compiled code from disk), then instantiated, then served.
async fn guest_rows(
    args: &ColdStartArgs,
    launcher: &Launcher,
    label: &str,
    path: &Path,
) -> anyhow::Result<Vec<Row>> {
    let config = WorkerConfig::load(path)?;
    let version = WorkerVersion::prepare(config.clone(), &default_cf())?;
    let guest = version
        .guests
        .as_ref()
        .and_then(|guests| guests.single())
        .cloned()
        .context("not a Wasm guest of one component")?;
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
    let mut rows = vec![Row::new(
        format!("Wasm {label}: instantiate from InstancePre (pooling)"),
        times,
        Some(per_instance),
    )];

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
        format!("Wasm {label}: first response, module compiled"),
        warm_guest,
        None,
    ));

    let mut cold_guest = Vec::with_capacity(args.cold);
    for _ in 0..args.cold {
        let started = Instant::now();
        let version = WorkerVersion::prepare(config.clone(), &default_cf())?;
        let isolate = launcher.start(version, Limits::default(), None).await?;
        first_response(&isolate).await?;
        cold_guest.push(started.elapsed());
    }
    rows.push(Row::new(
        format!("Wasm {label}: first response, cold (compile included)"),
        cold_guest,
        None,
    ));
    Ok(rows)
}

/// How long `start` on a free port takes to answer its first 200, five
/// times, each in a fresh process.
fn process_starts(start: impl Fn(u16) -> anyhow::Result<Child>) -> anyhow::Result<Vec<Duration>> {
    process_starts_n(5, start)
}

fn process_starts_n(
    runs: usize,
    start: impl Fn(u16) -> anyhow::Result<Child>,
) -> anyhow::Result<Vec<Duration>> {
    (0..runs)
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
    let deadline = Instant::now() + Duration::from_secs(120);
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
        anyhow::ensure!(Instant::now() < deadline, "no answer within 120 s");
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
        let color = if row.what.contains("Wasm") {
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
