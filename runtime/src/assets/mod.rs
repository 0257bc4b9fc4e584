//! Static assets (`assets` in a Worker's config), served as Cloudflare
//! serves them: a request that matches a file is answered without running
//! the Worker, and the Worker gets the rest (or everything, or the paths
//! `run_worker_first` names). `env.ASSETS.fetch()` reaches the same files.
//!
//! - [`html`]: which file a path means (`html_handling`,
//!   `not_found_handling`) and canonical paths;
//! - [`redirects`] and [`headers`]: the `_redirects` and `_headers` files,
//!   over the shared [`pattern`]s;
//! - [`respond`]: the HTTP side: types, ETags, 304, HEAD, compression,
//!   streaming;
//! - [`content`]: what is derived from a file's bytes, kept while the
//!   file stays the same.
//!
//! The file list is read when the Worker loads (and again when `isola dev`
//! sees files added or removed); a file's content is read when it is
//! served, so an edit shows at once.

mod content;
mod headers;
mod html;
mod pattern;
mod redirects;
mod respond;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use http::Method;

use crate::config::{AssetsConfig, FirstRun, NotFoundHandling, RunWorkerFirst, WorkerConfig};
use content::{Budget, Content};
use headers::HeaderRules;
use html::{Intent, Resolver};
use redirects::{Redirect, Redirects};

pub use respond::Head;

/// Cloudflare's limits on one Worker's assets.
const MAX_FILES: usize = 100_000;
const MAX_FILE_BYTES: u64 = 25 * 1024 * 1024;

/// The longest line `_headers` and `_redirects` may have.
const MAX_LINE: usize = 2000;

/// Files at the root of the directory that configure it and are never
/// served.
const CONFIG_FILES: &[&str] = &[".assetsignore", "_redirects", "_headers"];

/// One Worker's assets.
pub struct Assets {
    config: AssetsConfig,
    /// By path from the directory, `/`-separated, decoded: `/about.html`.
    files: HashMap<String, File>,
    headers: HeaderRules,
    redirects: Redirects,
    /// Whether a Worker runs beside them (else misses are answered here).
    has_worker: bool,
    /// Whether a navigation request (`Sec-Fetch-Mode: navigate`) gets
    /// `not_found_handling` even with a Worker (compatibility flag
    /// `assets_navigation_prefers_asset_serving`).
    navigation_prefers_assets: bool,
    budget: Arc<Budget>,
}

struct File {
    path: PathBuf,
    content: Arc<Content>,
}

/// A problem with one line of `_headers` or `_redirects`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub line: Option<usize>,
    pub text: String,
    pub message: String,
}

impl Warning {
    fn at(line: usize, text: &str, message: &str) -> Self {
        Self {
            line: Some(line),
            text: text.to_string(),
            message: message.to_string(),
        }
    }

    fn general(message: String) -> Self {
        Self {
            line: None,
            text: String::new(),
            message,
        }
    }
}

fn line_too_long(line: usize) -> Warning {
    Warning::general(format!(
        "Ignoring line {line} as it exceeds the maximum allowed length of {MAX_LINE}."
    ))
}

/// What the asset server makes of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// Redirect (`_redirects`, or to a path's canonical form: 307).
    Redirect { status: u16, location: String },
    /// No file: the Worker's, if there is one; else 404.
    NoMatch,
    /// A `_redirects` rewrite to a path with no file: 404.
    NotFound,
    /// A file exists, but the method is not GET or HEAD.
    MethodNotAllowed,
    /// Serve this file with this status.
    File { key: String, status: u16 },
}

