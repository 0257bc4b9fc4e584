//! Running the real `isola` binary in tests: start it on a free loopback
//! port, talk HTTP to it, read its log, and stop it when the test ends.

mod backends;

pub(crate) use backends::on_every_backend;
pub use backends::{Backend, etcd_server, new_database, postgres_server, psql, s3_server};

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::time::{Duration, Instant};

/// How long a test waits for the server to start or for a log line.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// Whether `condition` holds within [`PATIENCE`], checked every 20 ms.
pub fn eventually(mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The repository's root directory.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}

/// A path under `tests/cases/`.
pub fn case(name: &str) -> PathBuf {
    repo().join("tests/cases").join(name)
}

/// A path under `guests/js/`.
pub fn guest(name: &str) -> PathBuf {
    repo().join("guests/js").join(name)
}

/// Builds the Rust guests (scripts/build-guests), once per test binary.
pub fn build_guests() {
    static BUILT: std::sync::Once = std::sync::Once::new();
    BUILT.call_once(|| {
        let status = Command::new("bash")
            .arg(repo().join("scripts/build-guests"))
            .status()
            .expect("run scripts/build-guests");
        assert!(status.success(), "scripts/build-guests failed");
    });
}

/// A wasi:http component built from `guests/rust/<name>`.
pub fn rust_guest(name: &str) -> PathBuf {
    build_guests();
    repo()
        .join("target/guests/wasm32-wasip2/release")
        .join(format!("{name}.wasm"))
}

/// The folder of the Spin app `guests/spin/<name>` (its `spin.toml`), its
/// component built as Spin's template builds it (scripts/build-guests).
pub fn spin_app(name: &str) -> PathBuf {
    build_guests();
    repo().join("guests/spin").join(name)
}

/// The JS or Python component `name` (`hello-js`, `counter-js`,
/// `hello-py`) from guests/components/, built by scripts/build-guests and
/// compiled into the tests' cache with `isola compile`: compiling a
/// language runtime takes seconds, which a server's start would otherwise
/// spend before it is ready.
pub fn component_guest(name: &str) -> PathBuf {
    static COMPILED: OnceLock<()> = OnceLock::new();
    build_guests();
    let dir = repo().join("target/guests/components");
    COMPILED.get_or_init(|| {
        let guests = ["hello-js", "counter-js", "hello-py"]
            .map(|guest| dir.join(format!("{guest}.wasm")).display().to_string());
        let mut args = vec!["compile"];
        args.extend(guests.iter().map(String::as_str));
        let compiled = isola_command(&args).output().expect("run isola compile");
        let log = String::from_utf8_lossy(&compiled.stderr);
        assert!(compiled.status.success(), "isola compile failed: {log}");
    });
    dir.join(format!("{name}.wasm"))
}

/// A copy of `tests/cases/<name>` in a temporary directory, to edit.
pub fn copy_case(name: &str) -> tempfile::TempDir {
    copy_dir(&case(name))
}

/// A copy of the folder `from` in a temporary directory, to edit.
pub fn copy_dir(from: &Path) -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    copy(from, dir.path());
    dir
}

/// One bytecode cache for the whole test binary, so tests neither depend on
/// nor write to the user's cache.
fn cache_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("isola-test-cache-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    })
}

fn isola_command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_isola"));
    command
        .args(args)
        .env("ISOLA_CACHE_DIR", cache_dir())
        .env("ISOLA_LOG", "info")
        // What the hosts of a `[cluster]` deployment under test share.
        .env("ISOLA_CLUSTER_SECRET", "the-tests-deployment-secret")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// A running `isola` process, killed when dropped.
pub struct Isola {
    child: Child,
    pub addr: String,
    log: Arc<Mutex<String>>,
    state: StateDir,
}

/// Where a server under test keeps its state.
pub(crate) enum StateDir {
    Temporary(tempfile::TempDir),
    Given(PathBuf),
}

