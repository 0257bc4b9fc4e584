//! `assets`: a Worker's static files, as wrangler reads the field.
//!
//! Only the configuration lives here; [`crate::assets`] scans the
//! directory and serves it.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// `assets = { directory, binding, html_handling, not_found_handling,
/// run_worker_first }`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetsConfig {
    /// The folder served, absolute.
    pub directory: PathBuf,
    /// `env.<binding>`, a fetcher that serves the assets to the Worker.
    pub binding: Option<String>,
    pub html_handling: HtmlHandling,
    pub not_found_handling: NotFoundHandling,
    pub run_worker_first: RunWorkerFirst,
}

/// How `/about`, `/about/` and `/about.html` map to files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HtmlHandling {
    #[default]
    AutoTrailingSlash,
    ForceTrailingSlash,
    DropTrailingSlash,
    None,
}

/// What a request that matches no file gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NotFoundHandling {
    #[default]
    None,
    #[serde(rename = "404-page")]
    NotFoundPage,
    SinglePageApplication,
}

/// Whether the Worker runs before the assets are looked at: never, always,
/// or for the paths that match route patterns (`/api/*`; `!/api/docs/*`
/// excludes, and an exclusion wins).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunWorkerFirst {
    Never,
    Always,
    Paths {
        include: Vec<String>,
        exclude: Vec<String>,
    },
}

/// Who answers a request first, by its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstRun {
    /// The Worker, always.
    Worker,
    /// The assets, even when no file matches (an excluded path).
    Assets,
    /// The assets if a file matches, else the Worker.
    Either,
}

impl RunWorkerFirst {
    /// Who answers a request to `path` first.
    pub fn first(&self, path: &str) -> FirstRun {
        match self {
            Self::Never => FirstRun::Either,
            Self::Always => FirstRun::Worker,
            Self::Paths { include, exclude } => {
                if exclude.iter().any(|p| path_matches(p, path)) {
                    FirstRun::Assets
                } else if include.iter().any(|p| path_matches(p, path)) {
                    FirstRun::Worker
                } else {
                    FirstRun::Either
                }
            }
        }
    }
}

/// Whether `path` matches `pattern`, where `*` stands for any characters
/// (slashes too) and the rest must be equal.
fn path_matches(pattern: &str, path: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = path.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Fields wrangler no longer knows (`experimental_serve_directly`) are
/// ignored, as wrangler ignores them with a warning.
#[derive(Deserialize)]
struct RawAssets {
    directory: Option<String>,
    binding: Option<String>,
    #[serde(default)]
    html_handling: HtmlHandling,
    #[serde(default)]
    not_found_handling: NotFoundHandling,
    run_worker_first: Option<RawRunWorkerFirst>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawRunWorkerFirst {
    All(bool),
    Paths(Vec<String>),
}

impl AssetsConfig {
    /// Reads the `assets` field of the config in `dir`; an error names the
    /// field.
    pub fn from_value(value: serde_json::Value, dir: &Path) -> Result<Self, String> {
        let raw: RawAssets = serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let at = if path == "." {
                "assets".to_string()
            } else {
                format!("assets.{path}")
            };
            format!("`{at}`: {}", e.into_inner())
        })?;
        let directory = raw
            .directory
            .ok_or("`assets.directory` is missing: name the folder of static files to serve")?;
        let directory = dir.join(directory);
        let directory = match directory.canonicalize() {
            Ok(found) if found.is_dir() => found,
            _ => {
                return Err(format!(
                    "`assets.directory`: {} does not exist or is not a directory",
                    directory.display()
                ));
            }
        };
        let run_worker_first = match raw.run_worker_first {
            Some(RawRunWorkerFirst::All(true)) => RunWorkerFirst::Always,
            Some(RawRunWorkerFirst::All(false)) | None => RunWorkerFirst::Never,
            Some(RawRunWorkerFirst::Paths(patterns)) => paths(patterns)?,
        };
        Ok(Self {
            directory,
            binding: raw.binding,
            html_handling: raw.html_handling,
            not_found_handling: raw.not_found_handling,
            run_worker_first,
        })
    }
}

