//! What a Worker's `env` holds: described for the JS side, where each
//! binding becomes `{ "type": ..., ... }` under its name and `40_env.js`
//! turns each type into the object Workers code expects; and as the
//! environment variables a Wasm guest gets.

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
    for service in &config.services {
        bindings.insert(
            service.binding.clone(),
            json!({ "type": "service", "service": service.service }),
        );
    }
    Value::Object(bindings)
}

/// The Worker's vars and secrets as environment variables (what a Wasm
/// guest sees): text as it is, other JSON values as JSON text.
pub fn variables(config: &WorkerConfig) -> Vec<(String, String)> {
    let vars = config.vars.iter().map(|(name, value)| {
        let text = match value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        (name.clone(), text)
    });
    let secrets = config
        .secrets
        .iter()
        .map(|(name, value)| (name.clone(), value.clone()));
    vars.chain(secrets).collect()
}
