//! Cron triggers: runs a Worker's `scheduled` handler whenever one of the
//! schedules of its current version is due. A new version (a hot swap, an
//! edit under `isola dev`) may bring other schedules; the runner follows it.
//!
//! Hosts that share a database (`[storage] kv`) fire each schedule once
//! between them: the first to claim the due time there fires it. When the
//! database cannot be asked, a host fires anyway: a schedule may then run
//! on more than one host, never on none.

use std::sync::{Arc, Weak};

use chrono::Utc;
use isola_storage::KvStore;

use super::Host;
use super::slot::WorkerSlot;

/// Fires the schedules of `slot`'s Worker for as long as the host lives.
pub async fn run(host: Weak<Host>, slot: Arc<WorkerSlot>) {
    loop {
        let swapped = slot.swapped();
        let now = Utc::now();
        let next = slot.version().and_then(|version| {
            version
                .config
                .crons
                .iter()
                .filter_map(|s| Some((s.next_after(now)?, s.expression.clone())))
                .min_by_key(|(at, _)| *at)
        });
        let Some((at, expression)) = next else {
            swapped.await;
            continue;
        };
        let wait = (at - now).to_std().unwrap_or_default();
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = swapped => continue,
        }
        let Some(host) = host.upgrade() else {
            return;
        };
        let worker = slot.name().to_string();
        let due_ms = at.timestamp_millis();
        tokio::spawn(async move {
            if !claimed(&host, &worker, &expression, due_ms).await {
                tracing::debug!("[{worker}] scheduled event ({expression}) fired on another host");
                return;
            }
            match host
                .scheduled(Some(&worker), &expression, due_ms as f64)
                .await
            {
                Ok(()) => tracing::info!("[{worker}] scheduled event ({expression}) ran"),
                Err(failure) => {
                    tracing::error!("[{worker}] scheduled event ({expression}) failed: {failure}")
                }
            }
        });
    }
}

/// Whether this host fires `worker`'s `expression` due at `due_ms`: it
/// claimed it, or claiming failed (then it fires, and says why).
async fn claimed(host: &Host, worker: &str, expression: &str, due_ms: i64) -> bool {
    let claims = match host.stores().get::<KvStore>() {
        Ok(kv) => kv.claims().clone(),
        Err(e) => {
            tracing::warn!("[{worker}] scheduled event ({expression}): {e}; firing here");
            return true;
        }
    };
    let event = format!("cron:{worker}:{expression}");
    let claim = tokio::task::spawn_blocking(move || claims.claim(&event, due_ms))
        .await
        .map_err(|e| e.to_string())
        .and_then(|claimed| claimed.map_err(|e| e.to_string()));
    claim.unwrap_or_else(|e| {
        tracing::warn!("[{worker}] scheduled event ({expression}) not claimed: {e}; firing here");
        true
    })
}
