//! A Worker's configuration: a script, `wrangler.toml`, or
//! `wrangler.json(c)`, read into one validated model.
//!
//! Field names and meanings follow wrangler's, so existing projects load as
//! they are. Paths in the config are relative to the config file, as in
//! wrangler. `[env.NAME]` sections are chosen as wrangler chooses them (see
//! [`super::environment`]). Fields this host does not use are reported by
//! name, never rejected.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use std::sync::Arc;

use isola_apis::durable_objects::migrations::{self, Migration};
use isola_apis::queues::Consumer;
use isola_apis::services::AssetsBinding;
use isola_apis::{BINDINGS, Binding};

use super::assets::AssetsConfig;
use super::cron::Schedule;
use super::spin::SpinApp;
use super::{ConfigError, dev_vars};
use crate::limits::LimitsConfig;

/// One Worker, ready to load.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// The file this was read from: the config, or the script itself.
    pub source: PathBuf,
    /// The Worker's name (`name`), used in logs.
    pub name: String,
    /// Absolute path of the entry module or script (`main`); None for a
    /// project of static assets alone.
    pub main: Option<PathBuf>,
    /// `compatibility_date`, when given.
    pub compatibility_date: Option<String>,
    /// `compatibility_flags`.
    pub compatibility_flags: Vec<String>,
    /// `[vars]`: strings, or any JSON value, as wrangler allows.
    pub vars: BTreeMap<String, serde_json::Value>,
    /// Secrets for local development, from `.dev.vars` or `.env` files.
    pub secrets: BTreeMap<String, String>,
    /// Route patterns from `routes` / `route`.
    pub routes: Vec<String>,
    /// `[limits]`.
    pub limits: LimitsConfig,
    /// Its bindings (`[[kv_namespaces]]`, `[[d1_databases]]`,
    /// `[[services]]`, ...): one per entry, in the order of
    /// [`isola_apis::BINDINGS`], each checked by its kind.
    pub bindings: Vec<Arc<dyn Binding>>,
    /// `[triggers] crons`: when the `scheduled` handler runs.
    pub crons: Vec<Schedule>,
    /// `[[queues.consumers]]`: the queues its `queue` handler consumes.
    pub consumers: Vec<Consumer>,
    /// `[[migrations]]` of its Durable Object classes, checked.
    pub migrations: Vec<Migration>,
    /// `[[rules]]`: which imports are text, data or Wasm modules.
    pub rules: Vec<ModuleRule>,
    /// `[wasm_modules]`, `[text_blobs]`, `[data_blobs]`: files a
    /// service-worker script gets as globals, by name.
    pub blobs: Vec<Blob>,
    /// `assets`: static files served beside (or instead of) the script.
    pub assets: Option<AssetsConfig>,
    /// `[dev]`: settings for `isola dev`.
    pub dev: DevSettings,
    /// Top-level fields of the config file that this host ignores.
    pub ignored_fields: Vec<String>,
    /// The app, for a Spin manifest (`spin.toml`).
    pub spin: Option<Arc<SpinApp>>,
}

/// A `[[rules]]` entry: imports of files matching `globs` (relative to the
/// entry module's directory) are modules of `type`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModuleRule {
    #[serde(rename = "type")]
    pub kind: RuleKind,
    pub globs: Vec<String>,
    /// Whether the default rule for the same type still applies after this.
    #[serde(default)]
    pub fallthrough: bool,
}

/// What an imported file becomes, as wrangler names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum RuleKind {
    /// JavaScript (ES module).
    ESModule,
    /// CommonJS (`require`, `module.exports`), run as esbuild runs it.
    CommonJS,
    /// A `WebAssembly.Module`.
    CompiledWasm,
    /// A string.
    Text,
    /// An `ArrayBuffer`.
    Data,
}

/// A file bound to a global name of a service-worker script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub name: String,
    pub kind: RuleKind,
    pub path: PathBuf,
}