impl Assets {
    /// Reads the file list, `.assetsignore`, `_headers` and `_redirects` of
    /// the assets of `worker` (which runs a script when `has_worker`). Fails, naming the file and the limit, if a
    /// file or their number is over Cloudflare's limits; problems with
    /// lines of `_headers` and `_redirects` are logged with their line.
    pub fn load(
        config: &AssetsConfig,
        worker: &WorkerConfig,
        has_worker: bool,
    ) -> Result<Self, String> {
        let dir = &config.directory;
        let shown = dir.display();
        if !dir.is_dir() {
            return Err(format!(
                "`assets.directory`: {shown} does not exist or is not a directory"
            ));
        }
        let files = scan(dir)?;
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).ok();
        let (headers, header_warnings) = read("_headers")
            .map(|text| HeaderRules::parse(&text))
            .unwrap_or_default();
        let html_handling = config.html_handling != crate::config::HtmlHandling::None;
        let (redirects, redirect_warnings) = read("_redirects")
            .map(|text| Redirects::parse(&text, html_handling))
            .unwrap_or_default();
        for (file, warnings) in [
            ("_headers", header_warnings),
            ("_redirects", redirect_warnings),
        ] {
            for warning in warnings {
                let at = match warning.line {
                    Some(line) => format!(
                        "\n    at {}:{line} | {}",
                        dir.join(file).display(),
                        warning.text
                    ),
                    None => String::new(),
                };
                tracing::warn!("[{}] {file}: {}{at}", worker.name, warning.message);
            }
        }
        tracing::debug!(
            "[{}] assets: {} files in {shown}, {} _headers rules, {} _redirects rules",
            worker.name,
            files.len(),
            headers.len(),
            redirects.len()
        );
        Ok(Self {
            config: config.clone(),
            files,
            headers,
            redirects,
            has_worker,
            navigation_prefers_assets: navigation_prefers_assets(worker),
            budget: Arc::default(),
        })
    }

    /// What the assets answer for a request routed to this Worker, or None
    /// when the Worker should run instead.
    pub async fn route(
        &self,
        head: &Head,
    ) -> Option<http::Response<isola_apis::body::ResponseBody>> {
        if !self.has_worker {
            return Some(self.fetch(head).await);
        }
        let static_routing = match self.config.run_worker_first.first(&head.path) {
            FirstRun::Worker => return None,
            FirstRun::Assets => return Some(self.fetch(head).await),
            FirstRun::Either => {
                matches!(self.config.run_worker_first, RunWorkerFirst::Paths { .. })
            }
        };
        let navigation = self.navigation_prefers_assets
            && head
                .headers
                .get("sec-fetch-mode")
                .is_some_and(|v| v == "navigate");
        let not_found = if static_routing || navigation {
            self.config.not_found_handling
        } else {
            NotFoundHandling::None
        };
        let outcome = match self.outcome(head, not_found) {
            Outcome::NoMatch => return None,
            // A `_redirects` rewrite that found nothing is the assets' to
            // answer, with `not_found_handling` in full.
            Outcome::NotFound if not_found != self.config.not_found_handling => {
                self.outcome(head, self.config.not_found_handling)
            }
            outcome => outcome,
        };
        Some(self.respond(head, outcome).await)
    }

    /// What the assets answer on their own, with `not_found_handling` in
    /// full: `env.ASSETS.fetch()`, and requests no Worker may take.
    pub async fn fetch(&self, head: &Head) -> http::Response<isola_apis::body::ResponseBody> {
        self.respond(head, self.outcome(head, self.config.not_found_handling))
            .await
    }

    /// What the request comes to, `not_found` applying to misses.
    fn outcome(&self, head: &Head, not_found: NotFoundHandling) -> Outcome {
        let mut path = head.path.clone();
        let mut rewritten = false;
        match self.redirects.find(&head.host, &head.path, &head.query) {
            Some(Redirect::To { status, location }) => {
                return Outcome::Redirect { status, location };
            }
            Some(Redirect::Rewrite(to)) => {
                path = to;
                rewritten = true;
            }
            None => {}
        }
        let decoded = html::decode(&path);
        let resolver = Resolver {
            exists: |key: &str| self.files.contains_key(key),
            html_handling: self.config.html_handling,
            not_found,
        };
        let Some(intent) = resolver.intent(&decoded) else {
            return if rewritten {
                Outcome::NotFound
            } else {
                Outcome::NoMatch
            };
        };
        if head.method != Method::GET && head.method != Method::HEAD {
            return Outcome::MethodNotAllowed;
        }
        let (destination, file) = match intent {
            Intent::Redirect(to) => (html::encode(&to), None),
            Intent::Serve { file, status } => (html::encode(&decoded), Some((file, status))),
        };
        match file {
            Some((key, status)) if destination == path => Outcome::File { key, status },
            _ => Outcome::Redirect {
                status: 307,
                location: format!("{destination}{}", head.query),
            },
        }
    }
}

