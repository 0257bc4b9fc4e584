//! The module loader of an isolate: the Worker's own modules, found and
//! read by [`crate::modules`], `cloudflare:workers` and
//! `cloudflare:sockets`.
//!
//! A JSON, text, data or Wasm module imported without an attribute (as
//! Workers code imports them) is a small JavaScript module that imports the
//! file again with the attribute the engine knows (`json`, `text`,
//! `bytes`) and exports what Workers expect: the value, the string, an
//! `ArrayBuffer`, a `WebAssembly.Module`.

use std::cell::RefCell;
use std::sync::Arc;

use deno_core::{
    ModuleLoadOptions, ModuleLoadReferrer, ModuleLoadResponse, ModuleLoader, ModuleResolveResponse,
    ModuleSource, ModuleSourceCode, ModuleSpecifier, ModuleType, RequestedModuleType,
    ResolutionKind,
};
use deno_error::JsErrorBox;

use crate::modules::{
    CLOUDFLARE_SOCKETS, CLOUDFLARE_WORKERS, Content, Module, ModuleKind, ModuleSources,
};

/// `cloudflare:workers`: what the global scope published for the Worker
/// (`publish()` in isola-apis' `50_cloudflare_workers.js`).
const CLOUDFLARE_WORKERS_MODULE: &str = "\
const m = globalThis[Symbol.for(\"isola.cloudflare:workers\")];
export const { WorkerEntrypoint, DurableObject, WorkflowEntrypoint, RpcTarget, RpcStub, env, waitUntil } = m;
";

/// `cloudflare:sockets`: `connect`, published by isola-apis' `sockets.js`.
const CLOUDFLARE_SOCKETS_MODULE: &str = "\
const m = globalThis[Symbol.for(\"isola.cloudflare:sockets\")];
export const { connect } = m;
export default m;
";

/// The module loader of one isolate. It loads nothing until the isolate is
/// given a Worker ([`WorkerModuleLoader::set_sources`]): isolates are
/// created before anyone knows which Worker they will run.
#[derive(Default)]
pub struct WorkerModuleLoader {
    sources: RefCell<Option<Arc<ModuleSources>>>,
}

impl WorkerModuleLoader {
    pub fn set_sources(&self, sources: Arc<ModuleSources>) {
        *self.sources.borrow_mut() = Some(sources);
    }

    fn sources(&self, what: &str) -> Result<Arc<ModuleSources>, JsErrorBox> {
        self.sources.borrow().clone().ok_or_else(|| {
            JsErrorBox::type_error(format!("No Worker is loaded to import {what} for"))
        })
    }
}

impl ModuleLoader for WorkerModuleLoader {
    fn resolve(
        &self,
        specifier: &str,
        referrer: &str,
        _kind: ResolutionKind,
    ) -> ModuleResolveResponse {
        self.sources(specifier)?
            .resolve(specifier, referrer)
            .map_err(JsErrorBox::type_error)
    }

    fn load(
        &self,
        specifier: &ModuleSpecifier,
        _referrer: Option<&ModuleLoadReferrer>,
        options: ModuleLoadOptions,
    ) -> ModuleLoadResponse {
        ModuleLoadResponse::Sync(self.load_now(specifier, &options.requested_module_type))
    }
}

impl WorkerModuleLoader {
    fn load_now(
        &self,
        specifier: &ModuleSpecifier,
        requested: &RequestedModuleType,
    ) -> Result<ModuleSource, JsErrorBox> {
        let provided = match specifier.as_str() {
            CLOUDFLARE_WORKERS => Some(CLOUDFLARE_WORKERS_MODULE),
            CLOUDFLARE_SOCKETS => Some(CLOUDFLARE_SOCKETS_MODULE),
            _ => None,
        };
        if let Some(source) = provided {
            let code = ModuleSourceCode::String(source.to_string().into());
            return Ok(ModuleSource::new(
                ModuleType::JavaScript,
                code,
                specifier,
                None,
            ));
        }
        let module = self
            .sources(specifier.as_str())?
            .read(specifier)
            .map_err(JsErrorBox::type_error)?;
        let (module_type, code) = match (module.kind, requested) {
            (ModuleKind::JavaScript, RequestedModuleType::None) => {
                (ModuleType::JavaScript, text(specifier, &module)?)
            }
            (ModuleKind::Json, RequestedModuleType::Json) => {
                (ModuleType::Json, text(specifier, &module)?)
            }
            (ModuleKind::Text, RequestedModuleType::Text) => {
                (ModuleType::Text, text(specifier, &module)?)
            }
            (ModuleKind::Data | ModuleKind::CompiledWasm, RequestedModuleType::Bytes) => {
                let Content::Bytes(bytes) = &module.content else {
                    unreachable!("data and Wasm modules are read as bytes");
                };
                (
                    ModuleType::Bytes,
                    ModuleSourceCode::Bytes(bytes.clone().into()),
                )
            }
            (kind, RequestedModuleType::None) => (
                ModuleType::JavaScript,
                ModuleSourceCode::String(wrapper(specifier, kind).into()),
            ),
            (_, requested) => {
                return Err(JsErrorBox::type_error(format!(
                    "{specifier} cannot be imported with {{ type: \"{requested}\" }}: it is {}",
                    describe(module.kind)
                )));
            }
        };
        Ok(ModuleSource::new(module_type, code, specifier, None))
    }
}

fn text(specifier: &ModuleSpecifier, module: &Module) -> Result<ModuleSourceCode, JsErrorBox> {
    match &module.content {
        Content::Text(text) => Ok(ModuleSourceCode::String(text.to_string().into())),
        Content::Bytes(_) => Err(JsErrorBox::type_error(format!("{specifier} is not text"))),
    }
}

fn describe(kind: ModuleKind) -> &'static str {
    match kind {
        ModuleKind::JavaScript => "JavaScript",
        ModuleKind::Json => "JSON",
        ModuleKind::Text => "a Text module",
        ModuleKind::Data => "a Data module",
        ModuleKind::CompiledWasm => "a CompiledWasm module",
    }
}

/// The JavaScript module that gives Workers code what a `kind` file is.
fn wrapper(specifier: &ModuleSpecifier, kind: ModuleKind) -> String {
    let file = serde_json::Value::from(specifier.as_str());
    match kind {
        ModuleKind::JavaScript => unreachable!("JavaScript needs no wrapper"),
        ModuleKind::Json => {
            format!("import value from {file} with {{ type: \"json\" }};\nexport default value;\n")
        }
        ModuleKind::Text => {
            format!("import text from {file} with {{ type: \"text\" }};\nexport default text;\n")
        }
        ModuleKind::Data => format!(
            "import bytes from {file} with {{ type: \"bytes\" }};\nexport default bytes.buffer;\n"
        ),
        ModuleKind::CompiledWasm => format!(
            "import bytes from {file} with {{ type: \"bytes\" }};\n\
             let module;\n\
             try {{\n  module = new WebAssembly.Module(bytes, {token});\n}} catch (error) {{\n  \
             throw new WebAssembly.CompileError(`${{{file}}}: ${{error.message}}`);\n}}\n\
             export default module;\n",
            token = serde_json::Value::from(super::ops::wasm_token()),
        ),
    }
}
