//! What a Worker's `env` holds, described for the JS side.
//!
//! Each binding becomes `{ "type": ..., ... }` under its name; `40_env.js`
//! turns each type into the object Workers code expects.

use serde_json::{Map, Value, json};

use crate::config::WorkerConfig;

/// The JSON description of `env` for the Worker of `config`.
pub fn bindings(config: &WorkerConfig) -> Value {
    let mut bindings = Map::new();
    for (name, value) in &config.vars {
        bindings.insert(name.clone(), json!({ "type": "var", "value": value }));
    }
    for (name, value) in &config.secrets {
        bindings.insert(name.clone(), json!({ "type": "var", "value": value }));
    }
    for kv in &config.kv_namespaces {
        bindings.insert(kv.binding.clone(), json!({ "type": "kv_namespace" }));
    }
    for d1 in &config.d1_databases {
        bindings.insert(d1.binding.clone(), json!({ "type": "d1" }));
    }
    Value::Object(bindings)
}
