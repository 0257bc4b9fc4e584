//! Durable Objects as a binding (`[[durable_objects.bindings]]` →
//! `env.COUNTER`, a `DurableObjectNamespace`), and the storage of the
//! objects a Worker's classes make.
//!
//! - `namespace.js`: the namespace, its ids and stubs. A stub's `fetch()`
//!   and RPC calls go through the service binding ops, which route them
//!   by the binding's [`ObjectRoute`] to the Worker exporting the class;
//!   the host runs that Worker's objects in an isolate of their own.
//! - `objects.js`: the objects, one per id, made when first called, each
//!   with its `ctx` (`DurableObjectState`) and storage.
//! - the ops below: ids as workerd makes them, and each object's SQLite
//!   database, reached synchronously (as workerd's storage is, from the
//!   object's point of view: no other event runs while an operation is
//!   pending).
//!
//! An object's database is `<state>/do/<script>-<class>/<id>.sqlite`,
//! named as workerd and miniflare name theirs (by the name the class was
//! first declared under, when `[[migrations]]` renamed it); the SQL runs on
//! [`isola_storage::d1`], confined to that one file.

pub mod migrations;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use deno_core::{OpState, op2};
use deno_error::JsErrorBox;
use hmac::{Hmac, Mac};
use isola_storage::alarms::{AlarmIndex, AlarmOwner};
use isola_storage::d1::{D1Database, Durability, QueryResult, SavepointStep, Statement, Value};
use sha2::{Digest, Sha256};
use tokio::sync::Notify;
use tokio::sync::futures::Notified;

use crate::binding::{BannerRow, Binding, BindingKind, JsBinding, Prepared, WorkerBindings};
use crate::stores::{Placement, SharedStorage, Store, Stores};

/// The `durable_objects` kind.
pub struct DurableObjects;

/// A `[[durable_objects.bindings]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectBinding {
    pub name: String,
    pub class_name: String,
    /// The Worker of the host that exports the class; this one when None.
    #[serde(default)]
    pub script_name: Option<String>,
    #[serde(default)]
    pub environment: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDurableObjects {
    #[serde(default)]
    bindings: Vec<ObjectBinding>,
}

impl BindingKind for DurableObjects {
    fn key(&self) -> &'static str {
        "durable_objects"
    }

    fn configure(
        &self,
        value: serde_json::Value,
        _dir: &Path,
    ) -> Result<Vec<Arc<dyn Binding>>, String> {
        let raw: RawDurableObjects = serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            format!("`{}.{path}`: {}", self.key(), e.into_inner())
        })?;
        let mut out: Vec<Arc<dyn Binding>> = Vec::new();
        for (i, binding) in raw.bindings.into_iter().enumerate() {
            if !is_class_name(&binding.class_name) {
                return Err(format!(
                    "`durable_objects.bindings[{i}].class_name`: {:?} is not a JavaScript class name",
                    binding.class_name
                ));
            }
            out.push(Arc::new(binding));
        }
        Ok(out)
    }

    fn extension(&self) -> deno_core::Extension {
        isola_durable_objects::init()
    }
}

deno_core::extension!(
    isola_durable_objects,
    deps = [isola_global_scope, isola_services, isola_websocket],
    ops = [
        op_do_id_from_name,
        op_do_new_unique_id,
        op_do_check_id,
        op_do_open,
        op_do_sql,
        op_do_savepoint,
        op_do_idle_ms,
        op_do_close,
        op_do_set_alarm,
        op_do_get_alarm,
        op_do_delete_alarm,
    ],
    esm_entry_point = "ext:isola_durable_objects/namespace.js",
    esm = [dir "src/durable_objects", "storage.js", "objects.js", "namespace.js"],
);

/// Whether `name` can be an exported class's name (and so a folder's).
fn is_class_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// Where a namespace binding's calls go: the class, and the Worker that
/// exports it (this one when None).
#[derive(Debug, Clone)]
pub struct ObjectRoute {
    pub script: Option<String>,
    pub class: String,
}

impl Binding for ObjectBinding {
    fn binding(&self) -> &str {
        &self.name
    }

