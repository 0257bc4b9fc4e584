//! Durable Object alarms: runs an object's `alarm()` once its time has
//! come, from the host's alarm index (so alarms set before a restart run
//! after it). A handler that throws is run again with exponential backoff
//! (2 s, 4 s, ... , six retries), as Cloudflare documents; one that
//! succeeds removes the alarm, unless it set a new one.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use isola_apis::durable_objects::ObjectStore;
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
    let succeeded = host.alarm(&owner, retries).await;
    let kept = if succeeded {
        store.alarms().delete(&owner, Some(at))
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
        store
            .alarms()
            .retry(&owner, at, now_ms() + backoff, retries + 1)
    } else {
        tracing::error!(
            "[{}] the alarm of {} {} failed {} times; it is dropped",
            owner.worker,
            owner.class,
            owner.id,
            retries + 1
        );
        store.alarms().delete(&owner, Some(at))
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
