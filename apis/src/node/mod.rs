//! Node.js compatibility: the `node:` built-in modules and the `Buffer`,
//! `process` and `global` globals, under the compatibility rules workerd
//! applies (see [`NodeCompat`]).
//!
//! Each module is our own JavaScript, one file per module here, written as
//! a script that returns the module's exports (`buffer.js` for
//! `node:buffer`, `path_posix.js` for `node:path/posix`, `internal_*.js`
//! for what they share). deno_core turns each into an ES module on first
//! import (a `synthetic_esm` module), so a Worker that imports none of them
//! pays nothing, and `require` between them, the globals and `import` all
//! share one evaluation. Deno's `ext/node` was not taken: it reaches the
//! host's file system, processes and environment, which a Worker must not.
//! What has to be fast runs here in Rust: `Buffer`'s encodings
//! ([`codec`]) and hashing ([`crypto`]).
//!
//! `node.js` is the registry the module scripts enter through: it knows
//! which modules the running Worker may use and gives them the host's ops.

mod codec;
mod crypto;

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

use deno_core::{Extension, ExtensionFileSource};
use serde::Serialize;

/// How much of Node.js a Worker gets, from its compatibility date and
/// flags, as workerd decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Mode {
    /// No `node:` modules.
    Off,
    /// `nodejs_als`: `node:async_hooks` only.
    Als,
    /// `nodejs_compat` before 2024-09-23: the modules, with the `node:`
    /// prefix only, and no globals.
    V1,
    /// The modules with or without the prefix, and the globals `Buffer`,
    /// `process`, `global`, `setImmediate` and `clearImmediate`.
    V2,
}

/// A Worker's Node.js compatibility, as its JS side is told it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeCompat {
    pub mode: Mode,
    /// Whether `process.env` holds the Worker's vars and secrets
    /// (`nodejs_compat_populate_process_env`, implied from 2025-04-01).
    pub process_env: bool,
}

impl NodeCompat {
    /// workerd's rules: `nodejs_compat` is on from 2026-08-04 unless
    /// `no_nodejs_compat` says otherwise, and brings `nodejs_compat_v2`
    /// from 2024-09-23.
    pub fn of(date: Option<&str>, flags: &[String]) -> Self {
        let has = |flag: &str| flags.iter().any(|f| f == flag);
        let from = |day: &str| date.is_some_and(|date| date >= day);
        let compat = (has("nodejs_compat") || has("nodejs_compat_v2") || from("2026-08-04"))
            && !has("no_nodejs_compat");
        let v2 = (has("nodejs_compat_v2") || (compat && from("2024-09-23")))
            && !has("no_nodejs_compat_v2");
        let mode = match (compat, v2) {
            (true, true) => Mode::V2,
            (true, false) => Mode::V1,
            _ if has("nodejs_als") => Mode::Als,
            _ => Mode::Off,
        };
        let process_env = compat
            && (has("nodejs_compat_populate_process_env") || from("2025-04-01"))
            && !has("nodejs_compat_do_not_populate_process_env");
        Self { mode, process_env }
    }

    /// The module URL of a Node.js built-in that `specifier` names, if it
    /// names one: `Ok(None)` when it does not (a package or a file), an
    /// error when it names one this Worker may not import. Bare names are
    /// built-ins in [`Mode::V2`] only.
    ///
    /// The URL is [`SCHEME`]`:<name>`, not `node:<name>`: deno_core would
    /// load a module registered as `node:<name>` before asking this
    /// resolver, for every Worker.
    pub fn resolve(&self, specifier: &str) -> Result<Option<String>, String> {
        let name = match specifier.strip_prefix("node:") {
            Some(name) => name,
            None if self.mode == Mode::V2 && is_builtin(specifier) => specifier,
            None => return Ok(None),
        };
        let allowed = match self.mode {
            Mode::Off => false,
            Mode::Als => name == "async_hooks",
            Mode::V1 | Mode::V2 => true,
        };
        if allowed && is_builtin(name) {
            return Ok(Some(format!("{SCHEME}:{name}")));
        }
        let why = if !is_builtin(name) {
            "this runtime does not provide that Node.js module"
        } else if self.mode == Mode::Als {
            "the nodejs_als flag provides node:async_hooks only; nodejs_compat provides the rest"
        } else {
            "Node.js modules need the nodejs_compat compatibility flag, or a compatibility \
             date of 2026-08-04 or later"
        };
        Err(format!("No such module \"node:{name}\": {why}"))
    }
}

/// The scheme of the built-ins' module URLs.
pub const SCHEME: &str = "isola-node";

/// Declares the modules: their names, and the files that are their code.
macro_rules! modules {
    ($($name:literal => $file:literal),* $(,)?) => {
        /// The public modules, by name (`path/posix`), with their script.
        const MODULES: &[(&str, &str, &str)] = &[
            $(($name, concat!("ext:isola_node/", $file), include_str!($file))),*
        ];
    };
}

modules! {
    "assert" => "assert.js",
    "assert/strict" => "assert_strict.js",
    "async_hooks" => "async_hooks.js",
    "buffer" => "buffer.js",
    "crypto" => "crypto.js",
    "diagnostics_channel" => "diagnostics_channel.js",
    "events" => "events.js",
    "path" => "path.js",
    "path/posix" => "path_posix.js",
    "path/win32" => "path_win32.js",
    "process" => "process.js",
    "punycode" => "punycode.js",
    "querystring" => "querystring.js",
    "string_decoder" => "string_decoder.js",
    "timers" => "timers.js",
    "timers/promises" => "timers_promises.js",
    "url" => "url.js",
    "util" => "util.js",
    "util/types" => "util_types.js",
}