    fn describe(&self) -> JsBinding {
        JsBinding::new("durable_object_namespace", serde_json::json!({}))
    }

    fn banner(&self) -> BannerRow {
        BannerRow {
            resource: match &self.script_name {
                Some(script) => format!("{} (defined in {script})", self.class_name),
                None => self.class_name.clone(),
            },
            kind: "Durable Object",
        }
    }

    fn prepare(&self, _stores: &Stores) -> Result<Option<Prepared>, String> {
        Ok(Some(Arc::new(ObjectRoute {
            script: self.script_name.clone(),
            class: self.class_name.clone(),
        })))
    }
}

/// The namespace a binding names: the Worker and the class's origin (its
/// ids are keyed, as workerd keys them, by the SHA-256 of
/// `<script>-<class>`, miniflare's unique key).
fn namespace(state: &OpState, binding: &str) -> Result<(String, String), JsErrorBox> {
    let bindings = state.borrow::<WorkerBindings>();
    let route = bindings.get::<ObjectRoute>(binding).ok_or_else(|| {
        JsErrorBox::type_error(format!("No Durable Object namespace is bound as {binding}"))
    })?;
    let script = route
        .script
        .clone()
        .unwrap_or_else(|| bindings.worker().to_string());
    let class = match bindings.objects() {
        Some(objects) => objects.origin(&script, &route.class),
        None => route.class.clone(),
    };
    Ok((script, class))
}

fn id_key(script: &str, class: &str) -> [u8; 32] {
    Sha256::digest(format!("{script}-{class}").as_bytes()).into()
}

/// The second half of an id: the HMAC of its first half, so that an id
/// of one namespace is refused by another.
fn with_mac(key: &[u8; 32], first: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    mac.update(first);
    let tag = mac.finalize().into_bytes();
    let mut id = first.to_vec();
    id.extend_from_slice(&tag[..16]);
    id.iter().map(|b| format!("{b:02x}")).collect()
}

#[op2]
#[string]
fn op_do_id_from_name(
    state: &mut OpState,
    #[string] binding: &str,
    #[string] name: &str,
) -> Result<String, JsErrorBox> {
    let (script, class) = namespace(state, binding)?;
    let key = id_key(&script, &class);
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
    mac.update(name.as_bytes());
    Ok(with_mac(&key, &mac.finalize().into_bytes()[..16]))
}

#[op2]
#[string]
fn op_do_new_unique_id(state: &mut OpState, #[string] binding: &str) -> Result<String, JsErrorBox> {
    let (script, class) = namespace(state, binding)?;
    let first: [u8; 16] = rand::random();
    Ok(with_mac(&id_key(&script, &class), &first))
}

/// Checks that `id` is one of the namespace's, as workerd does.
#[op2(fast)]
fn op_do_check_id(
    state: &mut OpState,
    #[string] binding: &str,
    #[string] id: &str,
) -> Result<(), JsErrorBox> {
    let bytes = (id.len() == 64 && id.is_ascii())
        .then(|| {
            (0..32)
                .map(|i| u8::from_str_radix(&id[2 * i..2 * i + 2], 16).ok())
                .collect::<Option<Vec<u8>>>()
        })
        .flatten()
        .ok_or_else(|| {
            JsErrorBox::type_error("Invalid Durable Object ID: must be 64 hex digits")
        })?;
    let (script, class) = namespace(state, binding)?;
    if with_mac(&id_key(&script, &class), &bytes[..16]) != id.to_ascii_lowercase() {
        return Err(JsErrorBox::type_error(
            "Durable Object ID is not valid for this namespace.",
        ));
    }
    Ok(())
}

/// Where objects keep their databases (the state directory, or memory),
/// and the host's index of their alarms.
#[derive(Clone)]
pub struct ObjectStore {
    root: Option<PathBuf>,
    alarms: Arc<AlarmIndex>,
    /// Woken when an alarm is set, for the host's alarm runner.
    changed: Arc<Notify>,
    /// `(worker, class)` → the name the class was first declared under
    /// (`migrations::origins`), for the Workers whose migrations rename.
    origins: Arc<std::sync::Mutex<HashMap<(String, String), String>>>,
    /// How long an object stays in memory without an event, in ms.
    idle_ms: Arc<std::sync::atomic::AtomicU64>,
    /// The deployment's owners, when this host is one of several: an
    /// object runs, and keeps its database, on its owner.
    cluster: Option<Placement>,
}

