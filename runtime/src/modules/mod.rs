//! A Worker's modules: finding them (relative imports, and packages in
//! `node_modules` as a bundler would find them) and reading them
//! (TypeScript and JSX without a build step, CommonJS, JSON, and the text,
//! data and Wasm modules of wrangler's module rules).
//!
//! Every isolate of one Worker version shares one [`ModuleSources`], so each
//! file is read and converted once.

mod bundle;
mod commonjs;
mod resolve;
mod rules;
mod scope;
mod typescript;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use deno_ast::{MediaType, ModuleSpecifier};
use deno_core::sourcemap::SourceMap;

use resolve::{Referrer, Resolver};
pub use rules::ModuleRules;

/// The module of Workers' base classes and `env`, which the isolate's
/// loader provides (`50_cloudflare_workers.js` in isola-apis).
pub const CLOUDFLARE_WORKERS: &str = "cloudflare:workers";

/// The module of `connect()`, which the isolate's loader provides
/// (`sockets.js` in isola-apis).
pub const CLOUDFLARE_SOCKETS: &str = "cloudflare:sockets";
pub use scope::Scope;

use commonjs::CommonJs;
use isola_apis::node::NodeCompat;

use crate::config::RuleKind;

/// What a module file holds, ready for the engine.
pub struct Module {
    pub kind: ModuleKind,
    pub content: Content,
    /// Maps the code back to the file when converting moved positions.
    source_map: Option<SourceMap>,
}

/// A module's content: JavaScript (converted), JSON or text as written,
/// or the bytes of a data or Wasm module.
pub enum Content {
    Text(Arc<str>),
    Bytes(Arc<[u8]>),
}

/// What a module is to the Worker that imports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleKind {
    JavaScript,
    Json,
    /// A string (`Text` rule).
    Text,
    /// An `ArrayBuffer` (`Data` rule).
    Data,
    /// A `WebAssembly.Module` (`CompiledWasm` rule).
    CompiledWasm,
}

/// The modules of a Worker version, read once and shared.
pub struct ModuleSources {
    files: Mutex<HashMap<ModuleSpecifier, Arc<Module>>>,
    /// Which files are CommonJS, with what they export and require.
    analyses: Mutex<HashMap<PathBuf, Option<Arc<commonjs::Analysis>>>>,
    resolver: Resolver,
    rules: ModuleRules,
    scope: Scope,
    /// Which `node:` built-ins the Worker may import, and how.
    node: NodeCompat,
}

impl ModuleSources {
    /// The modules a Worker may import (`scope`, and the Node.js built-ins
    /// `node` allows), read as `rules` say.
    pub fn new(rules: ModuleRules, scope: Scope, node: NodeCompat) -> Self {
        Self {
            files: Mutex::default(),
            analyses: Mutex::default(),
            resolver: Resolver::default(),
            rules,
            scope,
            node,
        }
    }

    /// The module URL that `specifier` names when the module at
    /// `referrer` imports it. Module URLs are relative to the Worker's
    /// folder (see [`Scope::url`]); a `file:` specifier is one already, as
    /// is a built-in's URL (which CommonJS bodies import, and whose module
    /// checks that the Worker may use it).
    pub fn resolve(&self, specifier: &str, referrer: &str) -> Result<ModuleSpecifier, String> {
        let builtin_url = specifier
            .strip_prefix(isola_apis::node::SCHEME)
            .is_some_and(|rest| rest.starts_with(':'));
        if specifier.starts_with("file:")
            || specifier == CLOUDFLARE_WORKERS
            || specifier == CLOUDFLARE_SOCKETS
            || builtin_url
        {
            return ModuleSpecifier::parse(specifier)
                .map_err(|e| format!("bad module URL {specifier}: {e}"));
        }
        if let Some(builtin) = self.builtin(specifier, referrer)? {
            return Ok(builtin);
        }
        let file = self.host_file(referrer)?;
        let found = self.resolver.resolve(
            specifier,
            &Referrer {
                file: &file,
                shown: referrer,
            },
        )?;
        self.module_url(&found, specifier)
    }

    /// The `node:` module URL of the Node.js built-in that `specifier`
    /// names, if it names one.
    fn builtin(&self, specifier: &str, referrer: &str) -> Result<Option<ModuleSpecifier>, String> {
        let found = self
            .node
            .resolve(specifier)
            .map_err(|why| format!("{why} (imported from {referrer})"))?;
        found
            .map(|url| ModuleSpecifier::parse(&url).map_err(|e| format!("{url}: {e}")))
            .transpose()
    }

    /// The module URL of `path`, a file of the Worker's.
    pub fn url(&self, path: &Path) -> Result<ModuleSpecifier, String> {
        self.scope
            .url(path)
            .map_err(|why| format!("Cannot import {}: {why}", path.display()))
    }

    /// The file on the host that the module URL `referrer` names, as a
    /// `file:` URL.
    fn host_file(&self, referrer: &str) -> Result<ModuleSpecifier, String> {
        let url = ModuleSpecifier::parse(referrer)
            .map_err(|e| format!("bad module URL {referrer}: {e}"))?;
        let path = self.scope.path(&url)?;
        ModuleSpecifier::from_file_path(&path)
            .map_err(|()| format!("Cannot resolve from {referrer}: not a file"))
    }

    /// The module URL of `file` (a host `file:` URL that resolving
    /// `specifier` found).
    fn module_url(
        &self,
        file: &ModuleSpecifier,
        specifier: &str,
    ) -> Result<ModuleSpecifier, String> {
        file.to_file_path()
            .map_err(|()| format!("Cannot import {specifier}: not a file"))
            .and_then(|path| self.scope.url(&path))
            .map_err(|why| format!("Cannot import {specifier}: {why}"))
    }

