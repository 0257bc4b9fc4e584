//! The ops behind `D1Database` (`d1.js`). Statements run
//! on tokio's blocking pool, never on the isolate's thread. Each call
//! carries the key of the request that made it, if any: when that request's
//! client goes away, `op_d1_cancel` stops its running statements (and
//! releases the database for others) rather than let them run to D1's 30 s.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use deno_core::{OpState, ToJsBuffer, op2};
use deno_error::JsErrorBox;
use isola_storage::d1::{
    CancelToken, D1Database, D1Error, ExecResult, Meta, QueryResult, Statement, Value,
};
use serde::{Deserialize, Serialize};

use crate::binding::WorkerBindings;

fn database(state: &Rc<RefCell<OpState>>, binding: &str) -> Result<D1Database, JsErrorBox> {
    WorkerBindings::bound(state, binding, "D1 database")
}

/// The cancel tokens of requests with D1 calls running, by request key,
/// with how many calls each has running.
#[derive(Default)]
struct Running(HashMap<u32, (CancelToken, usize)>);

/// Runs `call` on `db` for request `key` (negative: none), cancellable
/// through `op_d1_cancel` while it runs.
async fn for_request<T: Send + 'static>(
    state: &Rc<RefCell<OpState>>,
    mut db: D1Database,
    key: i32,
    call: impl FnOnce(&D1Database) -> Result<T, D1Error> + Send + 'static,
) -> Result<T, JsErrorBox> {
    let key = u32::try_from(key).ok();
    if let Some(key) = key {
        let mut state = state.borrow_mut();
        let running = state.borrow_mut::<Running>();
        let entry = running.0.entry(key).or_default();
        entry.1 += 1;
        db.set_cancel(entry.0.clone());
    }
    let result = blocking(move || call(&db)).await;
    if let Some(key) = key {
        let mut state = state.borrow_mut();
        let running = state.borrow_mut::<Running>();
        if let Some(entry) = running.0.get_mut(&key) {
            entry.1 -= 1;
            if entry.1 == 0 {
                running.0.remove(&key);
            }
        }
    }
    result
}

/// Stops the running D1 calls of request `key`: its client went away.
#[op2(fast)]
pub fn op_d1_cancel(state: &mut OpState, #[smi] key: u32) {
    if let Some((token, _)) = state.borrow::<Running>().0.get(&key) {
        token.cancel();
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, D1Error> + Send + 'static,
) -> Result<T, JsErrorBox> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| JsErrorBox::generic(format!("D1_ERROR: {e}")))?
        .map_err(|e| JsErrorBox::generic(e.to_string()))
}

/// A bound parameter as JS sends it (booleans are 0 or 1 by then).
#[derive(Deserialize)]
#[serde(untagged)]
pub enum Param {
    Null,
    Number(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl From<Param> for Value {
    fn from(param: Param) -> Self {
        match param {
            Param::Null => Value::Null,
            Param::Number(n) => Value::number(n),
            Param::Text(t) => Value::Text(t),
            Param::Blob(b) => Value::Blob(b),
        }
    }
}

/// A value as JS receives it: integers as doubles, as D1 gives them.
#[derive(Serialize)]
#[serde(untagged)]
pub enum Cell {
    Null,
    Number(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl From<Value> for Cell {
    fn from(value: Value) -> Self {
        match value {
            Value::Null => Cell::Null,
            Value::Integer(i) => Cell::Number(i as f64),
            Value::Real(r) => Cell::Number(r),
            Value::Text(t) => Cell::Text(t),
            Value::Blob(b) => Cell::Blob(b),
        }
    }
}

#[derive(Serialize)]
pub struct JsResult {
    columns: Vec<String>,
    rows: Vec<Vec<Cell>>,
    meta: Meta,
}

impl From<QueryResult> for JsResult {
    fn from(result: QueryResult) -> Self {
        Self {
            columns: result.columns,
            rows: result
                .rows
                .into_iter()
                .map(|row| row.into_iter().map(Cell::from).collect())
                .collect(),
            meta: result.meta,
        }
    }
}

/// Runs `[sql, params]` statements in one transaction.
#[op2]
#[serde]
pub async fn op_d1_batch(
    state: Rc<RefCell<OpState>>,
    #[string] binding: String,
    #[serde] statements: Vec<(String, Vec<Param>)>,
    #[smi] key: i32,
) -> Result<Vec<JsResult>, JsErrorBox> {
    let db = database(&state, &binding)?;
    let statements: Vec<Statement> = statements
        .into_iter()
        .map(|(sql, params)| Statement::new(sql, params.into_iter().map(Value::from).collect()))
        .collect();
    let results = for_request(&state, db, key, move |db| db.batch(&statements)).await?;
    Ok(results.into_iter().map(JsResult::from).collect())
}

#[op2]
#[serde]
pub async fn op_d1_exec(
    state: Rc<RefCell<OpState>>,
    #[string] binding: String,
    #[string] sql: String,
    #[smi] key: i32,
) -> Result<ExecResult, JsErrorBox> {
    let db = database(&state, &binding)?;
    for_request(&state, db, key, move |db| db.exec(&sql)).await
}

#[op2]
#[serde]
pub async fn op_d1_dump(
    state: Rc<RefCell<OpState>>,
    #[string] binding: String,
) -> Result<ToJsBuffer, JsErrorBox> {
    let db = database(&state, &binding)?;
    Ok(blocking(move || db.dump()).await?.into())
}

deno_core::extension!(
    isola_d1,
    deps = [isola_global_scope],
    ops = [op_d1_batch, op_d1_exec, op_d1_dump, op_d1_cancel],
    esm_entry_point = "ext:isola_d1/d1.js",
    esm = [dir "src/d1", "d1.js"],
    state = |state| state.put(Running::default()),
);
