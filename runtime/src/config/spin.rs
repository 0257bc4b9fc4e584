//! A Spin app's manifest (`spin.toml`, `spin_manifest_version = 2`), read
//! as one Worker whose components are Wasm guests behind Spin's routes.
//!
//! - `[[trigger.http]]`: `route` (exact, `/...`, `:name`) and `component`,
//!   named or inline; `route = { private = true }` is reachable by no URL;
//! - `[component.NAME]`: `source` (a component, or a wasm32-wasip1 module
//!   as Spin's templates build), `files` and `exclude_files`,
//!   `environment`, `key_value_stores`, `sqlite_databases`,
//!   `allowed_outbound_hosts`, `variables`;
//! - `[variables]`: each with a `default` or `required = true`; a value
//!   comes from `--var NAME:VALUE`, then `SPIN_VARIABLE_<NAME>` in the
//!   environment, then its default, as Spin's environment provider reads
//!   it.
//!
//! Each key-value label is the KV namespace of that id, and each SQLite
//! label the D1 database of that id, so a JS Worker binding the same id
//! shares the data. What Spin offers and this host does not (other
//! triggers, remote sources, AI models, component dependencies) is refused
//! with its name.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use isola_apis::spin::{SpinGrants, is_variable_name, key_value_binding, sqlite_binding};
use isola_apis::{BINDINGS, Binding};
use serde::Deserialize;

use super::{ConfigError, LoadOptions, WorkerConfig};
use crate::wasm::{AllowedHosts, GuestOptions, SpinRoute};

/// A Spin app, as its Worker serves it.
#[derive(Debug)]
pub struct SpinApp {
    pub components: Vec<SpinComponent>,
    /// Each public route and the index of its component.
    pub routes: Vec<(SpinRoute, usize)>,
    /// Where the files matched by `files` patterns were copied, kept for
    /// as long as the app is.
    _staged: Vec<tempfile::TempDir>,
}

/// One component of a Spin app.
#[derive(Debug)]
pub struct SpinComponent {
    pub id: String,
    /// Its Wasm file.
    pub source: PathBuf,
    pub options: GuestOptions,
}

#[derive(Deserialize)]
struct Manifest {
    spin_manifest_version: toml::Value,
    application: Application,
    #[serde(default)]
    variables: BTreeMap<String, Variable>,
    #[serde(default)]
    trigger: BTreeMap<String, Vec<Trigger>>,
    #[serde(default)]
    component: BTreeMap<String, Component>,
}

#[derive(Deserialize)]
struct Application {
    name: String,
    #[serde(default)]
    trigger: BTreeMap<String, toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Variable {
    default: Option<String>,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "accepted as Spin accepts it; values are not logged"
    )]
    secret: bool,
    #[allow(dead_code, reason = "accepted as Spin accepts it")]
    description: Option<String>,
}

