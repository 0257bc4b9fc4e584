//! Durable Object alarms: runs an object's `alarm()` once its time has
//! come, from the host's alarm index (so alarms set before a restart run
//! after it). A handler that throws is run again with exponential backoff
//! (2 s, 4 s, ... , six retries), as Cloudflare documents; one that
//! succeeds removes the alarm, unless it set a new one.
//!
//! In a deployment (`[cluster]`) an alarm also lives where every host
//! sees it; it runs on the object's owner, and a host that takes an object
//! over takes its alarm too (`adopt`): at least once per scheduled time,
//! and more than once only when an owner dies while the alarm runs.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use isola_apis::Placement;
use isola_apis::durable_objects::{AlarmRecord, ObjectStore};
use isola_cluster::Placement as Placed;
use isola_storage::alarms::{Alarm, AlarmOwner};

use super::Host;

/// Retries after the first failure.
const RETRIES: u32 = 6;

/// How long the runner sleeps with no alarm pending (an alarm set
/// meanwhile wakes it).
const IDLE: Duration = Duration::from_secs(3600);

fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// Runs due alarms for as long as the host lives.
pub async fn run(host: Weak<Host>, store: ObjectStore) {
    let running: Arc<Mutex<HashSet<AlarmOwner>>> = Arc::default();
    loop {
        let set = store.alarm_set();
        tokio::pin!(set);
        set.as_mut().enable();
        let pending = match store.alarms().pending() {
            Ok(pending) => pending,
            Err(error) => {
                tracing::error!("Durable Object alarms: {error}");
                Vec::new()
            }
        };
        let now = now_ms();
        let mut next = None;
        for alarm in pending {
            if !running
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(alarm.owner.clone())
            {
                continue;
            }
            if alarm.at > now {
                running
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&alarm.owner);
                next = Some(alarm.at);
                break;
            }
            let Some(host) = host.upgrade() else {
                return;
            };
            tokio::spawn(fire(host, store.clone(), alarm, running.clone()));
        }
        let wait = next.map_or(IDLE, |at| Duration::from_secs_f64((at - now) / 1000.0));
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = set => {}
        }
        if host.strong_count() == 0 {
            return;
        }
    }
}

/// Runs one alarm, then removes it, or schedules its retry.
async fn fire(
    host: Arc<Host>,
    store: ObjectStore,
    alarm: Alarm,
    running: Arc<Mutex<HashSet<AlarmOwner>>>,
) {
    let Alarm { owner, at, retries } = alarm;
    if !fires_here(&store, &owner, at).await {
        // Another host owns the object (or the alarm was removed there):
        // it is that host's to run.
        if let Err(error) = store.alarms().delete(&owner, None) {
            tracing::error!("Durable Object alarms: {error}");
        }
        running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&owner);
        return;
    }
    let succeeded = host.alarm(&owner, retries).await;
    let kept = if succeeded {
        store.delete_alarm(&owner, Some(at))
    } else if retries < RETRIES {
        let backoff = 2000.0 * f64::from(1u32 << retries);
        tracing::warn!(
            "[{}] the alarm of {} {} failed; retry {} in {} s",
            owner.worker,
            owner.class,
            owner.id,
            retries + 1,
            backoff / 1000.0
        );
        store.retry_alarm(&owner, at, now_ms() + backoff, retries + 1)
    } else {
        tracing::error!(
            "[{}] the alarm of {} {} failed {} times; it is dropped",
            owner.worker,
            owner.class,
            owner.id,
            retries + 1
        );
        store.delete_alarm(&owner, Some(at))
    };
    if let Err(error) = kept {
        tracing::error!("Durable Object alarms: {error}");
    }
    running
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&owner);
    store.notify_alarm_set();
}

/// Whether `owner`'s alarm, due at `at`, runs on this host: always on a
/// host alone; in a deployment, when the deployment still records it and
/// this host owns the object (claiming it if no host does).
async fn fires_here(store: &ObjectStore, owner: &AlarmOwner, at: f64) -> bool {
    let Some(Placement(databases)) = store.cluster() else {
        return true;
    };
    let key = store.object_key(&owner.worker, &owner.class, &owner.id);
    let recorded = databases.cluster().view().alarms().get(&key).cloned();
    let recorded = recorded.and_then(|r| serde_json::from_str::<AlarmRecord>(&r).ok());
    if recorded.is_none_or(|r| r.at != at) {
        return false;
    }
    let databases = databases.clone();
    let placed = tokio::task::spawn_blocking(move || databases.cluster().place(&key)).await;
    matches!(placed, Ok(Ok(Placed::Here(_))))
}

/// In a deployment: every second, takes into this host's index the alarms
/// the deployment records for objects this host owns or would claim (their
/// owner died, say), and drops those of objects another host owns.
pub async fn adopt(host: Weak<Host>, store: ObjectStore) {
    let Some(Placement(databases)) = store.cluster().cloned() else {
        return;
    };
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        if host.strong_count() == 0 {
            return;
        }
        let cluster = databases.cluster();
        let mut added = false;
        for (key, record) in cluster.view().alarms() {
            let Ok(record) = serde_json::from_str::<AlarmRecord>(record) else {
                continue;
            };
            let owner = record.owner();
            let local = store.alarms().get(&owner);
            let kept = if cluster.would_own(key) {
                if matches!(local, Ok(None)) {
                    added = true;
                    store.alarms().set(&owner, record.at)
                } else {
                    Ok(())
                }
            } else if matches!(local, Ok(Some(_))) {
                store.alarms().delete(&owner, None)
            } else {
                Ok(())
            };
            if let Err(error) = kept {
                tracing::error!("Durable Object alarms: {error}");
            }
        }
        if added {
            store.notify_alarm_set();
        }
    }
}