impl AssetsConfig {
    /// What an assets-only project (no `main`) may not ask for.
    pub fn check_without_worker(&self) -> Result<(), String> {
        if let Some(binding) = &self.binding {
            return Err(format!(
                "`assets.binding` ({binding}): a project of assets alone has no Worker to bind \
                 them to; remove the binding or name a Worker script in `main`"
            ));
        }
        if self.run_worker_first != RunWorkerFirst::Never {
            return Err(
                "`assets.run_worker_first`: a project of assets alone has no Worker to \
                        run first; remove it or name a Worker script in `main`"
                    .into(),
            );
        }
        Ok(())
    }
}

/// At most this many `run_worker_first` patterns, each at most this long.
const MAX_PATTERNS: usize = 100;
const MAX_PATTERN_LEN: usize = 100;

/// Route patterns, checked as wrangler checks them: each starts with `/`,
/// or `!/` to exclude; there is a pattern to include if any excludes.
fn paths(patterns: Vec<String>) -> Result<RunWorkerFirst, String> {
    if patterns.is_empty() || patterns.len() > MAX_PATTERNS {
        return Err(format!(
            "`assets.run_worker_first`: give between 1 and {MAX_PATTERNS} route patterns, not {}",
            patterns.len()
        ));
    }
    let mut include = Vec::new();
    let mut exclude = Vec::new();
    for (i, pattern) in patterns.into_iter().enumerate() {
        if pattern.len() > MAX_PATTERN_LEN {
            return Err(format!(
                "`assets.run_worker_first[{i}]`: a pattern may be at most {MAX_PATTERN_LEN} characters long"
            ));
        }
        match pattern.strip_prefix('!') {
            Some(negated) if negated.starts_with('/') => exclude.push(negated.to_string()),
            None if pattern.starts_with('/') => include.push(pattern),
            _ => {
                return Err(format!(
                    "`assets.run_worker_first[{i}]`: {pattern:?} is not a route: \
                     it must start with \"/\" (or \"!/\" to exclude)"
                ));
            }
        }
    }
    if include.is_empty() {
        return Err(
            "`assets.run_worker_first`: only exclusions (`!/...`); add the routes the Worker runs first for"
                .into(),
        );
    }
    Ok(RunWorkerFirst::Paths { include, exclude })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_every_field() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("public")).unwrap();
        let config = AssetsConfig::from_value(
            json!({
                "directory": "./public",
                "binding": "ASSETS",
                "html_handling": "drop-trailing-slash",
                "not_found_handling": "404-page",
                "run_worker_first": ["/api/*", "!/api/docs/*"],
            }),
            dir.path(),
        )
        .unwrap();
        assert_eq!(
            config.directory,
            dir.path().join("public").canonicalize().unwrap()
        );
        assert_eq!(config.binding.as_deref(), Some("ASSETS"));
        assert_eq!(config.html_handling, HtmlHandling::DropTrailingSlash);
        assert_eq!(config.not_found_handling, NotFoundHandling::NotFoundPage);
        let first = |path| config.run_worker_first.first(path);
        assert_eq!(first("/api/users"), FirstRun::Worker);
        assert_eq!(first("/api/docs/intro"), FirstRun::Assets);
        assert_eq!(first("/index.html"), FirstRun::Either);
    }

    #[test]
    fn errors_name_the_field() {
        let dir = tempfile::tempdir().unwrap();
        let err = AssetsConfig::from_value(json!({"directory": "nope"}), dir.path()).unwrap_err();
        assert!(
            err.contains("assets.directory") && err.contains("nope"),
            "{err}"
        );
        let err =
            AssetsConfig::from_value(json!({"directory": ".", "html_handling": "x"}), dir.path())
                .unwrap_err();
        assert!(err.contains("assets.html_handling"), "{err}");
        let err = AssetsConfig::from_value(
            json!({"directory": ".", "run_worker_first": ["api/*"]}),
            dir.path(),
        )
        .unwrap_err();
        assert!(err.contains("run_worker_first[0]"), "{err}");
    }

    #[test]
    fn patterns_match_as_globs() {
        assert!(path_matches("/api/*", "/api/"));
        assert!(path_matches("/api/*", "/api/a/b"));
        assert!(!path_matches("/api/*", "/api"));
        assert!(path_matches("/*.json", "/a/b.json"));
        assert!(path_matches("/exact", "/exact"));
        assert!(!path_matches("/exact", "/exact/"));
        assert!(path_matches("/a/*/c", "/a/b/c"));
    }
}
