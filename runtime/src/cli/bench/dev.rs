//! `isola bench dev`: the development loop timed from outside, as a user
//! lives it. Each run copies the project to a temporary directory (its D1
//! migrations applied there, untimed), starts `isola dev` on it, and times
//!
//! - start: from spawning the process to the first 200 on `--path`;
//! - reload: from saving an edit (`--edit FILE --replace OLD --with NEW`),
//!   half a second after the start, to the first response whose body holds
//!   NEW.
//!
//! The probe is a bare HTTP/1.1 request on a fresh TCP connection (so no
//! client library's pooling or retries sit in the timing).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;

use super::rss_bytes;
use isola_apis::d1::D1Binding;

use crate::config::WorkerConfig;

#[derive(Debug, Args)]
pub struct DevBenchArgs {
    /// The project (a directory holding a wrangler config).
    pub project: PathBuf,
    /// Timed runs (after one untimed run that warms caches).
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// The path requested.
    #[arg(long, default_value = "/")]
    pub path: String,
    /// The file edited, relative to the project.
    #[arg(long, requires_all = ["replace", "with"])]
    pub edit: Option<PathBuf>,
    /// Text of the file the edit replaces.
    #[arg(long)]
    pub replace: Option<String>,
    /// What replaces it; the edit shows once the response body holds it.
    #[arg(long)]
    pub with: Option<String>,
}

/// How long one wait (start, or edit to response) may take.
const PATIENCE: Duration = Duration::from_secs(60);

#[allow(clippy::print_stdout, reason = "the report is the command's output")]
pub fn run(args: &DevBenchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.runs > 0, "--runs must be at least 1");
    let mut starts = Vec::new();
    let mut reloads = Vec::new();
    let mut rss = Vec::new();
    for run in 0..=args.runs {
        let (start, reload, memory) = once(args)?;
        if run > 0 {
            starts.push(start);
            reloads.extend(reload);
            rss.push(memory);
        }
    }
    let ms = |d: &Duration| format!("{:.0} ms", d.as_secs_f64() * 1000.0);
    let list = |times: &[Duration]| times.iter().map(ms).collect::<Vec<_>>().join(", ");
    println!("isola dev {} ({} runs):", args.project.display(), args.runs);
    println!("| what | median | runs |");
    println!("| --- | --- | --- |");
    println!(
        "| start to first 200 | {} | {} |",
        ms(&median(&mut starts)),
        list(&starts)
    );
    if !reloads.is_empty() {
        println!(
            "| edit to new response | {} | {} |",
            ms(&median(&mut reloads)),
            list(&reloads)
        );
    }
    println!(
        "| resident memory after the first response | {:.0} MB | |",
        median(&mut rss) as f64 / 1e6
    );
    Ok(())
}

fn median<T: Ord + Copy>(values: &mut [T]) -> T {
    values.sort();
    values[values.len() / 2]
}

/// One run: start time, reload time (when an edit is asked for), memory.
fn once(args: &DevBenchArgs) -> anyhow::Result<(Duration, Option<Duration>, u64)> {
    let dir = tempfile::tempdir()?;
    let project = dir.path().join("project");
    copy_dir(&args.project, &project)?;
    migrate(&project)?;

    let started = Instant::now();
    let mut server = Server::spawn(&project)?;
    let addr = server.ready()?;
    wait_for(&addr, &args.path, |_| true)?;
    let start = started.elapsed();
    let memory = rss_bytes(&server.0.id().to_string());

    let reload = match (&args.edit, &args.replace, &args.with) {
        (Some(file), Some(from), Some(to)) => {
            let file = project.join(file);
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            anyhow::ensure!(
                text.contains(from.as_str()),
                "{} does not contain {from:?}",
                file.display()
            );
            // A developer's first edit comes seconds after the start, when
            // the pool has its warm isolate back.
            std::thread::sleep(Duration::from_millis(500));
            let edited = Instant::now();
            std::fs::write(&file, text.replacen(from.as_str(), to, 1))?;
            wait_for(&addr, &args.path, |body| body.contains(to.as_str()))?;
            Some(edited.elapsed())
        }
        _ => None,
    };
    Ok((start, reload, memory))
}

/// `isola dev` running on a project; killed when dropped.
struct Server(Child);

impl Server {
    fn spawn(project: &Path) -> anyhow::Result<Self> {
        let child = Command::new(std::env::current_exe()?)
            .args(["dev", ".", "--port", "0"])
            .current_dir(project)
            .env("ISOLA_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("cannot start isola dev")?;
        Ok(Self(child))
    }

    /// The address from the "Ready on" line.
    fn ready(&mut self) -> anyhow::Result<String> {
        let stdout = self.0.stdout.take().context("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let addr = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|line| Some(line.strip_prefix("Ready on http://")?.to_string()))
            .context("isola dev exited before it was ready")?;
        // Keep reading, so that the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Ok(addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Requests `path` until the answer is a 200 whose body passes `done`.
fn wait_for(addr: &str, path: &str, done: impl Fn(&str) -> bool) -> anyhow::Result<()> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Ok(response) = get(addr, path)
            && response.starts_with("HTTP/1.1 200")
            && done(&response)
        {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "no answer as expected from http://{addr}{path}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The whole response to `GET path`, as text.
fn get(addr: &str, path: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(PATIENCE))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response)
}

/// Applies every D1 database's migrations in `project`, as a developer
/// would have before running `isola dev`.
fn migrate(project: &Path) -> anyhow::Result<()> {
    let config = WorkerConfig::load(project)?;
    for database in config.bindings_of::<D1Binding>() {
        let status = Command::new(std::env::current_exe()?)
            .args(["d1", "migrations", "apply", &database.name])
            .current_dir(project)
            .stdout(Stdio::null())
            .status()?;
        anyhow::ensure!(
            status.success(),
            "applying the migrations of {} failed",
            database.name
        );
    }
    Ok(())
}

/// Copies the project, leaving out its state and version control.
fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("{}", from.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        if name == ".isola" || name == ".git" || name == ".wrangler" {
            continue;
        }
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &to.join(name))?;
        } else {
            std::fs::copy(entry.path(), to.join(name))?;
        }
    }
    Ok(())
}
