//! `[env.NAME]` sections, chosen as wrangler chooses them: the section's
//! fields replace the top level's; fields wrangler does not inherit
//! (bindings, vars) come from the section alone; and the Worker is named
//! `<name>-<env>` unless the section names it.

use std::path::Path;

use serde_json::Value;

use super::ConfigError;

/// Fields an environment does not inherit from the top level.
const NOT_INHERITED: &[&str] = &[
    "vars",
    "secrets",
    "define",
    "durable_objects",
    "workflows",
    "kv_namespaces",
    "queues",
    "r2_buckets",
    "d1_databases",
    "vectorize",
    "hyperdrive",
    "services",
    "analytics_engine_datasets",
    "dispatch_namespaces",
    "mtls_certificates",
    "tail_consumers",
    "unsafe",
    "browser",
    "ai",
    "version_metadata",
];

/// `document` with the `[env.NAME]` section `env` applied (and the `env`
/// table removed either way).
pub fn select(path: &Path, mut document: Value, env: Option<&str>) -> Result<Value, ConfigError> {
    let Some(top) = document.as_object_mut() else {
        return Err(ConfigError::new(
            path,
            "the config must be a table of fields",
        ));
    };
    let mut envs = top.remove("env");
    let Some(env) = env else {
        return Ok(document);
    };
    let Some(section) = envs
        .as_mut()
        .and_then(|envs| envs.get_mut(env))
        .and_then(Value::as_object_mut)
        .map(std::mem::take)
    else {
        return Err(ConfigError::new(
            path,
            format!("No environment found in configuration with name \"{env}\"."),
        ));
    };
    for field in NOT_INHERITED {
        if top.remove(*field).is_some() && !section.contains_key(*field) {
            tracing::warn!(
                "{}: \"{field}\" exists at the top level, but not on \"env.{env}\"; it is not inherited by environments",
                path.display()
            );
        }
    }
    if !section.contains_key("name")
        && let Some(Value::String(name)) = top.get("name")
    {
        let named = format!("{name}-{env}");
        top.insert("name".into(), Value::String(named));
    }
    top.extend(section);
    Ok(document)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_environment_overrides_inherits_and_renames() {
        let document = json!({
            "name": "shop",
            "main": "index.js",
            "compatibility_date": "2024-01-01",
            "vars": {"MODE": "prod", "ONLY_TOP": "x"},
            "kv_namespaces": [{"binding": "KV", "id": "prod"}],
            "assets": {"directory": "public", "not_found_handling": "404-page"},
            "env": {
                "staging": {"vars": {"MODE": "staging"}, "compatibility_date": "2025-01-01"},
                "preview": {"assets": {"directory": "preview"}}
            }
        });
        let staging = select(
            Path::new("wrangler.toml"),
            document.clone(),
            Some("staging"),
        )
        .unwrap();
        assert_eq!(staging["name"], "shop-staging");
        assert_eq!(staging["main"], "index.js", "inherited");
        assert_eq!(staging["compatibility_date"], "2025-01-01", "overridden");
        assert_eq!(
            staging["vars"],
            json!({"MODE": "staging"}),
            "vars are not inherited"
        );
        assert!(
            staging.get("kv_namespaces").is_none(),
            "bindings are not inherited"
        );
        assert!(staging.get("env").is_none());
        assert_eq!(
            staging["assets"]["directory"], "public",
            "assets are inherited"
        );
        let preview = select(
            Path::new("wrangler.toml"),
            document.clone(),
            Some("preview"),
        )
        .unwrap();
        assert_eq!(
            preview["assets"],
            json!({"directory": "preview"}),
            "an environment's assets replace the top level's whole"
        );

        let top = select(Path::new("wrangler.toml"), document.clone(), None).unwrap();
        assert_eq!(top["name"], "shop");
        assert!(top.get("env").is_none());

        let err = select(Path::new("wrangler.toml"), document, Some("prod")).unwrap_err();
        assert!(
            err.to_string()
                .contains("No environment found in configuration with name \"prod\"")
        );
    }
}