/// Whether `worker`'s compatibility settings turn on
/// `assets_navigation_prefers_asset_serving` (default from 2025-04-01).
fn navigation_prefers_assets(worker: &WorkerConfig) -> bool {
    let flags = &worker.compatibility_flags;
    if flags.iter().any(|f| f == "assets_navigation_has_no_effect") {
        return false;
    }
    flags
        .iter()
        .any(|f| f == "assets_navigation_prefers_asset_serving")
        || worker
            .compatibility_date
            .as_deref()
            .is_some_and(|date| date >= "2025-04-01")
}

/// The files under `dir`, by their key, except those `.assetsignore`
/// names and the directory's own config files. Symbolic links (to files or
/// folders) are followed only where they stay inside `dir`; each file is
/// kept by its real path.
fn scan(dir: &Path) -> Result<HashMap<String, File>, String> {
    let shown = dir.display();
    let ignore = {
        let mut builder = ignore::gitignore::GitignoreBuilder::new(dir);
        for name in CONFIG_FILES {
            let _ = builder.add_line(None, &format!("/{name}"));
        }
        let file = dir.join(".assetsignore");
        if file.exists()
            && let Some(error) = builder.add(&file)
        {
            return Err(format!("{}: {error}", file.display()));
        }
        builder
            .build()
            .map_err(|e| format!("{}: {e}", dir.join(".assetsignore").display()))?
    };
    let mut files = HashMap::new();
    let real_dir = dir.canonicalize().map_err(|e| format!("{shown}: {e}"))?;
    let walk = walkdir::WalkDir::new(dir).follow_links(true).into_iter();
    let walk = walk.filter_entry(|entry| {
        // A linked folder outside the directory is not walked at all.
        if entry.path_is_symlink()
            && entry.file_type().is_dir()
            && !entry
                .path()
                .canonicalize()
                .is_ok_and(|real| real.starts_with(&real_dir))
        {
            return false;
        }
        let relative = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        relative.as_os_str().is_empty()
            || !ignore
                .matched_path_or_any_parents(relative, entry.file_type().is_dir())
                .is_ignore()
    });
    for entry in walk {
        let entry = match entry {
            Ok(entry) => entry,
            // A link to nothing, or a loop of links: not a file to serve.
            Err(error)
                if error.loop_ancestor().is_some()
                    || error
                        .io_error()
                        .is_some_and(|e| e.kind() == std::io::ErrorKind::NotFound) =>
            {
                tracing::warn!("`assets.directory` {shown}: {error}; not served");
                continue;
            }
            Err(error) => return Err(format!("`assets.directory` {shown}: {error}")),
        };
        if entry.file_type().is_dir() {
            continue;
        }
        let path = entry.path();
        let Some(real) = path
            .canonicalize()
            .ok()
            .filter(|real| real.starts_with(&real_dir))
        else {
            tracing::warn!(
                "{}: a link to outside the assets directory; not served",
                path.display()
            );
            continue;
        };
        let metadata = entry
            .metadata()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if metadata.len() > MAX_FILE_BYTES {
            return Err(format!(
                "{}: Asset too large. Cloudflare Workers supports assets with sizes of up to 25 MiB; \
                 this file is {:.1} MiB",
                path.display(),
                metadata.len() as f64 / (1024.0 * 1024.0)
            ));
        }
        let relative = path.strip_prefix(dir).unwrap_or(path);
        let Some(relative) = relative.to_str() else {
            tracing::warn!("{}: not a UTF-8 file name; not served", path.display());
            continue;
        };
        files.insert(
            format!("/{}", relative.replace(std::path::MAIN_SEPARATOR, "/")),
            File {
                path: real,
                content: Arc::default(),
            },
        );
        if files.len() > MAX_FILES {
            return Err(format!(
                "`assets.directory` {shown}: Maximum number of assets exceeded. Cloudflare Workers \
                 supports up to {MAX_FILES} assets in a version, and this directory holds more"
            ));
        }
    }
    Ok(files)
}
