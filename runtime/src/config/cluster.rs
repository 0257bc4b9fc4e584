//! `[cluster]` in `isola.toml`: this host's place in a deployment whose D1
//! databases and Durable Objects each live on one owner (docs/cluster.md).
//!
//! ```toml
//! [cluster]
//! etcd = ["http://10.0.0.2:2379"]       # where owners are leased
//! host = "web-1"                        # this host's name, unique
//! listen = "0.0.0.0:8788"               # the internal listener
//! url = "http://10.0.0.5:8788"          # where other hosts reach it
//! replicas = "s3://isola-replicas?endpoint=http://10.0.0.3:9000"
//! replication = "sync"                  # or "async"
//! lease_ttl = 5                         # seconds
//! prefix = "/isola"                     # the deployment's etcd keys
//! ```
//!
//! Hosts authenticate one another with the secret in
//! `ISOLA_CLUSTER_SECRET`, which every host of the deployment is given.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use isola_storage::replica::Mode;
use serde::Deserialize;

use super::ConfigError;

/// The environment variable that holds the deployment's secret.
pub const SECRET_VAR: &str = "ISOLA_CLUSTER_SECRET";

/// `[cluster]`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterOptions {
    pub etcd: Vec<String>,
    pub host: String,
    pub listen: SocketAddr,
    pub url: String,
    pub replicas: String,
    pub replication: Mode,
    pub lease_ttl: Duration,
    pub prefix: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCluster {
    etcd: Vec<String>,
    host: String,
    listen: SocketAddr,
    url: String,
    replicas: String,
    #[serde(default)]
    replication: Option<String>,
    #[serde(default)]
    lease_ttl: Option<u64>,
    #[serde(default)]
    prefix: Option<String>,
}

impl RawCluster {
    pub(super) fn validated(self, source: &Path) -> Result<ClusterOptions, ConfigError> {
        let bad = |message: String| ConfigError::new(source, message);
        if self.etcd.is_empty() {
            return Err(bad("`cluster.etcd`: name at least one etcd URL".into()));
        }
        for url in &self.etcd {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(bad(format!(
                    "`cluster.etcd` = {url:?}: give etcd's client URL, http://host:2379"
                )));
            }
        }
        if self.host.is_empty()
            || !self
                .host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        {
            return Err(bad(format!(
                "`cluster.host` = {:?}: a name of letters, digits, `-`, `_` and `.`",
                self.host
            )));
        }
        let url = self.url.trim_end_matches('/').to_string();
        if !url.starts_with("http://") || url::Url::parse(&url).is_err() {
            return Err(bad(format!(
                "`cluster.url` = {:?}: where other hosts reach this one, http://host:port",
                self.url
            )));
        }
        isola_storage::r2::S3Location::parse(&self.replicas)
            .map_err(|e| bad(format!("`cluster.replicas`: {e}")))?;
        let replication = match self.replication.as_deref() {
            None | Some("sync") => Mode::Sync,
            Some("async") => Mode::Async,
            Some(other) => {
                return Err(bad(format!(
                    "`cluster.replication` = {other:?}: \"sync\" or \"async\""
                )));
            }
        };
        let lease_ttl = match self.lease_ttl {
            None => Duration::from_secs(5),
            Some(seconds @ 1..=300) => Duration::from_secs(seconds),
            Some(seconds) => {
                return Err(bad(format!(
                    "`cluster.lease_ttl` = {seconds}: from 1 to 300 seconds"
                )));
            }
        };
        let prefix = self.prefix.unwrap_or_else(|| "/isola".into());
        if !prefix.starts_with('/') || prefix.ends_with('/') || prefix.contains("//") {
            return Err(bad(format!(
                "`cluster.prefix` = {prefix:?}: a path such as /isola, without a trailing /"
            )));
        }
        Ok(ClusterOptions {
            etcd: self.etcd,
            host: self.host,
            listen: self.listen,
            url,
            replicas: self.replicas,
            replication,
            lease_ttl,
            prefix,
        })
    }
}
