//! Creating a JS isolate with the Workers global scope.
//!
//! An isolate is a `deno_core::JsRuntime` with Deno's Web API extensions,
//! the host ops and the polyfills, whose entry module installs the global
//! scope. Extension JS that deno_core would read from disk for every isolate
//! is read once per process and shared, and lazily loaded scripts are
//! compiled as modules, whose bytecode the engine keeps (see
//! [`share_sources`]).

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::{Arc, Mutex, OnceLock};

use deno_core::{
    Extension, ExtensionFileSource, ExtensionFileSourceCode, JsRuntime, ModuleLoader,
    RuntimeOptions, v8,
};

use super::ops::isola_worker;
use crate::webassembly::isola_webassembly;

/// The `User-Agent` of outgoing `fetch()` requests, as on Cloudflare.
const USER_AGENT: &str = "Cloudflare-Workers";

/// Creates an isolate whose heap may grow to `memory_bytes`, and runs the
/// global scope's bootstrap in it.
pub fn new_isolate(
    loader: Rc<dyn ModuleLoader>,
    memory_bytes: usize,
) -> Result<JsRuntime, deno_core::error::CoreError> {
    let runtime = JsRuntime::try_new(RuntimeOptions {
        extensions: extensions(),
        module_loader: Some(loader),
        create_params: Some(v8::CreateParams::default().heap_limits(0, memory_bytes)),
        ..Default::default()
    })?;
    // No subrequest goes anywhere local until a Worker is loaded with its
    // own permissions.
    crate::outbound::Outbound::default()
        .access(None)
        .install(&mut runtime.op_state().borrow_mut());
    Ok(runtime)
}

/// Deno's Web API extensions, the host's APIs and ops, with their sources
/// shared between isolates.
fn extensions() -> Vec<Extension> {
    let mut extensions = vec![
        deno_webidl::deno_webidl::init(),
        deno_web::deno_web::init(
            Arc::new(deno_web::BlobStore::default()),
            None,
            false,
            deno_web::InMemoryBroadcastChannel::default(),
        ),
        deno_fetch::deno_fetch::init(deno_fetch::Options {
            user_agent: USER_AGENT.to_string(),
            // The outbound policy's IPv6 subnets (see `crate::outbound`).
            request_builder_hook: Some(crate::outbound::refuse_ipv6_literal),
            resolver: deno_fetch::dns::Resolver::custom(Arc::new(crate::outbound::Ipv6Filter)),
            ..Default::default()
        }),
        deno_crypto::deno_crypto::init(None),
    ];
    extensions.extend(isola_apis::extensions());
    extensions.extend([isola_worker::init(), isola_webassembly::init()]);
    for extension in &mut extensions {
        share_sources(extension);
    }
    extensions
}

/// The extensions' JS by the absolute path deno_core's extension macros
/// record, embedded at build time (`build.rs`).
static EMBEDDED_JS: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/extension_js.rs"));

/// The text of `file`: embedded where deno_core would read it from disk.
fn text_of(file: &ExtensionFileSource) -> Option<Arc<str>> {
    #[allow(deprecated, reason = "the variant deno_core's include macros produce")]
    match file.code {
        ExtensionFileSourceCode::LoadedFromFsDuringSnapshot(path) => EMBEDDED_JS
            .iter()
            .find(|(embedded, _)| *embedded == path)
            .map(|(_, text)| Arc::from(*text)),
        _ => file.load().ok().map(|code| Arc::from(code.as_str())),
    }
}

/// Gives the isolate the embedded text of extension sources that deno_core
/// would read from disk on every isolate start, made once per process, and
/// each lazily loaded script the form of a module (see [`script_as_module`]).
fn share_sources(extension: &mut Extension) {
    type Sources = HashMap<(&'static str, Form), Arc<str>>;
    static CACHE: OnceLock<Mutex<Sources>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    // What an isolate gets for `file` in `form`, made once per process;
    // `None` leaves the file to deno_core (which reports it as missing).
    let shared = |file: &ExtensionFileSource, form: Form| {
        let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(code) = cache.get(&(file.specifier, form)) {
            return Some(code.clone());
        }
        let code = text_of(file)?;
        let code: Arc<str> = match form {
            Form::AsIs => code,
            Form::Module => script_as_module(&code).into(),
            Form::Stub => script_stub(file.specifier).into(),
        };
        Some(cache.entry((file.specifier, form)).or_insert(code).clone())
    };
    let share = |files: &mut std::borrow::Cow<'static, [ExtensionFileSource]>| {
        for file in files.to_mut() {
            #[allow(deprecated, reason = "the variant deno_core's include macros produce")]
            if matches!(
                file.code,
                ExtensionFileSourceCode::LoadedFromFsDuringSnapshot(_)
            ) && let Some(code) = shared(file, Form::AsIs)
            {
                *file = ExtensionFileSource::new_computed(file.specifier, code);
            }
        }
    };
    share(&mut extension.js_files);
    share(&mut extension.esm_files);
    share(&mut extension.lazy_loaded_esm_files);
    let mut modules = Vec::new();
    for file in extension.lazy_loaded_js_files.to_mut() {
        if let (Some(module), Some(stub)) = (shared(file, Form::Module), shared(file, Form::Stub)) {
            modules.push(ExtensionFileSource::new_computed(file.specifier, module));
            *file = ExtensionFileSource::new_computed(file.specifier, stub);
        }
    }
    extension.lazy_loaded_esm_files.to_mut().extend(modules);
}

/// The forms in which an isolate gets an extension's file.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Form {
    AsIs,
    /// A lazily loaded script as a module (see [`script_as_module`]).
    Module,
    /// What deno_core compiles in place of that script.
    Stub,
}

/// A lazily loaded script (Deno's Web APIs, our `node:` modules: an IIFE
/// whose value is the script's exports) as a module whose default export
/// runs it.
///
/// deno_core compiles such a script as a function body every time an
/// isolate loads it, and the QuickJS engine parses function bodies from
/// source each time, which was most of an isolate's creation. It keeps the
/// bytecode of modules, so the script's body is compiled as a module
/// once, and what deno_core compiles is a one-line stub that loads that
/// module and runs it with the same `__bootstrap`. The module keeps the
/// script's specifier and line numbers, so stacks read as before.
fn script_as_module(script: &str) -> String {
    format!(
        "export default function (__bootstrap) {{ {}\n}}",
        deno_core::wrap_lazy_ext_script(script)
    )
}

/// The function body deno_core compiles for the script `specifier` once
/// it is a module: `"use strict"; return (…)`, the form it takes as is.
fn script_stub(specifier: &str) -> String {
    format!(
        "\"use strict\"; return (__bootstrap.core.createLazyLoader({specifier:?})().default(__bootstrap));"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every source an isolate gets is embedded: none is left for deno_core
    /// to read from a path on the build machine.
    #[test]
    fn no_extension_source_is_read_from_disk() {
        for extension in extensions() {
            let files = [
                &extension.js_files,
                &extension.esm_files,
                &extension.lazy_loaded_esm_files,
                &extension.lazy_loaded_js_files,
            ];
            for file in files.into_iter().flat_map(|files| files.iter()) {
                #[allow(deprecated, reason = "the variant deno_core's include macros produce")]
                let on_disk = matches!(
                    file.code,
                    ExtensionFileSourceCode::LoadedFromFsDuringSnapshot(_)
                );
                assert!(!on_disk, "{} is not embedded", file.specifier);
            }
        }
    }
}
