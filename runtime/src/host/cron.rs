//! Cron triggers: runs a Worker's `scheduled` handler whenever one of the
//! schedules of its current version is due. A new version (a hot swap, an
//! edit under `isola dev`) may bring other schedules; the runner follows it.

use std::sync::{Arc, Weak};

use chrono::Utc;

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
        let time = at.timestamp_millis() as f64;
        tokio::spawn(async move {
            match host.scheduled(Some(&worker), &expression, time).await {
                Ok(()) => tracing::info!("[{worker}] scheduled event ({expression}) ran"),
                Err(failure) => {
                    tracing::error!("[{worker}] scheduled event ({expression}) failed: {failure}")
                }
            }
        });
    }
}