impl StateDir {
    fn path(&self) -> &Path {
        match self {
            Self::Temporary(dir) => dir.path(),
            Self::Given(path) => path,
        }
    }
}

impl Isola {
    /// Runs `isola serve <args> --port 0` with a state directory of its own
    /// and waits until it is ready. Its Workers may reach loopback
    /// addresses (`--allow-net 127.0.0.1`): the origins tests start are
    /// loopback servers.
    pub fn serve(args: &[&str]) -> Self {
        Self::serve_with_state(
            args,
            StateDir::Temporary(tempfile::tempdir().unwrap()),
            true,
        )
    }

    /// Like [`Isola::serve`], with the default outbound policy: no local
    /// address is reachable.
    pub fn serve_strict(args: &[&str]) -> Self {
        Self::serve_with_state(
            args,
            StateDir::Temporary(tempfile::tempdir().unwrap()),
            false,
        )
    }

    /// Like [`Isola::serve`], with `env` set in the server's environment.
    pub fn serve_with_env(args: &[&str], env: &[(&str, &str)]) -> Self {
        let state = StateDir::Temporary(tempfile::tempdir().unwrap());
        let mut all = vec!["serve"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--allow-net", "127.0.0.1", "--port", "0"]);
        all.extend_from_slice(&["--host", "127.0.0.1", "--persist-to"]);
        all.push(state.path().to_str().unwrap());
        let mut command = isola_command(&all);
        command.envs(env.iter().copied());
        Self::start(command, state)
    }

    /// Like [`Isola::serve`], keeping state in `dir` (which outlives it).
    pub fn serve_in(args: &[&str], dir: &Path) -> Self {
        Self::serve_with_state(args, StateDir::Given(dir.to_path_buf()), true)
    }

    pub(crate) fn serve_with_state(args: &[&str], state: StateDir, loopback: bool) -> Self {
        let mut all = vec!["serve"];
        all.extend_from_slice(args);
        if loopback {
            all.extend_from_slice(&["--allow-net", "127.0.0.1"]);
        }
        all.extend_from_slice(&["--port", "0", "--host", "127.0.0.1", "--persist-to"]);
        all.push(state.path().to_str().unwrap());
        Self::start(isola_command(&all), state)
    }

    /// Runs `isola dev <project> <args> --port 0` in `project`, keeping
    /// state where `isola dev` keeps it by default, and waits until it is
    /// ready. Its stdout (the banner) goes to [`Isola::log`] too.
    pub fn dev(project: &Path, args: &[&str]) -> Self {
        let mut all = vec![project.to_str().unwrap()];
        all.extend_from_slice(args);
        Self::dev_in(project, &all)
    }

    /// Starts `isola dev <args> --port 0` in the directory `project`.
    pub fn dev_in(project: &Path, args: &[&str]) -> Self {
        Self::try_dev_in(project, args).unwrap_or_else(|log| panic!("{log}"))
    }

    /// Like [`Isola::dev_in`], with why it did not start as the error.
    pub fn try_dev_in(project: &Path, args: &[&str]) -> Result<Self, String> {
        let mut all = vec!["dev", "--port", "0"];
        all.extend_from_slice(args);
        let mut command = isola_command(&all);
        command.current_dir(project);
        Self::try_start(command, StateDir::Given(project.join(".isola/state")))
    }

    fn start(command: Command, state: StateDir) -> Self {
        Self::try_start(command, state).unwrap_or_else(|log| panic!("{log}"))
    }

    fn try_start(mut command: Command, state: StateDir) -> Result<Self, String> {
        let mut child = command.spawn().expect("start isola");
        let log = collect(child.stderr.take().unwrap());
        let (ready_tx, ready_rx) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let banner = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                banner.lock().unwrap().push_str(&format!("{line}\n"));
                if let Some(rest) = line.strip_prefix("Ready on http://") {
                    let addr = rest.split_whitespace().next().unwrap_or_default();
                    let _ = ready_tx.send(addr.to_string());
                }
            }
        });
        let deadline = Instant::now() + PATIENCE;
        let addr = loop {
            if let Ok(addr) = ready_rx.recv_timeout(Duration::from_millis(50)) {
                break addr;
            }
            let exited = child.try_wait().unwrap().is_some();
            if exited || Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                std::thread::sleep(Duration::from_millis(50));
                return Err(format!(
                    "isola did not start; its log:\n{}",
                    log.lock().unwrap()
                ));
            }
        };
        Ok(Self {
            child,
            addr,
            log,
            state,
        })
    }

    /// The server's state directory.
    pub fn state_dir(&self) -> &Path {
        self.state.path()
    }

    /// Runs `isola <args> --persist-to <this server's state dir>`.
    pub fn command(&self, args: &[&str]) -> Exit {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--persist-to", self.state.path().to_str().unwrap()]);
        run(&all)
    }

    /// Stops the server as a service manager would (SIGTERM) and waits for
    /// it to exit.
    pub fn stop(mut self) -> ExitStatus {
        // SAFETY: signals a child process this value owns and has not reaped.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
        self.child.wait().unwrap()
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The server's stats, from `isola stats --json`.
    pub fn stats(&self) -> serde_json::Value {
        let exit = self.command(&["stats", "--json"]);
        assert!(exit.status.success(), "isola stats failed: {}", exit.stderr);
        serde_json::from_str(&exit.stdout).unwrap()
    }

    /// One Worker's entry in [`Isola::stats`].
    pub fn worker_stats(&self, name: &str) -> serde_json::Value {
        self.stats()["workers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["name"] == name)
            .unwrap_or_else(|| panic!("no Worker {name} in the stats"))
            .clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Everything the server has written to stderr so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits until the log contains `needle`; false if it never does.
    pub fn wait_for_log(&self, needle: &str) -> bool {
        eventually(|| self.log().contains(needle))
    }

    pub fn get(&self, path: &str) -> Reply {
        request("GET", &self.url(path), &[], None)
    }

    pub fn post(&self, path: &str, body: &[u8]) -> Reply {
        request("POST", &self.url(path), &[], Some(body))
    }

    /// The server's resident memory, in bytes.
    pub fn rss_bytes(&self) -> u64 {
        self.memory_bytes("VmRSS")
    }

    /// The most resident memory the server has had so far, in bytes.
    pub fn peak_rss_bytes(&self) -> u64 {
        self.memory_bytes("VmHWM")
    }

    fn memory_bytes(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let kb: u64 = status
            .lines()
            .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
            .unwrap_or_else(|| panic!("{field} in /proc/<pid>/status"));
        kb * 1024
    }

    /// A raw TCP connection to the server.
    pub fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(&self.addr).unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        stream
    }
}

impl Drop for Isola {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads a pipe into a shared string on a thread of its own; the thread
/// ends when the pipe closes.
fn collect(pipe: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    collect_joinable(pipe).0
}

fn collect_joinable(
    pipe: impl Read + Send + 'static,
) -> (Arc<Mutex<String>>, std::thread::JoinHandle<()>) {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = text.clone();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            let mut text = sink.lock().unwrap();
            text.push_str(&line);
            text.push('\n');
        }
    });
    (text, reader)
}

