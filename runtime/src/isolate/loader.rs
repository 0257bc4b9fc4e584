//! The module loader of an isolate: the Worker's own modules, found and
//! read by [`crate::modules`].

use std::cell::RefCell;
use std::sync::Arc;

use deno_core::{
    ModuleLoadOptions, ModuleLoadReferrer, ModuleLoadResponse, ModuleLoader, ModuleResolveResponse,
    ModuleSource, ModuleSourceCode, ModuleSpecifier, ModuleType, RequestedModuleType,
    ResolutionKind,
};
use deno_error::JsErrorBox;

use crate::modules::{ModuleKind, ModuleSources};

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
            .resolver()
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
        let text = self
            .sources(specifier.as_str())?
            .read(specifier)
            .map_err(JsErrorBox::type_error)?;
        let module_type = match (text.kind, requested) {
            (ModuleKind::Json, RequestedModuleType::Json) => ModuleType::Json,
            (ModuleKind::Json, _) => {
                return Err(JsErrorBox::type_error(format!(
                    "{specifier} is JSON: import it with {{ type: \"json\" }}"
                )));
            }
            (_, RequestedModuleType::Json) => {
                return Err(JsErrorBox::type_error(format!(
                    "{specifier} was imported as JSON but is not a .json file"
                )));
            }
            (ModuleKind::JavaScript, _) => ModuleType::JavaScript,
        };
        Ok(ModuleSource::new(
            module_type,
            ModuleSourceCode::String(text.code.to_string().into()),
            specifier,
            None,
        ))
    }
}