/// An object's alarm as a deployment records it (`isola_cluster`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AlarmRecord {
    pub worker: String,
    pub class: String,
    pub id: String,
    /// Milliseconds since the epoch.
    pub at: f64,
}

impl AlarmRecord {
    pub fn of(owner: &AlarmOwner, at: f64) -> Self {
        Self {
            worker: owner.worker.clone(),
            class: owner.class.clone(),
            id: owner.id.clone(),
            at,
        }
    }

    pub fn owner(&self) -> AlarmOwner {
        AlarmOwner {
            worker: self.worker.clone(),
            class: self.class.clone(),
            id: self.id.clone(),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a record serializes")
    }
}

/// Cloudflare evicts an idle object after 70 to 140 seconds.
pub const DEFAULT_IDLE: std::time::Duration = std::time::Duration::from_secs(70);

impl Store for ObjectStore {
    fn open(dir: Option<&Path>, shared: &SharedStorage) -> Result<Self, String> {
        let root = dir.map(|dir| dir.join("do"));
        Ok(Self {
            alarms: Arc::new(AlarmIndex::open(root.as_deref())?),
            root,
            changed: Arc::new(Notify::new()),
            origins: Arc::default(),
            idle_ms: Arc::new(std::sync::atomic::AtomicU64::new(
                DEFAULT_IDLE.as_millis() as u64
            )),
            cluster: shared.cluster.clone(),
        })
    }
}

impl ObjectStore {
    pub fn alarms(&self) -> &AlarmIndex {
        &self.alarms
    }

    /// Sets how long an object stays in memory without an event (for the
    /// objects made from now on).
    pub fn set_idle_timeout(&self, idle: std::time::Duration) {
        self.idle_ms.store(
            idle.as_millis() as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    /// Completes when an alarm is set (or has run) after this call.
    pub fn alarm_set(&self) -> Notified<'_> {
        self.changed.notified()
    }

    /// Applies `worker`'s migrations not applied yet to its stored objects
    /// (none are stored in memory); what it did, for the log.
    pub fn migrate(
        &self,
        worker: &str,
        migrations: &[migrations::Migration],
    ) -> Result<Vec<String>, String> {
        {
            let mut origins = self.origins.lock().unwrap_or_else(|e| e.into_inner());
            origins.retain(|(w, _), _| w != worker);
            for (class, origin) in migrations::origins(migrations) {
                origins.insert((worker.to_string(), class), origin);
            }
        }
        match &self.root {
            Some(root) if !migrations.is_empty() => {
                migrations::apply(root, worker, migrations, &self.alarms)
            }
            _ => Ok(Vec::new()),
        }
    }

    /// The name `worker`'s class `class` goes by in storage and ids: the
    /// one it was first declared under.
    fn origin(&self, worker: &str, class: &str) -> String {
        self.origins
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(worker.to_string(), class.to_string()))
            .cloned()
            .unwrap_or_else(|| class.to_string())
    }

    /// The key that names object `id` of `worker`'s `class` in a
    /// deployment (its owner, its replica): `do/<worker>-<class>/<id>`, as
    /// its folder and file are named.
    pub fn object_key(&self, worker: &str, class: &str, id: &str) -> String {
        format!("do/{worker}-{}/{id}", self.origin(worker, class))
    }

    /// The deployment's owners, when this host is one of several.
    pub fn cluster(&self) -> Option<&Placement> {
        self.cluster.as_ref()
    }

    /// Sets `owner`'s alarm to `at`: in this host's index, and, in a
    /// deployment, where the object's next owner finds it.
    pub fn set_alarm(&self, owner: &AlarmOwner, at: f64) -> Result<(), String> {
        if let Some(Placement(databases)) = &self.cluster {
            let key = self.object_key(&owner.worker, &owner.class, &owner.id);
            databases
                .cluster()
                .put_alarm(&key, &AlarmRecord::of(owner, at).to_json())?;
        }
        self.alarms.set(owner, at)
    }

