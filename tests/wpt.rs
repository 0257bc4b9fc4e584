//! web-platform-tests, run as workerd runs them: each test file in a Worker
//! of its own, its results held against the expected failures in
//! `tests/wpt/expectations.json`.
//!
//! The WPT files are read at test time from a WPT tree: `ISOLA_WPT`, or
//! `../shared/wpt` beside the repository. A directory the tree lacks is
//! reported as not available. Each test file becomes a module that holds
//! our prelude, WPT's own `resources/testharness.js`, our epilogue, the
//! scripts its `// META: script=` lines name, and the test; a Worker
//! imports it when asked and answers with the results. A loopback server
//! serves the tree, for the data files tests fetch.
//!
//! A failure the expectations do not list fails the test, and so does a
//! listed one that now passes. `ISOLA_WPT_UPDATE=1` writes what was seen
//! into the expectations instead, keeping each file's reason.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::{Value, json};

use crate::support::{Isola, repo, request};

/// How long one test file may run, in seconds (`// META: timeout=long`
/// gets three times as long).
const TIMEOUT_S: u64 = 10;

macro_rules! wpt_directories {
    ($($name:ident => $dir:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                run_directory($dir);
            }
        )*
    };
}

wpt_directories! {
    url => "url",
    urlpattern => "urlpattern",
    encoding => "encoding",
    compression => "compression",
    streams => "streams",
    dom_abort => "dom/abort",
    dom_events => "dom/events",
    fetch_api => "fetch/api",
    webcrypto => "WebCryptoAPI",
    websockets => "websockets",
    webidl => "webidl",
}

/// The WPT tree the tests read.
fn wpt_root() -> PathBuf {
    std::env::var_os("ISOLA_WPT")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/wpt"))
}

/// One test file and what its `// META:` lines ask for.
struct TestFile {
    /// Relative to the WPT root, with `/`.
    path: String,
    scripts: Vec<String>,
    long: bool,
    /// Why it is not run, if it is not.
    skip: Option<&'static str>,
}

impl TestFile {
    fn read(root: &Path, path: &str) -> (Self, String) {
        let source = std::fs::read_to_string(root.join(path)).unwrap();
        let mut file = TestFile {
            path: path.to_string(),
            scripts: Vec::new(),
            long: false,
            skip: None,
        };
        for line in source.lines() {
            let Some(meta) = line.strip_prefix("// META:") else {
                continue;
            };
            let Some((key, value)) = meta.trim().split_once('=') else {
                continue;
            };
            match key.trim() {
                "script" => file.scripts.push(value.trim().to_string()),
                "timeout" => file.long = value.trim() == "long",
                "global" => {
                    let workers = value.split(',').any(|global| {
                        let global = global.trim();
                        global == "worker" || global.ends_with("worker") || global == "jsshell"
                    });
                    if !workers {
                        file.skip = Some("written for a window only (`// META: global`)");
                    }
                }
                _ => {}
            }
        }
        (file, source)
    }

    /// A `// META: script=` path, relative to the WPT root.
    fn script_path(&self, script: &str) -> String {
        match script.strip_prefix('/') {
            Some(absolute) => absolute.to_string(),
            None => {
                let base = url::Url::parse(&format!("http://wpt/{}", self.path)).unwrap();
                base.join(script).unwrap().path()[1..].to_string()
            }
        }
    }
}

/// What the harness reported for one file.
struct Outcome {
    /// Subtests by name, with whether each passed and its message.
    tests: Vec<(String, bool, String)>,
    /// The harness's status when it was not `OK`.
    harness: Option<String>,
    /// What the harness said, if anything.
    message: String,
}

impl Outcome {
    fn failures(&self) -> Vec<String> {
        let mut failures: Vec<String> = self
            .tests
            .iter()
            .filter(|(_, passed, _)| !passed)
            .map(|(name, _, _)| name.clone())
            .collect();
        if let Some(harness) = &self.harness {
            failures.push(format!("<harness: {harness}>"));
        }
        failures
    }
}