    /// The module at `specifier`, read (and converted) on first use.
    pub fn read(&self, specifier: &ModuleSpecifier) -> Result<Arc<Module>, String> {
        self.read_as(specifier, true)
    }

    /// The service-worker script at `specifier`: a classic script, never
    /// CommonJS, whatever names it uses.
    pub fn read_script(&self, specifier: &ModuleSpecifier) -> Result<Arc<Module>, String> {
        self.read_as(specifier, false)
    }

    fn read_as(
        &self,
        specifier: &ModuleSpecifier,
        may_be_commonjs: bool,
    ) -> Result<Arc<Module>, String> {
        if let Some(module) = self.lock().get(specifier) {
            return Ok(module.clone());
        }
        let path = self.scope.path(specifier)?;
        self.scope.check(&path, specifier.as_str())?;
        let failed = |e: std::io::Error| format!("Cannot load module {specifier}: {e}");
        let bytes = |kind| -> Result<Module, String> {
            Ok(Module {
                kind,
                content: Content::Bytes(std::fs::read(&path).map_err(failed)?.into()),
                source_map: None,
            })
        };
        let module = match self.rules.kind_of(&path) {
            Some(RuleKind::CompiledWasm) => bytes(ModuleKind::CompiledWasm)?,
            Some(RuleKind::Data) => bytes(ModuleKind::Data)?,
            Some(RuleKind::Text) => Module {
                kind: ModuleKind::Text,
                content: Content::Text(std::fs::read_to_string(&path).map_err(failed)?.into()),
                source_map: None,
            },
            None if !is_module_type(MediaType::from_path(&path)) => {
                return Err(format!(
                    "Cannot import {specifier}: its type is not a module type; a [[rules]] \
                     entry can make it Text or Data"
                ));
            }
            rule @ (Some(RuleKind::ESModule | RuleKind::CommonJS) | None) => {
                let source = std::fs::read_to_string(&path).map_err(failed)?;
                let mut module = convert(specifier, &path, source)?;
                if let (ModuleKind::JavaScript, Content::Text(code)) =
                    (module.kind, &module.content)
                {
                    let mode = CommonJs::of(rule, &path, may_be_commonjs);
                    if let Some(content) = self.commonjs(specifier, &path, code, mode)? {
                        module.content = content;
                    }
                }
                module
            }
        };
        let module = Arc::new(module);
        self.lock().insert(specifier.clone(), module.clone());
        Ok(module)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ModuleSpecifier, Arc<Module>>> {
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Rewrites the `file:` locations in a stack trace from converted code
    /// back to the lines and columns of the files as written.
    pub fn map_stack(&self, stack: &str) -> String {
        let files = self.lock();
        let mut out = String::with_capacity(stack.len());
        let mut rest = stack;
        while let Some(start) = rest.find("file://") {
            out.push_str(&rest[..start]);
            rest = &rest[start..];
            let end = rest
                .find(|c: char| c == ')' || c.is_whitespace())
                .unwrap_or(rest.len());
            let location = &rest[..end];
            out.push_str(&map_location(&files, location).unwrap_or_else(|| location.to_string()));
            rest = &rest[end..];
        }
        out.push_str(rest);
        out
    }
}

/// `file:///x.ts:LINE:COL` mapped through that module's source map.
fn map_location(files: &HashMap<ModuleSpecifier, Arc<Module>>, location: &str) -> Option<String> {
    let (rest, column) = location.rsplit_once(':')?;
    let (file, line) = rest.rsplit_once(':')?;
    let (line, column): (u32, u32) = (line.parse().ok()?, column.parse().ok()?);
    let specifier = ModuleSpecifier::parse(file).ok()?;
    let map = files.get(&specifier)?.source_map.as_ref()?;
    let token = map.lookup_token(line.checked_sub(1)?, column.saturating_sub(1))?;
    Some(format!(
        "{file}:{}:{}",
        token.get_src_line() + 1,
        token.get_src_col() + 1
    ))
}

/// Whether a file of `media_type` is a module as it is: JavaScript,
/// TypeScript or JSON. Others (Markdown, CSS, ...) need a `[[rules]]` entry.
fn is_module_type(media_type: MediaType) -> bool {
    matches!(
        media_type,
        MediaType::JavaScript
            | MediaType::Mjs
            | MediaType::Cjs
            | MediaType::Jsx
            | MediaType::TypeScript
            | MediaType::Mts
            | MediaType::Cts
            | MediaType::Tsx
            | MediaType::Json
    )
}

fn convert(specifier: &ModuleSpecifier, path: &Path, source: String) -> Result<Module, String> {
    let media_type = MediaType::from_path(path);
    let (code, kind, source_map) = match media_type {
        MediaType::Json => (source, ModuleKind::Json, None),
        MediaType::TypeScript
        | MediaType::Mts
        | MediaType::Cts
        | MediaType::Tsx
        | MediaType::Jsx => {
            let js = typescript::to_javascript(specifier, path, media_type, &source)?;
            let map = js
                .source_map
                .and_then(|map| SourceMap::from_slice(map.as_bytes()).ok());
            (js.code, ModuleKind::JavaScript, map)
        }
        _ => (source, ModuleKind::JavaScript, None),
    };
    Ok(Module {
        kind,
        content: Content::Text(code.into()),
        source_map,
    })
}

/// What deno_ast's parsers take to parse `text` as `media_type`, without
/// tokens or scope analysis: none of the host's uses needs them.
pub fn parse_params(
    specifier: &ModuleSpecifier,
    media_type: MediaType,
    text: Arc<str>,
) -> deno_ast::ParseParams {
    deno_ast::ParseParams {
        specifier: specifier.clone(),
        text,
        media_type,
        capture_tokens: false,
        scope_analysis: false,
        maybe_syntax: None,
    }
}
