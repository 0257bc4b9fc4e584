//! The ops behind `KVNamespace` (`kv.js`). Each runs its store work on
//! tokio's blocking pool: the isolate's thread never waits on the disk.

use std::cell::RefCell;
use std::rc::Rc;

use deno_core::{OpState, ToJsBuffer, op2};
use deno_error::JsErrorBox;
use isola_storage::kv::{Namespace, Put, validate_bulk_get, validate_cache_ttl};
use isola_storage::{KvError, unix_now as now};
use serde::{Deserialize, Serialize};

use crate::binding::WorkerBindings;

/// A JS number as workerd reads it into a C++ `int`: truncated, NaN as 0.
fn integer(value: Option<f64>) -> Option<i64> {
    value.map(|v| v as i64)
}

fn js_error(error: KvError) -> JsErrorBox {
    if error.is_type_error() {
        JsErrorBox::type_error(error.to_string())
    } else {
        JsErrorBox::generic(error.to_string())
    }
}

fn namespace(state: &Rc<RefCell<OpState>>, binding: &str) -> Result<Namespace, JsErrorBox> {
    WorkerBindings::bound(state, binding, "KV namespace")
}

/// Runs `work` on the blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, KvError> + Send + 'static,
) -> Result<T, JsErrorBox> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| JsErrorBox::generic(format!("KV operation failed: {e}")))?
        .map_err(js_error)
}

/// `[value, metadata JSON]`, or null when the key is absent.
type Stored = Option<(ToJsBuffer, Option<String>)>;

#[op2]
#[serde]
pub async fn op_kv_get(
    state: Rc<RefCell<OpState>>,
    #[string] binding: String,
    #[string] key: String,
    cache_ttl: Option<f64>,
) -> Result<Stored, JsErrorBox> {
    let ns = namespace(&state, &binding)?;
    let entry = blocking(move || ns.read_cached(&key, now(), integer(cache_ttl))).await?;
    Ok(entry.map(|e| (e.value.into(), e.metadata)))
}

/// For each key, `[value as text, metadata JSON]` or null.
#[op2]
#[serde]
pub async fn op_kv_get_bulk(
    state: Rc<RefCell<OpState>>,
    #[string] binding: String,
    #[serde] keys: Vec<String>,
    #[string] value_type: String,
    cache_ttl: Option<f64>,
) -> Result<Vec<Option<(String, Option<String>)>>, JsErrorBox> {
    validate_bulk_get(&keys, &value_type).map_err(js_error)?;
    let cache_ttl = validate_cache_ttl(integer(cache_ttl)).map_err(js_error)?;
    let ns = namespace(&state, &binding)?;
    blocking(move || {
        let now = now();
        keys.iter()
            .map(|key| {
                Ok(ns.get_cached(key, now, cache_ttl)?.map(|entry| {
                    (
                        String::from_utf8_lossy(&entry.value).into_owned(),
                        entry.metadata,
                    )
                }))
            })
            .collect()
    })
    .await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutOptions {
    metadata: Option<String>,
    expiration: Option<f64>,
    expiration_ttl: Option<f64>,
}

#[op2]
pub async fn op_kv_put(
    state: Rc<RefCell<OpState>>,
    #[string] binding: String,
    #[string] key: String,
    #[buffer(copy)] value: Vec<u8>,
    #[serde] options: PutOptions,
) -> Result<(), JsErrorBox> {
    let put = Put {
        value,
        metadata: options.metadata,
        expiration: integer(options.expiration),
        expiration_ttl: integer(options.expiration_ttl),
    };
    let ns = namespace(&state, &binding)?;
    blocking(move || ns.write(&key, put, now())).await
}

#[op2]
pub async fn op_kv_delete(
    state: Rc<RefCell<OpState>>,
    #[string] binding: String,
    #[string] key: String,
) -> Result<(), JsErrorBox> {
    let ns = namespace(&state, &binding)?;
    blocking(move || ns.remove(&key)).await
}

#[derive(Deserialize)]
pub struct ListOptions {
    prefix: Option<String>,
    limit: Option<f64>,
    cursor: Option<String>,
}

#[derive(Serialize)]
pub struct ListResult {
    /// `[name, expiration, metadata JSON]` each.
    keys: Vec<(String, Option<u64>, Option<String>)>,
    cursor: Option<String>,
}

#[op2]
#[serde]
pub async fn op_kv_list(
    state: Rc<RefCell<OpState>>,
    #[string] binding: String,
    #[serde] options: ListOptions,
) -> Result<ListResult, JsErrorBox> {
    let prefix = options.prefix.unwrap_or_default();
    let limit = integer(options.limit);
    let ns = namespace(&state, &binding)?;
    let page =
        blocking(move || ns.list_page(&prefix, limit, options.cursor.as_deref(), now())).await?;
    Ok(ListResult {
        keys: page
            .keys
            .into_iter()
            .map(|k| (k.name, k.expiration, k.metadata))
            .collect(),
        cursor: page.cursor,
    })
}

deno_core::extension!(
    isola_kv,
    deps = [isola_global_scope],
    ops = [op_kv_get, op_kv_get_bulk, op_kv_put, op_kv_delete, op_kv_list],
    esm_entry_point = "ext:isola_kv/kv.js",
    esm = [dir "src/kv", "kv.js"],
);