    /// Moves `owner`'s alarm due at `at`, which failed, to `next` (its
    /// `retries`th retry), here and where the deployment records it.
    pub fn retry_alarm(
        &self,
        owner: &AlarmOwner,
        at: f64,
        next: f64,
        retries: u32,
    ) -> Result<(), String> {
        self.alarms.retry(owner, at, next, retries)?;
        if let Some(Placement(databases)) = &self.cluster {
            let key = self.object_key(&owner.worker, &owner.class, &owner.id);
            databases
                .cluster()
                .put_alarm(&key, &AlarmRecord::of(owner, next).to_json())?;
        }
        Ok(())
    }

    /// Removes `owner`'s alarm: any, or only the one due at `ran_at` (it
    /// ran; one set again meanwhile stays).
    pub fn delete_alarm(&self, owner: &AlarmOwner, ran_at: Option<f64>) -> Result<(), String> {
        self.alarms.delete(owner, ran_at)?;
        if let Some(Placement(databases)) = &self.cluster {
            let key = self.object_key(&owner.worker, &owner.class, &owner.id);
            let record = ran_at.map(|at| AlarmRecord::of(owner, at).to_json());
            databases.cluster().remove_alarm(&key, record.as_deref())?;
        }
        Ok(())
    }

    /// Wakes those waiting on [`ObjectStore::alarm_set`].
    pub fn notify_alarm_set(&self) {
        self.changed.notify_waiters();
    }
}

/// One object's open database, and whose it is.
struct OpenObject {
    db: D1Database,
    owner: AlarmOwner,
}

/// The databases of the objects this isolate runs, by handle.
#[derive(Default)]
struct OpenObjects {
    next: u32,
    open: HashMap<u32, OpenObject>,
}

fn open_object(state: &OpState, handle: u32) -> Result<&OpenObject, JsErrorBox> {
    state
        .try_borrow::<OpenObjects>()
        .and_then(|objects| objects.open.get(&handle))
        .ok_or_else(|| JsErrorBox::generic("This Durable Object's storage is closed"))
}

/// Opens the database of object `id` of this Worker's class `class`.
#[op2(fast)]
#[smi]
fn op_do_open(
    state: &mut OpState,
    #[string] class: &str,
    #[string] id: &str,
) -> Result<u32, JsErrorBox> {
    if !is_class_name(class) || id.len() != 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(JsErrorBox::type_error("Invalid Durable Object"));
    }
    let bindings = state.borrow::<WorkerBindings>();
    let worker = bindings.worker().to_string();
    let store = bindings
        .objects()
        .ok_or_else(|| JsErrorBox::generic("This host keeps no Durable Object storage"))?;
    let origin = store.origin(&worker, class);
    let folder = format!("{worker}-{origin}");
    let db = match (&store.root, &store.cluster) {
        (Some(root), Some(Placement(databases))) => {
            let path = root.join(&folder).join(format!("{id}.sqlite"));
            databases.open_object(&format!("do/{folder}/{id}"), &path)
        }
        (Some(root), None) => {
            let path = root.join(&folder).join(format!("{id}.sqlite"));
            // An acknowledged write must survive the host being killed, as
            // workerd's do; waiting for the disk on every commit would cap
            // an object at a few hundred writes a second.
            D1Database::open_with(&path, Durability::Process)
        }
        (None, _) => D1Database::memory(),
    }
    .map_err(|e| JsErrorBox::generic(format!("Durable Object {class} {id}: {e}")))?;
    db.batch_as_host(&[Statement::new(
        "CREATE TABLE IF NOT EXISTS _cf_KV (key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID",
        Vec::new(),
    )])
    .map_err(|e| JsErrorBox::generic(format!("Durable Object {class} {id}: {e}")))?;
    if !state.has::<OpenObjects>() {
        state.put(OpenObjects::default());
    }
    let owner = AlarmOwner {
        worker,
        class: class.to_string(),
        id: id.to_string(),
    };
    let objects = state.borrow_mut::<OpenObjects>();
    objects.next = objects.next.wrapping_add(1);
    let handle = objects.next;
    objects.open.insert(handle, OpenObject { db, owner });
    Ok(handle)
}