/// `[dev]`, as wrangler reads it for `wrangler dev`, plus `cf`: what
/// `request.cf` holds locally (merged over the placeholder values).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct DevSettings {
    /// An address, or `localhost`.
    pub ip: Option<String>,
    pub port: Option<u16>,
    #[serde(default)]
    pub cf: serde_json::Map<String, serde_json::Value>,
}

/// Fields of wrangler's schema that only matter when deploying.
const DEPLOY_ONLY: &[&str] = &[
    "$schema",
    "account_id",
    "workers_dev",
    "preview_urls",
    "usage_model",
    "placement",
    "observability",
    "logpush",
    "upload_source_maps",
    "minify",
    "keep_names",
    "keep_vars",
    "tail_consumers",
    "send_metrics",
    "first_party_worker",
    "legacy_env",
    "no_bundle",
    "find_additional_modules",
    "base_dir",
    "preserve_file_names",
    "tsconfig",
    "node_compat",
    "python_modules",
    // What wrangler adds to a config it generates (a build's output).
    "configPath",
    "userConfigPath",
    "topLevelName",
    "definedEnvironments",
];

/// Fields of wrangler's schema (bindings, features) this host does not
/// provide yet.
const UNSUPPORTED: &[&str] = &[
    "build",
    "define",
    "alias",
    "site",
    "ai",
    "browser",
    "vectorize",
    "hyperdrive",
    "analytics_engine_datasets",
    "dispatch_namespaces",
    "mtls_certificates",
    "send_email",
    "workflows",
    "pipelines",
    "images",
    "secrets_store_secrets",
    "containers",
    "version_metadata",
    "ratelimits",
    "jsx_factory",
    "jsx_fragment",
];

/// The subset of wrangler's schema this host reads.
#[derive(Debug, Deserialize)]
struct RawConfig {
    name: Option<String>,
    main: Option<String>,
    compatibility_date: Option<String>,
    #[serde(default)]
    compatibility_flags: Vec<String>,
    #[serde(default)]
    vars: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    routes: Vec<RawRoute>,
    route: Option<RawRoute>,
    #[serde(default)]
    limits: LimitsConfig,
    #[serde(default)]
    triggers: RawTriggers,
    #[serde(default)]
    rules: Vec<ModuleRule>,
    #[serde(default)]
    wasm_modules: BTreeMap<String, String>,
    #[serde(default)]
    text_blobs: BTreeMap<String, String>,
    #[serde(default)]
    data_blobs: BTreeMap<String, String>,
    #[serde(default)]
    dev: DevSettings,
    assets: Option<serde_json::Value>,
    /// Bindings, which their kinds read, and fields this host ignores.
    #[serde(flatten)]
    rest: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Default, Deserialize)]
struct RawTriggers {
    #[serde(default)]
    crons: Vec<String>,
}

/// A route as wrangler writes it: a pattern, or a table with one.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawRoute {
    Pattern(String),
    Table { pattern: String },
}

impl RawRoute {
    fn pattern(self) -> String {
        match self {
            Self::Pattern(pattern) | Self::Table { pattern } => pattern,
        }
    }
}

/// How a Worker's config is read beyond its file: what `isola dev` adds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// The `[env.NAME]` section to use (`--env`).
    pub env: Option<String>,
    /// Read secrets from `.dev.vars` or `.env` files beside the config.
    pub dev_vars: bool,
    /// Vars given on the command line (`--var KEY:VALUE`); they override the
    /// config's and the secrets of the same name.
    pub vars: BTreeMap<String, String>,
    /// The entry module to use instead of the config's `main`, as when a
    /// script is named beside a config (`wrangler dev src/index.ts`).
    pub main: Option<PathBuf>,
}

impl WorkerConfig {
    /// Its bindings of type `T` (say, [`isola_apis::d1::D1Binding`]).
    pub fn bindings_of<T: Binding>(&self) -> impl Iterator<Item = &T> {
        self.bindings.iter().filter_map(|b| b.downcast_ref::<T>())
    }