#[derive(Deserialize)]
struct Trigger {
    route: Option<Route>,
    component: Option<ComponentRef>,
    executor: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Route {
    Path(String),
    Private { private: bool },
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ComponentRef {
    Named(String),
    Inline(Box<Component>),
}

#[derive(Deserialize)]
struct Component {
    source: Source,
    #[serde(default)]
    files: Vec<FileEntry>,
    #[serde(default)]
    exclude_files: Vec<String>,
    #[serde(default)]
    environment: BTreeMap<String, String>,
    #[serde(default)]
    key_value_stores: BTreeSet<String>,
    #[serde(default)]
    sqlite_databases: BTreeSet<String>,
    #[serde(default)]
    allowed_outbound_hosts: Vec<String>,
    #[serde(default)]
    allowed_http_hosts: Vec<String>,
    #[serde(default)]
    variables: BTreeMap<String, String>,
    #[serde(default)]
    ai_models: Vec<String>,
    dependencies: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Source {
    File(PathBuf),
    Remote(toml::Value),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum FileEntry {
    Pattern(String),
    Mount {
        source: PathBuf,
        destination: String,
    },
}

/// Whether `path` is a Spin manifest rather than a wrangler config.
pub fn is_manifest(path: &Path) -> bool {
    path.file_name().is_some_and(|name| name == "spin.toml")
}

/// The Worker a Spin manifest at `path` makes, with `options`' `--var`s
/// as values of its variables.
pub fn load(path: &Path, options: &LoadOptions) -> Result<WorkerConfig, ConfigError> {
    let fail = |message: String| ConfigError::new(path, message);
    let text = super::wrangler::read(path)?;
    let manifest: Manifest = toml::from_str(&text).map_err(|e| fail(e.to_string()))?;
    if manifest.spin_manifest_version.as_integer() != Some(2) {
        return Err(fail(format!(
            "spin_manifest_version {} is not supported: this host reads version 2 \
             (`spin doctor` upgrades a version 1 manifest)",
            manifest.spin_manifest_version
        )));
    }
    let base = manifest
        .application
        .trigger
        .get("http")
        .and_then(|h| h.get("base"));
    if let Some(base) = base.filter(|base| base.as_str() != Some("/")) {
        return Err(fail(format!(
            "`application.trigger.http.base` {base} is not supported: write the prefix \
             into each route (Spin 3 removed `base`)"
        )));
    }
    let dir = path.parent().unwrap_or(Path::new("/"));
    let values = variable_values(&manifest.variables, options).map_err(fail)?;
    let mut app = App::default();
    for (id, component) in &manifest.component {
        app.add(id.clone(), component, dir, &values).map_err(fail)?;
    }
    for (kind, triggers) in &manifest.trigger {
        if kind != "http" {
            return Err(fail(format!(
                "`trigger.{kind}`: Spin's {kind} trigger is not supported; this host serves \
                 the http trigger"
            )));
        }
        for (n, trigger) in triggers.iter().enumerate() {
            let at = format!("`trigger.http` entry {}", n + 1);
            if trigger
                .executor
                .as_ref()
                .is_some_and(|e| e.get("type").and_then(|t| t.as_str()) != Some("spin"))
            {
                return Err(fail(format!(
                    "{at}: only the `spin` executor is supported (not Wagi)"
                )));
            }
            let index = match &trigger.component {
                Some(ComponentRef::Named(id)) => app
                    .index(id)
                    .ok_or_else(|| fail(format!("{at}: no `[component.{id}]` in the manifest")))?,
                Some(ComponentRef::Inline(component)) => {
                    let id = format!("{}-http-{}", manifest.application.name, n + 1);
                    app.add(id, component, dir, &values).map_err(fail)?
                }
                None => return Err(fail(format!("{at}: `component` is missing"))),
            };
            match &trigger.route {
                Some(Route::Path(route)) => {
                    let route = SpinRoute::parse(route).map_err(|e| fail(format!("{at}: {e}")))?;
                    app.routes.push((route, index));
                }
                Some(Route::Private { private: true }) => {}
                _ => {
                    return Err(fail(format!(
                        "{at}: give a `route`, or `route = {{ private = true }}`"
                    )));
                }
            }
        }
    }
    if app.routes.is_empty() {
        return Err(fail(
            "no `[[trigger.http]]` with a route: nothing would answer".into(),
        ));
    }
    let bindings = app.bindings(dir).map_err(fail)?;
    let mut config = WorkerConfig::from_script(path.to_path_buf());
    config.name = manifest.application.name;
    config.bindings = bindings;
    config.spin = Some(Arc::new(SpinApp {
        components: app.components,
        routes: app.routes,
        _staged: app.staged,
    }));
    Ok(config)
}

/// Each app variable's value; an error names a variable that has none.
fn variable_values(
    variables: &BTreeMap<String, Variable>,
    options: &LoadOptions,
) -> Result<BTreeMap<String, String>, String> {
    let mut values = BTreeMap::new();
    for (name, variable) in variables {
        if !is_variable_name(name) {
            return Err(format!(
                "variable {name:?}: a name is lower-case letters, digits and underscores"
            ));
        }
        if variable.required && variable.default.is_some() {
            return Err(format!(
                "variable {name:?} has a `default` and is `required`: give one"
            ));
        }
        let env_name = format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase());
        let value = options
            .vars
            .get(name)
            .cloned()
            .or_else(|| std::env::var(&env_name).ok())
            .or_else(|| variable.default.clone());
        match value {
            Some(value) => values.insert(name.clone(), value),
            None if variable.required => {
                return Err(format!(
                    "variable {name:?} is required: set {env_name} or pass --var {name}:VALUE"
                ));
            }
            None => {
                return Err(format!(
                    "variable {name:?} needs a `default` or `required = true`"
                ));
            }
        };
    }
    Ok(values)
}

/// `template` with each `{{ name }}` replaced by that app variable's value.
fn expand(template: &str, values: &BTreeMap<String, String>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| format!("{template:?}: a `{{{{` is not closed"))?;
        let name = after[..end].trim();
        let value = values
            .get(name)
            .ok_or_else(|| format!("{template:?} names {name:?}, which `[variables]` lacks"))?;
        out.push_str(value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[derive(Default)]
struct App {
    components: Vec<SpinComponent>,
    routes: Vec<(SpinRoute, usize)>,
    staged: Vec<tempfile::TempDir>,
}

impl App {
    fn index(&self, id: &str) -> Option<usize> {
        self.components.iter().position(|c| c.id == id)
    }

    /// Adds a component; its index.
    fn add(
        &mut self,
        id: String,
        component: &Component,
        dir: &Path,
        values: &BTreeMap<String, String>,
    ) -> Result<usize, String> {
        let fail = |why: String| format!("component {id:?}: {why}");
        let source = match &component.source {
            Source::File(file) => dir.join(file),
            Source::Remote(remote) => {
                return Err(fail(format!(
                    "`source` {remote} is not a file: download it and name the file"
                )));
            }
        };
        if !source.is_file() {
            return Err(fail(format!(
                "`source` {} does not exist (build the app first)",
                source.display()
            )));
        }
        if !component.ai_models.is_empty() {
            return Err(fail(
                "`ai_models`: Spin's LLM interface is not offered".into(),
            ));
        }
        if component.dependencies.is_some() {
            return Err(fail(
                "`dependencies` (component composition) is not supported".into(),
            ));
        }
        let mut hosts = component.allowed_outbound_hosts.clone();
        hosts.extend(component.allowed_http_hosts.iter().map(|h| {
            if h.contains("://") {
                h.clone()
            } else {
                format!("https://{h}")
            }
        }));
        let allowed_hosts = AllowedHosts::parse(&hosts)
            .map_err(|e| fail(format!("`allowed_outbound_hosts`: {e}")))?;
        let variables = component
            .variables
            .iter()
            .map(|(name, template)| {
                if !is_variable_name(name) {
                    return Err(fail(format!(
                        "variable {name:?}: a name is lower-case letters, digits and underscores"
                    )));
                }
                Ok((name.clone(), expand(template, values).map_err(&fail)?))
            })
            .collect::<Result<_, _>>()?;
        let files = self
            .files(&component.files, &component.exclude_files, dir)
            .map_err(|e| fail(format!("`files`: {e}")))?;
        self.components.push(SpinComponent {
            id: id.clone(),
            source,
            options: GuestOptions {
                env: component
                    .environment
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                spin: Arc::new(SpinGrants {
                    key_value_stores: component.key_value_stores.clone(),
                    sqlite_databases: component.sqlite_databases.clone(),
                    variables,
                }),
                allowed_hosts: Some(Arc::new(allowed_hosts)),
                files,
            },
        });
        Ok(self.components.len() - 1)
    }

    /// The folders a component sees for its `files`: each `{ source,
    /// destination }` folder as it is; the files its patterns match (less
    /// `exclude_files`) copied into a folder of their own, seen at `/`.
    fn files(
        &mut self,
        entries: &[FileEntry],
        exclude: &[String],
        dir: &Path,
    ) -> Result<Vec<(PathBuf, String)>, String> {
        let mut mounts = Vec::new();
        let mut patterns = Vec::new();
        for entry in entries {
            match entry {
                FileEntry::Pattern(pattern) => patterns.push(pattern.as_str()),
                FileEntry::Mount {
                    source,
                    destination,
                } => {
                    let source = dir.join(source);
                    if !source.is_dir() {
                        return Err(format!("{} is not a folder", source.display()));
                    }
                    mounts.push((source, destination.clone()));
                }
            }
        }
        if patterns.is_empty() {
            return Ok(mounts);
        }
        let set = |patterns: &[&str]| {
            let mut set = globset::GlobSetBuilder::new();
            for pattern in patterns {
                let glob = globset::GlobBuilder::new(pattern)
                    .literal_separator(true)
                    .build()
                    .map_err(|e| format!("{pattern:?}: {e}"))?;
                set.add(glob);
            }
            set.build().map_err(|e| e.to_string())
        };
        let include = set(&patterns)?;
        let exclude = set(&exclude.iter().map(String::as_str).collect::<Vec<_>>())?;
        let staged = tempfile::Builder::new()
            .prefix("isola-spin-files-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        for pattern in &patterns {
            let root = dir.join(literal_prefix(pattern));
            for file in walkdir::WalkDir::new(&root)
                .into_iter()
                .filter_map(Result::ok)
            {
                let Ok(relative) = file.path().strip_prefix(dir) else {
                    continue;
                };
                if !file.file_type().is_file()
                    || !include.is_match(relative)
                    || exclude.is_match(relative)
                {
                    continue;
                }
                let target = staged.path().join(relative);
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
                }
                std::fs::copy(file.path(), &target)
                    .map_err(|e| format!("{}: {e}", file.path().display()))?;
            }
        }
        mounts.push((staged.path().to_path_buf(), "/".to_string()));
        self.staged.push(staged);
        Ok(mounts)
    }

    /// A KV namespace and a D1 database for each label a component uses,
    /// of that id.
    fn bindings(&self, dir: &Path) -> Result<Vec<Arc<dyn Binding>>, String> {
        let labels = |pick: fn(&SpinGrants) -> &BTreeSet<String>| {
            let all: BTreeSet<&String> = self
                .components
                .iter()
                .flat_map(|c| pick(&c.options.spin))
                .collect();
            all
        };
        let kv: Vec<_> = labels(|g| &g.key_value_stores)
            .into_iter()
            .map(|label| serde_json::json!({ "binding": key_value_binding(label), "id": label }))
            .collect();
        let d1: Vec<_> = labels(|g| &g.sqlite_databases)
            .into_iter()
            .map(|label| {
                serde_json::json!({
                    "binding": sqlite_binding(label),
                    "database_name": label,
                    "database_id": label,
                })
            })
            .collect();
        let mut bindings = Vec::new();
        for (key, entries) in [("kv_namespaces", kv), ("d1_databases", d1)] {
            if entries.is_empty() {
                continue;
            }
            let kind = BINDINGS
                .iter()
                .find(|kind| kind.key() == key)
                .expect("the binding kinds include KV and D1");
            bindings.extend(kind.configure(serde_json::Value::Array(entries), dir)?);
        }
        Ok(bindings)
    }
}

/// The folders of `pattern` before its first wildcard: where to look.
fn literal_prefix(pattern: &str) -> PathBuf {
    pattern
        .split('/')
        .take_while(|part| !part.contains(['*', '?', '[', '{']))
        .collect::<Vec<_>>()
        .join("/")
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_take_the_apps_variables() {
        let values = BTreeMap::from([("who".to_string(), "world".to_string())]);
        assert_eq!(expand("hello {{ who }}!", &values).unwrap(), "hello world!");
        assert_eq!(expand("{{who}}{{who}}", &values).unwrap(), "worldworld");
        assert!(
            expand("{{ nobody }}", &values)
                .unwrap_err()
                .contains("nobody")
        );
        assert!(expand("{{ who", &values).is_err());
    }

    /// `spin.toml` with `text` in a folder holding `app.wasm`.
    fn load_manifest(text: &str) -> Result<WorkerConfig, String> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("app.wasm"), b"\0asm").unwrap();
        let path = dir.path().join("spin.toml");
        std::fs::write(&path, text).unwrap();
        load(&path, &LoadOptions::default()).map_err(|e| e.to_string())
    }

    const APP: &str = r#"
        spin_manifest_version = 2
        [application]
        name = "shop"
        [variables]
        tone = { default = "warm" }
        [[trigger.http]]
        route = "/cart/..."
        component = "cart"
        [component.cart]
        source = "app.wasm"
        key_value_stores = ["default", "carts"]
        sqlite_databases = ["default"]
        [component.cart.variables]
        greeting = "a {{ tone }} welcome"
    "#;

    #[test]
    fn a_manifest_is_one_worker_whose_labels_are_its_stores() {
        let config = load_manifest(APP).unwrap();
        assert_eq!(config.name, "shop");
        let mut bound: Vec<&str> = config.bindings.iter().map(|b| b.binding()).collect();
        bound.sort();
        assert_eq!(
            bound,
            [
                "spin key-value carts",
                "spin key-value default",
                "spin sqlite default"
            ]
        );
        let app = config.spin.unwrap();
        let grants = &app.components[0].options.spin;
        assert_eq!(grants.variables["greeting"], "a warm welcome");
        assert_eq!(app.routes.len(), 1);
    }

    #[test]
    fn what_this_host_cannot_serve_is_named() {
        let cases = [
            (
                "spin_manifest_version = 2",
                "spin_manifest_version = 1",
                "version 1",
            ),
            ("[[trigger.http]]", "[[trigger.redis]]", "`trigger.redis`"),
            (
                "source = \"app.wasm\"",
                "source = { url = \"https://x/a.wasm\", digest = \"d\" }",
                "not a file",
            ),
            (
                "source = \"app.wasm\"",
                "source = \"gone.wasm\"",
                "gone.wasm",
            ),
            (
                "component = \"cart\"",
                "component = \"till\"",
                "[component.till]",
            ),
            (
                "route = \"/cart/...\"",
                "route = \"cart\"",
                "must start with",
            ),
            ("{{ tone }}", "{{ mood }}", "\"mood\""),
            (
                "sqlite_databases",
                "ai_models = [\"llama2-chat\"]\nsqlite_databases",
                "ai_models",
            ),
            (
                "tone = { default = \"warm\" }",
                "tone = { required = true }",
                "SPIN_VARIABLE_TONE",
            ),
        ];
        for (from, to, needle) in cases {
            assert!(APP.contains(from), "{from}");
            let error = load_manifest(&APP.replacen(from, to, 1)).unwrap_err();
            assert!(error.contains(needle), "{needle} in {error}");
            assert!(error.contains("spin.toml"), "{error}");
        }
    }

    #[test]
    fn patterns_are_looked_for_under_their_literal_folders() {
        assert_eq!(literal_prefix("static/**/*"), PathBuf::from("static"));
        assert_eq!(literal_prefix("a/b/*.txt"), PathBuf::from("a/b"));
        assert_eq!(literal_prefix("*.txt"), PathBuf::from(""));
    }
}
