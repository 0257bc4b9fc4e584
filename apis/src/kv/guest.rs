//! What the guests' KV interfaces (`wasi:keyvalue` and Spin's key-value)
//! do alike: plain values on a namespace, run on the blocking pool, with a
//! failure given back as the interface's `other(string)` error.

use isola_storage::kv::{KvError, Namespace, Put};

use crate::wit::blocking;

/// Runs KV work on the blocking pool, given the time now; `other` makes
/// the interface's error of a failure.
pub(crate) async fn run<T: Send + 'static, E: Send + 'static>(
    other: fn(String) -> E,
    work: impl FnOnce(u64) -> Result<T, KvError> + Send + 'static,
) -> Result<T, E> {
    blocking(
        move || work(isola_storage::unix_now()).map_err(|e| other(e.to_string())),
        other,
    )
    .await
}

/// The value under `key`, if any.
pub(crate) async fn get<E: Send + 'static>(
    other: fn(String) -> E,
    namespace: Namespace,
    key: String,
) -> Result<Option<Vec<u8>>, E> {
    run(other, move |now| {
        Ok(namespace.read(&key, now)?.map(|entry| entry.value))
    })
    .await
}

/// Puts `value` under `key`, with no metadata or expiration.
pub(crate) async fn set<E: Send + 'static>(
    other: fn(String) -> E,
    namespace: Namespace,
    key: String,
    value: Vec<u8>,
) -> Result<(), E> {
    let put = Put {
        value,
        ..Put::default()
    };
    run(other, move |now| namespace.write(&key, put, now)).await
}

pub(crate) async fn delete<E: Send + 'static>(
    other: fn(String) -> E,
    namespace: Namespace,
    key: String,
) -> Result<(), E> {
    run(other, move |_| namespace.remove(&key)).await
}

pub(crate) async fn exists<E: Send + 'static>(
    other: fn(String) -> E,
    namespace: Namespace,
    key: String,
) -> Result<bool, E> {
    run(other, move |now| Ok(namespace.read(&key, now)?.is_some())).await
}
