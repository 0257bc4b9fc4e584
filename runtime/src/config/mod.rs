//! Configuration: each Worker's wrangler config, and the host's.
//!
//! - [`WorkerConfig`]: one Worker, from a script, `wrangler.toml` or
//!   `wrangler.json(c)` (wrangler's field names and meanings).
//! - [`HostConfig`]: what one `isola serve` runs: its Workers with their
//!   routes, origins and limits, and the isolate pool; from the command line
//!   or an `isola.toml`.
//! - A Spin app's `spin.toml` is read as one Worker ([`SpinApp`]).

mod assets;
mod cluster;
mod cron;
mod dev_vars;
mod environment;
mod host;
mod redirect;
mod route;
mod spin;
mod wrangler;

use std::fmt;
use std::path::{Path, PathBuf};

pub use assets::{AssetsConfig, FirstRun, HtmlHandling, NotFoundHandling, RunWorkerFirst};
pub use cluster::{ClusterOptions, SECRET_VAR};
pub use cron::Schedule;
pub use host::{
    HostConfig, HostOptions, PoolConfig, WorkerEntry, assets_apart, default_cf, memory_bytes,
    service_targets,
};
pub use route::RoutePattern;
pub use spin::{SpinApp, SpinComponent};
pub use wrangler::{
    Blob, DevSettings, LoadOptions, ModuleRule, RuleKind, WorkerConfig, find_config_above,
    is_script,
};

/// What went wrong reading a config; always names the file.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ConfigError {
    pub path: PathBuf,
    pub message: String,
}

impl ConfigError {
    pub(crate) fn new(path: &Path, message: impl fmt::Display) -> Self {
        Self {
            path: path.to_path_buf(),
            message: message.to_string(),
        }
    }
}
