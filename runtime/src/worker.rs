//! A Worker version ready to be loaded into isolates: its entry point, which
//! syntax it is written in, its bindings, and its module sources.
//!
//! The entry script is parsed once here (with `deno_ast`), which both tells
//! ES modules from service-worker scripts, as wrangler does, and turns a
//! syntax error into a message with file, line and column before any isolate
//! is involved.

use std::path::PathBuf;
use std::sync::Arc;

use deno_ast::{MediaType, ModuleSpecifier};

use crate::config::WorkerConfig;
use crate::env::{self, Description};
use crate::error::LoadError;
use crate::modules::{ModuleRules, ModuleSources, Scope};
use crate::wasm::{Guest, GuestOptions, Guests, SpinGuests};

/// How a Worker's entry script is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptKind {
    /// `export default { fetch(request, env, ctx) }`.
    Module,
    /// `addEventListener("fetch", event => event.respondWith(...))`.
    ServiceWorker,
    /// A WASI 0.2 component exporting `wasi:http/incoming-handler`, or a
    /// Spin app of such components.
    Wasm,
}

/// One version of a Worker's code and configuration.
pub struct WorkerVersion {
    pub name: Arc<str>,
    pub main: ModuleSpecifier,
    /// The entry file (`main`).
    pub path: PathBuf,
    pub kind: ScriptKind,
    /// What the JS side needs to know of the Worker, as JSON:
    /// `{ bindings, compatibilityDate, compatibilityFlags, cf }`
    /// (read by `prepareWorker` in `60_worker.js`).
    pub description: String,
    /// The config it was made from: bindings, schedules, ...
    pub config: WorkerConfig,
    /// The compiled guests, for a Wasm Worker.
    pub guests: Option<Arc<Guests>>,
    pub sources: Arc<ModuleSources>,
}

impl WorkerVersion {
    /// Reads and checks the entry script of `config`; its incoming requests
    /// will carry `cf` as `request.cf`.
    pub fn prepare(config: WorkerConfig, cf: &serde_json::Value) -> Result<Arc<Self>, LoadError> {
        let path = config
            .main
            .clone()
            .ok_or_else(|| LoadError(format!("{}: no `main` to run", config.source.display())))?;
        let guests = if let Some(app) = &config.spin {
            let mut guests = Vec::with_capacity(app.components.len());
            for component in &app.components {
                let name = format!("{}/{}", config.name, component.id);
                let guest = Guest::load(&name, &component.source, component.options.clone())
                    .map_err(|e| LoadError(format!("{}: {}", config.source.display(), e.0)))?;
                guests.push(Arc::new(guest));
            }
            let routes = app
                .routes
                .iter()
                .map(|(route, index)| (route.clone(), guests[*index].clone()))
                .collect();
            Some(Guests::Spin(SpinGuests::new(routes)))
        } else if path.extension().is_some_and(|e| e == "wasm") {
            let options = GuestOptions {
                env: env::variables(&config),
                ..GuestOptions::default()
            };
            Some(Guests::One(Arc::new(Guest::load(
                &config.name,
                &path,
                options,
            )?)))
        } else {
            None
        };
        if let Some(guests) = guests {
            let main = ModuleSpecifier::from_file_path(&path)
                .map_err(|()| LoadError(format!("{}: not an absolute path", path.display())))?;
            let node = config.node_compat();
            return Ok(Arc::new(Self {
                name: config.name.as_str().into(),
                main,
                path,
                kind: ScriptKind::Wasm,
                description: String::new(),
                guests: Some(Arc::new(guests)),
                config,
                sources: Arc::new(ModuleSources::new(
                    ModuleRules::default(),
                    Scope::default(),
                    node,
                )),
            }));
        }
        let base = path.parent().unwrap_or(std::path::Path::new("/"));
        let rules = ModuleRules::new(base, &config.rules, &config.blobs)
            .map_err(|e| LoadError(format!("{}: {e}", config.source.display())))?;
        // The Worker's folder: its config's, unless `main` lies elsewhere.
        let root = config
            .source
            .parent()
            .filter(|dir| path.starts_with(dir))
            .unwrap_or(base);
        let sources = Arc::new(ModuleSources::new(
            rules,
            Scope::new(root),
            config.node_compat(),
        ));
        let main = sources
            .url(&path)
            .map_err(|e| LoadError(format!("{}: {e}", config.source.display())))?;
        let text = std::fs::read_to_string(&path)
            .map_err(|e| LoadError(format!("{}: {e}", path.display())))?;
        let kind = detect_kind(&main, text.into())
            .map_err(|e| LoadError(format!("{}: {}", path.display(), e.0)))?;
        if kind == ScriptKind::Module && !config.blobs.is_empty() {
            return Err(LoadError(format!(
                "{}: [wasm_modules], [text_blobs] and [data_blobs] are for service-worker \
                 scripts; an ES module Worker imports the files instead",
                config.source.display()
            )));
        }
        Ok(Arc::new(Self {
            name: config.name.as_str().into(),
            main,
            path,
            kind,
            description: serde_json::to_string(&Description::new(&config, cf))
                .map_err(|e| LoadError(format!("{}: {e}", config.source.display())))?,
            config,
            guests: None,
            sources,
        }))
    }
}

/// Parses the entry script: a module if it imports or exports anything.
fn detect_kind(main: &ModuleSpecifier, text: Arc<str>) -> Result<ScriptKind, LoadError> {
    let media_type = MediaType::from_specifier(main);
    let parsed = deno_ast::parse_program(crate::modules::parse_params(main, media_type, text))
        .map_err(|diagnostic| LoadError(diagnostic.to_string()))?;
    if !parsed.compute_is_script() || media_type == MediaType::Mjs {
        Ok(ScriptKind::Module)
    } else {
        Ok(ScriptKind::ServiceWorker)
    }
}