    /// How much of Node.js its compatibility date and flags give it.
    pub fn node_compat(&self) -> isola_apis::node::NodeCompat {
        isola_apis::node::NodeCompat::of(
            self.compatibility_date.as_deref(),
            &self.compatibility_flags,
        )
    }

    /// Loads a Worker from a script (`.js`, `.mjs`, `.ts`, ...), a wrangler
    /// config (`.toml`, `.json`, `.jsonc`), or a directory holding one.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        Self::load_with(path, &LoadOptions::default())
    }

    /// Like [`WorkerConfig::load`], as `options` say.
    pub fn load_with(path: &Path, options: &LoadOptions) -> Result<Self, ConfigError> {
        let file = config_path(path)?;
        if super::spin::is_manifest(&file) {
            return super::spin::load(&file, options);
        }
        let mut config = Self::read(path, options.env.as_deref(), options.main.as_deref())?;
        if options.dev_vars {
            let dir = config.source.parent().unwrap_or(Path::new("/"));
            config.secrets = dev_vars::read(dir, options.env.as_deref())?;
            for name in config.secrets.keys() {
                config.vars.remove(name);
            }
        }
        for (name, value) in &options.vars {
            config.secrets.remove(name);
            config.vars.insert(name.clone(), value.clone().into());
        }
        Ok(config)
    }

    /// The config in `path`, with its `[env.NAME]` section `env`, and
    /// `main` as its entry module when given.
    fn read(path: &Path, env: Option<&str>, main: Option<&Path>) -> Result<Self, ConfigError> {
        let path = config_path(path)?;
        let document = match path.extension().and_then(|e| e.to_str()) {
            Some("toml") => {
                let value: toml::Value =
                    toml::from_str(&read(&path)?).map_err(|e| ConfigError::new(&path, e))?;
                serde_json::to_value(value).map_err(|e| ConfigError::new(&path, e))?
            }
            Some("json" | "jsonc") => {
                jsonc_parser::parse_to_serde_value(&read(&path)?, &Default::default())
                    .map_err(|e| ConfigError::new(&path, e))?
                    .ok_or_else(|| ConfigError::new(&path, "the file is empty"))?
            }
            _ => {
                if env.is_some() {
                    return Err(ConfigError::new(&path, "--env needs a wrangler config"));
                }
                return Ok(Self::from_script(path));
            }
        };
        let document = super::environment::select(&path, document, env)?;
        let raw: RawConfig = serde_path_to_error::deserialize(document).map_err(|e| {
            let field = e.path().to_string();
            ConfigError::new(&path, format!("`{field}`: {}", e.into_inner()))
        })?;
        Self::from_raw(&path, raw, main)
    }

    /// A Worker made of one script and no config: named after the file.
    pub(super) fn from_script(main: PathBuf) -> Self {
        let name = main
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("worker")
            .to_string();
        Self {
            source: main.clone(),
            name,
            main: Some(main),
            compatibility_date: None,
            compatibility_flags: Vec::new(),
            vars: BTreeMap::new(),
            secrets: BTreeMap::new(),
            routes: Vec::new(),
            limits: LimitsConfig::default(),
            bindings: Vec::new(),
            crons: Vec::new(),
            consumers: Vec::new(),
            migrations: Vec::new(),
            rules: Vec::new(),
            blobs: Vec::new(),
            assets: None,
            dev: DevSettings::default(),
            ignored_fields: Vec::new(),
            spin: None,
        }
    }

    fn from_raw(
        config_path: &Path,
        raw: RawConfig,
        main: Option<&Path>,
    ) -> Result<Self, ConfigError> {
        let dir = config_path.parent().unwrap_or(Path::new("/"));
        let assets = raw
            .assets
            .map(|value| AssetsConfig::from_value(value, dir))
            .transpose()
            .map_err(|m| ConfigError::new(config_path, m))?;
        let main = match (main, raw.main) {
            (Some(main), _) => Some(self::config_path(main)?),
            (None, Some(main)) => Some(dir.join(main)),
            (None, None) if assets.is_some() => None,
            (None, None) => {
                return Err(ConfigError::new(
                    config_path,
                    "`main` is missing: name the Worker's entry script (or an `assets` directory)",
                ));
            }
        };
        if let Some(main) = main.as_ref().filter(|main| !main.is_file()) {
            return Err(ConfigError::new(
                config_path,
                format!("`main` names {}, which does not exist", main.display()),
            ));
        }
        if let Some(assets) = assets.as_ref().filter(|_| main.is_none()) {
            assets
                .check_without_worker()
                .map_err(|m| ConfigError::new(config_path, m))?;
        }
        if let Some(date) = &raw.compatibility_date {
            validate_date(date).map_err(|m| ConfigError::new(config_path, m))?;
        }
        let mut rest = raw.rest;
        let consumers = isola_apis::queues::consumers(rest.get("queues"))
            .map_err(|m| ConfigError::new(config_path, m))?;
        let mut bindings = Vec::new();
        for kind in BINDINGS {
            if let Some(entries) = rest.remove(kind.key()) {
                bindings.extend(
                    kind.configure(entries, dir)
                        .map_err(|m| ConfigError::new(config_path, m))?,
                );
            }
        }
        let migrations = migrations::read(rest.remove("migrations"), &bindings)
            .map_err(|m| ConfigError::new(config_path, m))?;
        let name = raw.name.unwrap_or_else(|| {
            dir.file_name()
                .and_then(|s| s.to_str())
                .unwrap_or("worker")
                .to_string()
        });
        if let Some(binding) = assets.as_ref().and_then(|a| a.binding.clone()) {
            bindings.push(Arc::new(AssetsBinding {
                binding,
                worker: name.clone(),
            }) as Arc<dyn Binding>);
        }
        Ok(Self {
            source: config_path.to_path_buf(),
            name,
            main,
            compatibility_date: raw.compatibility_date,
            compatibility_flags: raw.compatibility_flags,
            vars: raw.vars,
            secrets: BTreeMap::new(),
            routes: raw
                .routes
                .into_iter()
                .chain(raw.route)
                .map(RawRoute::pattern)
                .collect(),
            limits: raw.limits,
            bindings,
            migrations,
            consumers,
            crons: raw
                .triggers
                .crons
                .iter()
                .map(|c| c.parse())
                .collect::<Result<_, String>>()
                .map_err(|m| ConfigError::new(config_path, format!("`triggers.crons`: {m}")))?,
            rules: raw.rules,
            blobs: [
                (raw.wasm_modules, RuleKind::CompiledWasm),
                (raw.text_blobs, RuleKind::Text),
                (raw.data_blobs, RuleKind::Data),
            ]
            .into_iter()
            .flat_map(|(files, kind)| {
                files.into_iter().map(move |(name, path)| Blob {
                    name,
                    kind,
                    path: dir.join(path),
                })
            })
            .collect(),
            assets,
            dev: raw.dev,
            ignored_fields: rest
                .into_iter()
                .filter(|(field, value)| !declares_nothing(value) && !is_default(field, value))
                .map(|(field, _)| field)
                .collect(),
            spin: None,
        })
    }

    /// What to tell the user about fields this host ignores: nothing for
    /// those that only matter when deploying; that a binding or feature is
    /// not supported; that a field is unknown, as wrangler says it.
    pub fn warnings(&self) -> Vec<String> {
        let file = self.source.display();
        let unsupported = self
            .ignored_fields
            .iter()
            .filter(|field| UNSUPPORTED.contains(&field.as_str()))
            .map(|field| format!("{file}: `{field}` is not supported yet and is ignored"));
        let unknown: Vec<String> = self
            .ignored_fields
            .iter()
            .filter(|field| {
                !UNSUPPORTED.contains(&field.as_str()) && !DEPLOY_ONLY.contains(&field.as_str())
            })
            .map(|field| format!("{field:?}"))
            .collect();
        let unknown = (!unknown.is_empty()).then(|| {
            format!(
                "{file}: Unexpected fields found in top-level field: {}",
                unknown.join(",")
            )
        });
        unsupported.chain(unknown).collect()
    }
}