/// Closes an object's database (the object was evicted or hibernated).
#[op2(fast)]
fn op_do_close(state: &mut OpState, #[smi] handle: u32) {
    if let Some(objects) = state.try_borrow_mut::<OpenObjects>() {
        objects.open.remove(&handle);
    }
}

/// Runs `statements` on an object's database, in one transaction, and
/// returns each one's result: the Worker's SQL (`sql.exec`), or, with
/// `as_host`, the key-value API's own statements on `_cf_KV`, which the
/// Worker's SQL cannot reach.
#[op2]
#[serde]
fn op_do_sql(
    state: &mut OpState,
    #[smi] handle: u32,
    #[serde] statements: Vec<(String, Vec<Value>)>,
    as_host: bool,
) -> Result<Vec<QueryResult>, JsErrorBox> {
    let object = open_object(state, handle)?;
    let statements: Vec<Statement> = statements
        .into_iter()
        .map(|(sql, params)| Statement::new(sql, params))
        .collect();
    let results = if as_host {
        object.db.batch_as_host(&statements)
    } else {
        object.db.batch(&statements)
    };
    results.map_err(|e| JsErrorBox::generic(e.to_string()))
}

/// How long an object stays in memory without an event, in ms.
#[op2(fast)]
fn op_do_idle_ms(state: &mut OpState) -> f64 {
    object_store(state).map_or(DEFAULT_IDLE.as_millis() as f64, |store| {
        store.idle_ms.load(std::sync::atomic::Ordering::Relaxed) as f64
    })
}

/// Begins (0), releases (1) or rolls back (2) the savepoint around a
/// transaction: the SQL and key-value writes made inside it commit or roll
/// back together. Begins (3), commits (4) or rolls back (5) the transaction
/// that gathers the object's writes between two waits for I/O.
#[op2(fast)]
fn op_do_savepoint(
    state: &mut OpState,
    #[smi] handle: u32,
    #[smi] step: u32,
) -> Result<(), JsErrorBox> {
    let step = match step {
        0 => SavepointStep::Begin,
        1 => SavepointStep::Release,
        2 => SavepointStep::RollBack,
        3 => SavepointStep::BeginWrites,
        4 => SavepointStep::CommitWrites,
        _ => SavepointStep::RollBackWrites,
    };
    open_object(state, handle)?
        .db
        .savepoint(step)
        .map_err(|e| JsErrorBox::generic(e.to_string()))
}

fn object_store(state: &OpState) -> Result<ObjectStore, JsErrorBox> {
    state
        .borrow::<WorkerBindings>()
        .objects()
        .cloned()
        .ok_or_else(|| JsErrorBox::generic("This host keeps no Durable Object storage"))
}

/// Sets the object's alarm to `at` (milliseconds since the epoch); it is
/// kept before this returns.
#[op2(fast)]
fn op_do_set_alarm(state: &mut OpState, #[smi] handle: u32, at: f64) -> Result<(), JsErrorBox> {
    let store = object_store(state)?;
    let object = open_object(state, handle)?;
    store
        .set_alarm(&object.owner, at)
        .map_err(JsErrorBox::generic)?;
    store.notify_alarm_set();
    Ok(())
}

/// The object's alarm time, or -1 when it has none.
#[op2(fast)]
fn op_do_get_alarm(state: &mut OpState, #[smi] handle: u32) -> Result<f64, JsErrorBox> {
    let store = object_store(state)?;
    let object = open_object(state, handle)?;
    let at = store
        .alarms
        .get(&object.owner)
        .map_err(JsErrorBox::generic)?;
    Ok(at.unwrap_or(-1.0))
}

#[op2(fast)]
fn op_do_delete_alarm(state: &mut OpState, #[smi] handle: u32) -> Result<(), JsErrorBox> {
    let store = object_store(state)?;
    let object = open_object(state, handle)?;
    store
        .delete_alarm(&object.owner, None)
        .map_err(JsErrorBox::generic)
}