fn run_directory(dir: &str) {
    let root = wpt_root();
    if !root.join(dir).is_dir() {
        eprintln!("wpt {dir}: not available in {}", root.display());
        return;
    }
    let files = test_files(&root, dir);
    let server = TreeServer::start(root.clone());
    let work = tempfile::tempdir().unwrap();
    let mut config = String::new();
    let mut run = Vec::new();
    for (i, (file, source)) in files.iter().enumerate() {
        if file.skip.is_some() {
            continue;
        }
        let folder = work.path().join(format!("w{i}"));
        std::fs::create_dir_all(&folder).unwrap();
        let script = test_script(&root, &server, file, source);
        std::fs::write(folder.join("test.mjs"), format!("export default {};\n", json!(script))).unwrap();
        let timeout = TIMEOUT_S * if file.long { 3 } else { 1 } * 1000;
        std::fs::write(folder.join("worker.mjs"), worker_module(timeout)).unwrap();
        std::fs::write(folder.join("wrangler.toml"), worker_config(i)).unwrap();
        writeln!(
            config,
            "[[workers]]\npath = \"w{i}\"\nroutes = [\"*/w{i}\"]\nlimits = {{ cpu_ms = 30000, subrequests = 1000 }}"
        )
        .unwrap();
        run.push((i, file));
    }
    std::fs::write(work.path().join("isola.toml"), config).unwrap();
    let isola = Isola::serve(&[work.path().join("isola.toml").to_str().unwrap()]);

    let mut outcomes = BTreeMap::new();
    for (i, file) in run {
        let reply = request("GET", &isola.url(&format!("/w{i}")), &[], None);
        outcomes.insert(file.path.clone(), outcome(&reply.text(), reply.status));
    }
    let skipped: Vec<&TestFile> = files.iter().map(|(f, _)| f).filter(|f| f.skip.is_some()).collect();
    judge(dir, &outcomes, &skipped);
}

/// The `.any.js` test files under `dir`, sorted.
fn test_files(root: &Path, dir: &str) -> Vec<(TestFile, String)> {
    fn walk(root: &Path, at: &Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(at).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, found);
            } else if path.to_string_lossy().ends_with(".any.js") {
                let relative = path.strip_prefix(root).unwrap();
                found.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut paths = Vec::new();
    walk(root, &root.join(dir), &mut paths);
    paths.sort();
    paths.iter().map(|path| TestFile::read(root, path)).collect()
}

/// The script that runs one test file: WPT's tests are classic scripts,
/// whose top-level declarations are globals and which run in sloppy mode.
fn test_script(root: &Path, server: &TreeServer, file: &TestFile, source: &str) -> String {
    let read = |path: &str| {
        std::fs::read_to_string(root.join(path))
            .unwrap_or_else(|e| panic!("{} (named by {}): {e}", path, file.path))
    };
    let own = |name: &str| read_own(&format!("tests/wpt/{name}"));
    let mut module = format!(
        "const WPT_TEST_URL = {};\n",
        json!(format!("{}/{}", server.url, file.path))
    );
    module.push_str(&own("prelude.js"));
    module.push_str(&read("resources/testharness.js"));
    module.push('\n');
    module.push_str(&own("epilogue.js"));
    for script in &file.scripts {
        module.push_str(&read(&file.script_path(script)));
        module.push('\n');
    }
    module.push_str(source);
    module
}

fn read_own(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap()
}

/// The Worker that runs a test script when asked and answers with its
/// results. The script runs through an `unsafe_eval` binding, as workerd's
/// own WPT harness runs it: as a script, in the global scope.
fn worker_module(timeout_ms: u64) -> String {
    format!(
        r#"import script from "./test.mjs";
export default {{
  async fetch(request, env) {{
    try {{
      env.UNSAFE_EVAL.eval(script);
    }} catch (error) {{
      return Response.json(globalThis.wptPartial?.("Error", String(error)) ?? {{ harness: "Error", message: String(error), tests: [] }});
    }}
    const late = new Promise((resolve) => setTimeout(() => resolve(globalThis.wptPartial("Timeout", null)), {timeout_ms}));
    return Response.json(await Promise.race([globalThis.wptDone, late]));
  }},
}};
"#
    )
}

fn worker_config(i: usize) -> String {
    format!(
        r#"name = "w{i}"
main = "worker.mjs"
compatibility_date = "2026-04-01"

[[unsafe.bindings]]
name = "UNSAFE_EVAL"
type = "unsafe_eval"
"#
    )
}

