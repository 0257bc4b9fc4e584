//! `isola reload NAME` on one host of a deployment reaches them all. Hosts
//! that share a database (`[storage] kv`) signal each reload there; each
//! of the others sees the signal within [`WATCH`] and reloads the Worker
//! from its own copy of the files. The files are the deployment's to
//! deliver to every host (an image, a shared volume) before the reload.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError, Weak};
use std::time::Duration;

use isola_storage::KvStore;
use isola_storage::signals::Signals;

use super::Host;
use crate::error::LoadError;

/// How often a host looks for reloads made on the others.
const WATCH: Duration = Duration::from_secs(1);

/// What the signal that a Worker was reloaded starts with, before its name.
const RELOADED: &str = "reload:";

/// The reload signals this host has acted on, by signal, with their
/// counts then.
#[derive(Default)]
pub(super) struct Seen(Mutex<HashMap<String, i64>>);

impl Seen {
    /// Records `count` for `signal`; whether it is news.
    fn record(&self, signal: &str, count: i64) -> bool {
        let mut seen = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        seen.insert(signal.to_string(), count) != Some(count)
    }
}

fn signals(host: &Host) -> Result<Signals, String> {
    host.stores()
        .get::<KvStore>()
        .map(|kv| kv.signals().clone())
}

impl Host {
    /// Reloads the Worker `name` here (see [`Host::reload`]), then signals
    /// the hosts that share this one's database to reload it too. Says
    /// what it did.
    pub async fn reload_everywhere(&self, name: &str) -> Result<String, LoadError> {
        self.reload(name).await?;
        let signals = signals(self).map_err(LoadError)?;
        if !signals.is_shared() {
            return Ok(format!("reloaded {name}\n"));
        }
        let signal = format!("{RELOADED}{name}");
        let raised = {
            let signal = signal.clone();
            tokio::task::spawn_blocking(move || signals.raise(&signal)).await
        };
        match raised {
            Ok(Ok(count)) => {
                self.reloads_seen.record(&signal, count.unwrap_or_default());
                Ok(format!(
                    "reloaded {name}; the hosts that share its database reload it within {} s\n",
                    WATCH.as_secs()
                ))
            }
            Ok(Err(e)) => Err(LoadError(format!(
                "reloaded {name} on this host only: the other hosts could not be told: {e}"
            ))),
            Err(e) => Err(LoadError(e.to_string())),
        }
    }
}

/// Reloads the Workers that other hosts reloaded, for as long as the host
/// lives; nothing to do for a host that shares no database.
pub(super) async fn follow(host: Weak<Host>) {
    let Some(signals) = host.upgrade().and_then(|host| signals(&host).ok()) else {
        return;
    };
    if !signals.is_shared() {
        return;
    }
    let mut every = tokio::time::interval(WATCH);
    // Reloads made before this host started are in the files it loaded.
    let mut baseline = true;
    loop {
        every.tick().await;
        let asked = {
            let signals = signals.clone();
            tokio::task::spawn_blocking(move || signals.counts()).await
        };
        let counts = match asked {
            Ok(Ok(counts)) => counts,
            Ok(Err(e)) => {
                tracing::debug!("reloads on other hosts cannot be seen now: {e}");
                continue;
            }
            Err(_) => continue,
        };
        let Some(host) = host.upgrade() else {
            return;
        };
        for (signal, count) in counts {
            let Some(name) = signal.strip_prefix(RELOADED) else {
                continue;
            };
            if !host.reloads_seen.record(&signal, count) || baseline {
                continue;
            }
            match host.reload(name).await {
                Ok(()) => tracing::info!("[{name}] reloaded, as another host was"),
                Err(e) => tracing::error!("[{name}] reloaded on another host, but not here: {e}"),
            }
        }
        baseline = false;
    }
}
