//! Creating a JS isolate with the Workers global scope.
//!
//! An isolate is a `deno_core::JsRuntime` with Deno's Web API extensions,
//! the host ops and the polyfills, whose entry module installs the global
//! scope. Extension JS, which deno_core would read from disk for every
//! isolate, is embedded in the binary and shared (see [`share_sources`]).

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

/// Gives the isolate the embedded text of extension sources that deno_core
/// would read from disk on every isolate start, shared by all isolates.
fn share_sources(extension: &mut Extension) {
    static CACHE: OnceLock<Mutex<HashMap<&'static str, Arc<str>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let share = |files: &mut std::borrow::Cow<'static, [ExtensionFileSource]>| {
        for file in files.to_mut() {
            #[allow(deprecated, reason = "the variant deno_core's include macros produce")]
            let ExtensionFileSourceCode::LoadedFromFsDuringSnapshot(path) = file.code else {
                continue;
            };
            let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
            let code = match cache.get(path) {
                Some(code) => code.clone(),
                None => match EMBEDDED_JS.iter().find(|(embedded, _)| *embedded == path) {
                    Some((_, text)) => cache.entry(path).or_insert(Arc::from(*text)).clone(),
                    // Left to deno_core, which reports it as missing.
                    None => continue,
                },
            };
            *file = ExtensionFileSource::new_computed(file.specifier, code);
        }
    };
    share(&mut extension.js_files);
    share(&mut extension.esm_files);
    share(&mut extension.lazy_loaded_esm_files);
    share(&mut extension.lazy_loaded_js_files);
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