/// Scripts the modules share, which Workers cannot import.
const INTERNAL: &[(&str, &str)] = &[
    (
        "ext:isola_node/internal_errors.js",
        include_str!("internal_errors.js"),
    ),
    (
        "ext:isola_node/internal_comparisons.js",
        include_str!("internal_comparisons.js"),
    ),
    (
        "ext:isola_node/internal_inspect.js",
        include_str!("internal_inspect.js"),
    ),
    (
        "ext:isola_node/internal_inspect_layout.js",
        include_str!("internal_inspect_layout.js"),
    ),
    (
        "ext:isola_node/internal_path_win32.js",
        include_str!("internal_path_win32.js"),
    ),
];

/// Whether `name` (without `node:`) is a module this runtime provides.
fn is_builtin(name: &str) -> bool {
    MODULES.iter().any(|(module, ..)| *module == name)
}

deno_core::extension!(
    isola_node,
    deps = [isola_global_scope],
    ops = [
        codec::op_node_encode,
        codec::op_node_decode,
        codec::op_node_byte_length,
        crypto::op_node_hash_new,
        crypto::op_node_hash_update,
        crypto::op_node_hash_digest,
        crypto::op_node_hash_copy,
        crypto::op_node_hash_drop,
        crypto::op_node_hash_once,
    ],
    esm = [dir "src/node", "node.js"],
);

/// The extension, with every module script loaded lazily and each public
/// one importable (see [`NodeCompat::resolve`]).
pub fn extension() -> Extension {
    static SCRIPTS: OnceLock<Vec<ExtensionFileSource>> = OnceLock::new();
    static SYNTHETIC: OnceLock<Vec<(&str, &str)>> = OnceLock::new();
    let scripts = SCRIPTS.get_or_init(|| {
        let public = MODULES.iter().map(|(_, file, code)| (*file, *code));
        public
            .chain(INTERNAL.iter().copied())
            .map(|(file, code)| ExtensionFileSource::new_computed(file, Arc::from(code)))
            .collect()
    });
    let synthetic = SYNTHETIC.get_or_init(|| {
        MODULES
            .iter()
            .map(|(name, file, _)| {
                let specifier: &'static str =
                    Box::leak(format!("{SCHEME}:{name}").into_boxed_str());
                (specifier, *file)
            })
            .collect()
    });
    let mut extension = isola_node::init();
    extension.lazy_loaded_js_files = Cow::Owned(scripts.clone());
    extension.synthetic_esm_modules = Cow::Borrowed(synthetic);
    extension
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compat(date: &str, flags: &[&str]) -> NodeCompat {
        let flags: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
        NodeCompat::of(Some(date), &flags)
    }

    #[test]
    fn compatibility_dates_and_flags_decide_as_workerd_does() {
        assert_eq!(compat("2026-11-17", &[]).mode, Mode::V2);
        assert_eq!(compat("2026-08-03", &[]).mode, Mode::Off);
        assert_eq!(compat("2025-01-01", &["nodejs_compat"]).mode, Mode::V2);
        assert_eq!(compat("2024-09-22", &["nodejs_compat"]).mode, Mode::V1);
        assert_eq!(compat("2024-01-01", &["nodejs_compat_v2"]).mode, Mode::V2);
        assert_eq!(compat("2026-11-17", &["no_nodejs_compat"]).mode, Mode::Off);
        assert_eq!(
            compat("2025-01-01", &["nodejs_compat", "no_nodejs_compat_v2"]).mode,
            Mode::V1
        );
        assert_eq!(compat("2024-01-01", &["nodejs_als"]).mode, Mode::Als);
        assert!(compat("2025-04-01", &["nodejs_compat"]).process_env);
        assert!(!compat("2025-03-31", &["nodejs_compat"]).process_env);
        assert!(!compat("2026-11-17", &["nodejs_compat_do_not_populate_process_env"]).process_env);
    }

    #[test]
    fn builtins_resolve_with_the_prefix_and_bare_only_in_v2() {
        let v2 = compat("2026-11-17", &[]);
        assert_eq!(
            v2.resolve("node:buffer").unwrap().as_deref(),
            Some("isola-node:buffer")
        );
        assert_eq!(
            v2.resolve("buffer").unwrap().as_deref(),
            Some("isola-node:buffer")
        );
        assert_eq!(
            v2.resolve("path/posix").unwrap().as_deref(),
            Some("isola-node:path/posix")
        );
        assert_eq!(v2.resolve("hono").unwrap(), None);
        assert!(
            v2.resolve("node:nope")
                .unwrap_err()
                .contains("does not provide")
        );

        let v1 = compat("2024-01-01", &["nodejs_compat"]);
        assert_eq!(v1.resolve("buffer").unwrap(), None);
        assert_eq!(
            v1.resolve("node:events").unwrap().as_deref(),
            Some("isola-node:events")
        );

        let als = compat("2024-01-01", &["nodejs_als"]);
        assert!(als.resolve("node:async_hooks").unwrap().is_some());
        assert!(
            als.resolve("node:buffer")
                .unwrap_err()
                .contains("nodejs_als")
        );

        let off = compat("2025-01-01", &[]);
        assert!(
            off.resolve("node:buffer")
                .unwrap_err()
                .contains("nodejs_compat")
        );
        assert_eq!(off.resolve("buffer").unwrap(), None);
    }
}