/// Whether a field's value is empty (`[]`, `{}`, `{"bindings": []}`), as
/// the configs build tools generate have them for every field they know.
fn declares_nothing(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Null => true,
        serde_json::Value::Array(items) => items.is_empty(),
        serde_json::Value::Object(fields) => fields.values().all(declares_nothing),
        _ => false,
    }
}

/// Whether `field` holds what wrangler assumes when it is absent.
fn is_default(field: &str, value: &serde_json::Value) -> bool {
    match field {
        "jsx_factory" => value == "React.createElement",
        "jsx_fragment" => value == "React.Fragment",
        _ => false,
    }
}

/// The file `path` means: itself, or the wrangler config in a directory
/// (or the one a build generated for it).
fn config_path(path: &Path) -> Result<PathBuf, ConfigError> {
    let path = std::path::absolute(path).map_err(|e| ConfigError::new(path, e))?;
    if path.is_dir() {
        let user = find_config(&path);
        if let Some(generated) = super::redirect::redirected(&path, user.as_deref().ok())? {
            tracing::info!(
                "using {}, the config a build generated (.wrangler/deploy/config.json)",
                generated.display()
            );
            return Ok(generated);
        }
        return user;
    }
    let known = [
        "toml", "json", "jsonc", "js", "mjs", "cjs", "jsx", "ts", "mts", "cts", "tsx", "wasm",
    ];
    if !path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| known.contains(&e))
    {
        return Err(ConfigError::new(
            &path,
            "expected a Worker script (.js, .mjs, .ts, .tsx, .jsx), a Wasm component (.wasm) or a wrangler config (.toml, .json, .jsonc)",
        ));
    }
    if !path.is_file() {
        return Err(ConfigError::new(&path, "no such file"));
    }
    Ok(path)
}