/// What a command that exits printed.
pub struct Exit {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `isola <args>` to completion (killing it after [`PATIENCE`]).
pub fn run(args: &[&str]) -> Exit {
    run_command(isola_command(args))
}

/// Runs `isola <args>` in directory `dir`, like [`run`].
pub fn run_in(dir: &Path, args: &[&str]) -> Exit {
    let mut command = isola_command(args);
    command.current_dir(dir);
    run_command(command)
}

fn run_command(mut command: Command) -> Exit {
    let mut child = command.spawn().expect("start isola");
    let (stdout, stdout_reader) = collect_joinable(child.stdout.take().unwrap());
    let (stderr, stderr_reader) = collect_joinable(child.stderr.take().unwrap());
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("isola {command:?} did not exit");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // The pipes close when the process exits: everything has been read then.
    let _ = stdout_reader.join();
    let _ = stderr_reader.join();
    let stdout = stdout.lock().unwrap().clone();
    let stderr = stderr.lock().unwrap().clone();
    Exit {
        status,
        stdout,
        stderr,
    }
}

/// An HTTP response, whatever its status.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one HTTP request with ureq and returns the response, any status;
/// a redirect is returned as it is, not followed.
pub fn request(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Reply {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    let agent = AGENT.get_or_init(|| ureq::AgentBuilder::new().redirects(0).build());
    let mut req = agent.request(method, url).timeout(PATIENCE);
    for (name, value) in headers {
        req = req.set(name, value);
    }
    let result = match body {
        Some(body) => req.send_bytes(body),
        None => req.call(),
    };
    let response = match result {
        Ok(response) => response,
        Err(ureq::Error::Status(_, response)) => response,
        Err(e) => panic!("{method} {url}: {e}"),
    };
    let status = response.status();
    // Each field once, with every value it has (Set-Cookie comes many times).
    let mut names = response.headers_names();
    let mut seen = std::collections::HashSet::new();
    names.retain(|name| seen.insert(name.to_ascii_lowercase()));
    let headers = names
        .into_iter()
        .flat_map(|name| {
            let values: Vec<String> = response.all(&name).into_iter().map(String::from).collect();
            values.into_iter().map(move |value| (name.clone(), value))
        })
        .collect();
    let mut body = Vec::new();
    response.into_reader().read_to_end(&mut body).unwrap();
    Reply {
        status,
        headers,
        body,
    }
}

/// Writes raw bytes to a connection (for framing ureq cannot produce).
pub fn send_raw(stream: &mut TcpStream, bytes: &[u8]) {
    stream.write_all(bytes).unwrap();
    stream.flush().unwrap();
}

/// Reads from `stream` until the bytes read so far contain `needle`.
pub fn read_until(stream: &mut TcpStream, needle: &str) -> String {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains(needle) {
        let n = stream.read(&mut buf).expect("read from isola");
        assert!(
            n > 0,
            "connection closed before {needle:?}; got {:?}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&seen).into_owned()
}

/// A plain HTTP server on loopback standing in for the origin behind a
/// Worker: it answers every request with `origin: METHOD PATH BODY
/// host=HOST` (and ` x-bot-detected=KIND` if that header came) and counts
/// them.
pub struct Origin {
    pub addr: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Origin {
    pub fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let seen = seen.clone();
                std::thread::spawn(move || serve_origin(stream, &seen));
            }
        });
        Self { addr, requests }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What each request was: `METHOD PATH BODY`.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve_origin(stream: TcpStream, seen: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0;
        let mut host = String::new();
        let mut bot = String::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                match name.to_ascii_lowercase().as_str() {
                    "content-length" => length = value.trim().parse().unwrap_or(0),
                    "host" => host = value.trim().to_string(),
                    "x-bot-detected" => bot = format!(" x-bot-detected={}", value.trim()),
                    _ => {}
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let mut parts = request_line.split_whitespace();
        let summary = format!(
            "{} {} {}",
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
            String::from_utf8_lossy(&body)
        );
        seen.lock().unwrap().push(summary.clone());
        let answer = format!("origin: {summary} host={host}{bot}");
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nx-served-by: origin\r\n\r\n{answer}",
            answer.len()
        );
        if reader.get_mut().write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

/// A TCP server on loopback that answers each connection with what it
/// read, upper-cased, once the client has finished writing. Its port.
pub fn shouting_server() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            std::thread::spawn(move || {
                let mut received = Vec::new();
                let _ = stream.read_to_end(&mut received);
                let _ = stream.write_all(&received.to_ascii_uppercase());
            });
        }
    });
    port
}
