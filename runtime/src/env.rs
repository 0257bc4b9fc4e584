//! What a Worker's `env` holds: described for the JS side (read by
//! `prepareWorker` in `global_scope/60_worker.js`), where each binding is
//! what its kind describes and vars and secrets are `{ type: "var", value }`;
//! and as the environment variables a Wasm guest gets.

use std::collections::BTreeMap;

use isola_apis::JsBinding;
use isola_apis::node::NodeCompat;
use serde::Serialize;
use serde_json::Value;

use crate::config::WorkerConfig;

/// What the JS side needs to know of a Worker.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Description<'a> {
    bindings: BTreeMap<&'a str, JsBinding>,
    compatibility_date: Option<&'a str>,
    compatibility_flags: &'a [String],
    node_compat: NodeCompat,
    /// What its requests carry as `request.cf`.
    cf: &'a Value,
}

/// A var or secret, as `40_env.js` reads it.
#[derive(Serialize)]
struct Var<'a, T: Serialize> {
    value: &'a T,
}

impl<'a> Description<'a> {
    /// The description of `config`'s Worker, whose requests carry `cf`.
    pub fn new(config: &'a WorkerConfig, cf: &'a Value) -> Self {
        let mut bindings = BTreeMap::new();
        for (name, value) in &config.vars {
            bindings.insert(name.as_str(), JsBinding::new("var", Var { value }));
        }
        for (name, value) in &config.secrets {
            bindings.insert(name.as_str(), JsBinding::new("var", Var { value }));
        }
        for binding in &config.bindings {
            bindings.insert(binding.binding(), binding.describe());
        }
        Self {
            bindings,
            compatibility_date: config.compatibility_date.as_deref(),
            compatibility_flags: &config.compatibility_flags,
            node_compat: config.node_compat(),
            cf,
        }
    }
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
