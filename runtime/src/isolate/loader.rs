//! Loading a Worker's modules: the entry module and what it imports.
//!
//! Modules are files next to the entry, reached by relative imports as
//! wrangler's bundler would reach them. Every isolate of one Worker version
//! shares one [`ModuleSources`], so each file is read from disk once.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use deno_core::{
    ModuleLoadOptions, ModuleLoadReferrer, ModuleLoadResponse, ModuleLoader, ModuleResolveResponse,
    ModuleSource, ModuleSourceCode, ModuleSpecifier, ModuleType, RequestedModuleType,
    ResolutionKind, resolve_import,
};
use deno_error::JsErrorBox;

/// The source text of a Worker version's modules, read once and shared.
#[derive(Default)]
pub struct ModuleSources {
    files: Mutex<HashMap<ModuleSpecifier, Arc<str>>>,
}

impl ModuleSources {
    /// The text of the module at `specifier`, from memory or from disk.
    pub fn read(&self, specifier: &ModuleSpecifier) -> Result<Arc<str>, JsErrorBox> {
        let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(text) = files.get(specifier) {
            return Ok(text.clone());
        }
        let path = specifier.to_file_path().map_err(|()| {
            JsErrorBox::type_error(format!("Workers can only import files: {specifier}"))
        })?;
        let text: Arc<str> = std::fs::read_to_string(&path)
            .map_err(|e| {
                JsErrorBox::type_error(format!("Cannot load module {}: {e}", path.display()))
            })?
            .into();
        files.insert(specifier.clone(), text.clone());
        Ok(text)
    }
}

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
}

impl ModuleLoader for WorkerModuleLoader {
    fn resolve(
        &self,
        specifier: &str,
        referrer: &str,
        _kind: ResolutionKind,
    ) -> ModuleResolveResponse {
        let bare = !(specifier.starts_with("./")
            || specifier.starts_with("../")
            || specifier.starts_with('/')
            || specifier.starts_with("file:"));
        if bare {
            return Err(JsErrorBox::type_error(format!(
                "Cannot resolve module \"{specifier}\" imported from {referrer}: \
                 only relative imports of the Worker's own files are supported"
            )));
        }
        resolve_import(specifier, referrer).map_err(JsErrorBox::from_err)
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
        let is_json = specifier.path().ends_with(".json");
        let module_type = match requested {
            RequestedModuleType::Json if is_json => ModuleType::Json,
            RequestedModuleType::Json => {
                return Err(JsErrorBox::type_error(format!(
                    "{specifier} was imported as JSON but is not a .json file"
                )));
            }
            _ if is_json => {
                return Err(JsErrorBox::type_error(format!(
                    "{specifier} is JSON: import it with {{ type: \"json\" }}"
                )));
            }
            _ => ModuleType::JavaScript,
        };
        let sources = self.sources.borrow().clone().ok_or_else(|| {
            JsErrorBox::type_error(format!("No Worker is loaded to import {specifier} for"))
        })?;
        let text = sources.read(specifier)?;
        Ok(ModuleSource::new(
            module_type,
            ModuleSourceCode::String(text.to_string().into()),
            specifier,
            None,
        ))
    }
}