fn outcome(body: &str, status: u16) -> Outcome {
    let Ok(report) = serde_json::from_str::<Value>(body) else {
        return Outcome {
            tests: Vec::new(),
            harness: Some(format!("Error (the Worker answered {status})")),
            message: body.chars().take(300).collect(),
        };
    };
    let tests = report["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|test| {
            (
                test["name"].as_str().unwrap_or_default().to_string(),
                // An optional feature missing is not a failure.
                matches!(test["status"].as_str(), Some("Pass" | "Optional Feature Unsupported")),
                test["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let harness = match report["harness"].as_str().unwrap_or("ERROR") {
        "OK" | "Optional Feature Unsupported" => None,
        other => Some(other.to_string()),
    };
    let message = report["message"].as_str().unwrap_or_default().to_string();
    Outcome {
        tests,
        harness,
        message,
    }
}

/// One write at a time to the expectations file.
static EXPECTATIONS: Mutex<()> = Mutex::new(());

fn expectations_path() -> PathBuf {
    repo().join("tests/wpt/expectations.json")
}

/// Holds the outcomes against the expectations (or writes them there).
fn judge(dir: &str, outcomes: &BTreeMap<String, Outcome>, skipped: &[&TestFile]) {
    let _lock = EXPECTATIONS.lock().unwrap_or_else(|e| e.into_inner());
    let mut expected: BTreeMap<String, Value> =
        serde_json::from_str(&std::fs::read_to_string(expectations_path()).unwrap()).unwrap();
    let (mut passed, mut failed) = (0, 0);
    let mut wrong = Vec::new();
    for (path, outcome) in outcomes {
        let seen = outcome.failures();
        passed += outcome.tests.iter().filter(|(_, ok, _)| *ok).count();
        failed += seen.len();
        let listed: Vec<String> = expected
            .get(path)
            .and_then(|entry| entry["failures"].as_array())
            .map(|names| names.iter().filter_map(|n| n.as_str().map(String::from)).collect())
            .unwrap_or_default();
        for name in seen.iter().filter(|name| !listed.contains(name)) {
            let message = outcome
                .tests
                .iter()
                .find(|(n, _, _)| n == name)
                .map_or(outcome.message.as_str(), |(_, _, m)| m.as_str());
            wrong.push(format!("{path}: fails, not expected: {name:?}: {message}"));
        }
        for name in listed.iter().filter(|name| !seen.contains(name)) {
            wrong.push(format!("{path}: passes, expected to fail: {name:?}"));
        }
        if std::env::var_os("ISOLA_WPT_UPDATE").is_some() {
            if seen.is_empty() {
                expected.remove(path);
            } else {
                let reason = expected
                    .get(path)
                    .and_then(|entry| entry["reason"].as_str())
                    .unwrap_or("")
                    .to_string();
                expected.insert(path.clone(), json!({ "reason": reason, "failures": seen }));
            }
        }
    }
    eprintln!(
        "wpt {dir}: {} files run, {} skipped; {passed} subtests passed, {failed} failed",
        outcomes.len(),
        skipped.len()
    );
    for file in skipped {
        eprintln!("wpt {dir}: skipped {}: {}", file.path, file.skip.unwrap_or_default());
    }
    if std::env::var_os("ISOLA_WPT_UPDATE").is_some() {
        let text = serde_json::to_string_pretty(&expected).unwrap();
        std::fs::write(expectations_path(), text + "\n").unwrap();
        return;
    }
    assert!(
        wrong.is_empty(),
        "wpt {dir} differs from tests/wpt/expectations.json (ISOLA_WPT_UPDATE=1 rewrites it):\n{}",
        wrong.join("\n")
    );
}

/// Serves the WPT tree's files over loopback HTTP, for the data files and
/// resources tests fetch.
struct TreeServer {
    url: String,
}

impl TreeServer {
    fn start(root: PathBuf) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let root = root.clone();
                std::thread::spawn(move || serve_file(stream, &root));
            }
        });
        Self { url }
    }
}

fn serve_file(mut stream: TcpStream, root: &Path) {
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim_end().is_empty() {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default();
    let target = parts.next().unwrap_or("/");
    let path = target.split(['?', '#']).next().unwrap_or_default();
    let file = root.join(path.trim_start_matches('/'));
    let inside = !path.split('/').any(|part| part == "..");
    let (status, body) = match std::fs::read(&file) {
        Ok(bytes) if inside && (method == "GET" || method == "HEAD") => ("200 OK", bytes),
        _ => ("404 Not Found", b"not found".to_vec()),
    };
    let kind = match file.extension().and_then(|e| e.to_str()) {
        Some("json") => "application/json",
        Some("js") => "text/javascript",
        Some("html" | "htm") => "text/html",
        Some("png") => "image/png",
        Some("txt") => "text/plain",
        _ => "application/octet-stream",
    };
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {kind}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    if method != "HEAD" {
        let _ = stream.write_all(&body);
    }
}