/// The config file in `dir`, looked for under wrangler's names in
/// wrangler's order of preference, then a Spin app's manifest.
fn find_config(dir: &Path) -> Result<PathBuf, ConfigError> {
    [
        "wrangler.json",
        "wrangler.jsonc",
        "wrangler.toml",
        "spin.toml",
    ]
    .iter()
    .map(|name| dir.join(name))
    .find(|path| path.is_file())
    .ok_or_else(|| {
        ConfigError::new(
            dir,
            "no wrangler.json, wrangler.jsonc, wrangler.toml or spin.toml in this directory",
        )
    })
}

/// The wrangler config that applies in `dir`: the first found there or in
/// a directory above it, as wrangler looks for one.
pub fn find_config_above(dir: &Path) -> Option<PathBuf> {
    dir.ancestors().find_map(|dir| find_config(dir).ok())
}

/// Whether `path` names a Worker's entry module rather than a config or a
/// directory.
pub fn is_script(path: &Path) -> bool {
    path.is_file()
        && !matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("toml" | "json" | "jsonc")
        )
}

pub(super) fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|e| ConfigError::new(path, e))
}

/// `compatibility_date` is `YYYY-MM-DD`, as wrangler requires.
fn validate_date(date: &str) -> Result<(), String> {
    let parts: Vec<&str> = date.split('-').collect();
    let valid = parts.len() == 3
        && [4, 2, 2]
            .iter()
            .zip(&parts)
            .all(|(len, part)| part.len() == *len && part.bytes().all(|b| b.is_ascii_digit()));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "`compatibility_date` must look like 2024-09-23, not {date:?}"
        ))
    }
}

#[cfg(test)]
mod tests;
