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
//! What has to be fast, or is cryptography, runs here in Rust: `Buffer`'s
//! encodings ([`codec`]), hashing and key derivation ([`crypto`]),
//! ciphers ([`cipher`]), keys and signatures ([`keys`]), ECDH ([`ecdh`])
//! and compression
//! ([`zlib`]). node:fs's `/bundle` is the host's to fill ([`bundle`]).
//!
//! `node.js` is the registry the module scripts enter through: it knows
//! which modules the running Worker may use ([`compat`]) and gives them
//! the host's ops.

/// Runs `$body` with `$C` bound to the elliptic curve Node calls `$name`
/// (P-256 or P-384, as ECDH and ECDSA keys here use them), `$other` for any
/// other name.
macro_rules! with_curve {
    ($name:expr, $C:ident => $body:expr, _ => $other:expr) => {
        match $name {
            "prime256v1" | "P-256" => {
                type $C = p256::NistP256;
                $body
            }
            "secp384r1" | "P-384" => {
                type $C = p384::NistP384;
                $body
            }
            _ => $other,
        }
    };
}

mod bundle;
mod cipher;
mod codec;
mod compat;
mod crypto;
mod ecdh;
mod keys;
mod zlib;

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

use deno_core::{Extension, ExtensionFileSource};

pub use bundle::{Bundle, BundleFiles, BundleStat, Errno};
pub use compat::{Mode, NodeCompat};

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
    "_stream_duplex" => "_stream_duplex.js",
    "_stream_passthrough" => "_stream_passthrough.js",
    "_stream_readable" => "_stream_readable.js",
    "_stream_transform" => "_stream_transform.js",
    "_stream_writable" => "_stream_writable.js",
    "_tls_common" => "_tls_common.js",
    "_tls_wrap" => "_tls_wrap.js",
    "assert" => "assert.js",
    "assert/strict" => "assert_strict.js",
    "async_hooks" => "async_hooks.js",
    "buffer" => "buffer.js",
    "child_process" => "child_process.js",
    "cloudflare:node" => "cloudflare_node.js",
    "cluster" => "cluster.js",
    "console" => "console.js",
    "constants" => "constants.js",
    "crypto" => "crypto.js",
    "dgram" => "dgram.js",
    "diagnostics_channel" => "diagnostics_channel.js",
    "dns" => "dns.js",
    "dns/promises" => "dns_promises.js",
    "domain" => "domain.js",
    "events" => "events.js",
    "fs" => "fs.js",
    "fs/promises" => "fs_promises.js",
    "http" => "http.js",
    "http2" => "http2.js",
    "https" => "https.js",
    "inspector" => "inspector.js",
    "inspector/promises" => "inspector_promises.js",
    "module" => "module.js",
    "net" => "net.js",
    "os" => "os.js",
    "path" => "path.js",
    "path/posix" => "path_posix.js",
    "path/win32" => "path_win32.js",
    "perf_hooks" => "perf_hooks.js",
    "process" => "process.js",
    "punycode" => "punycode.js",
    "querystring" => "querystring.js",
    "readline" => "readline.js",
    "readline/promises" => "readline_promises.js",
    "repl" => "repl.js",
    "sqlite" => "sqlite.js",
    "stream" => "stream.js",
    "stream/consumers" => "stream_consumers.js",
    "stream/promises" => "stream_promises.js",
    "stream/web" => "stream_web.js",
    "string_decoder" => "string_decoder.js",
    "sys" => "sys.js",
    "timers" => "timers.js",
    "timers/promises" => "timers_promises.js",
    "tls" => "tls.js",
    "trace_events" => "trace_events.js",
    "tty" => "tty.js",
    "url" => "url.js",
    "util" => "util.js",
    "util/types" => "util_types.js",
    "v8" => "v8.js",
    "vm" => "vm.js",
    "wasi" => "wasi.js",
    "worker_threads" => "worker_threads.js",
    "zlib" => "zlib.js",
}

/// Scripts the modules share, which Workers cannot import.
const INTERNAL: &[(&str, &str)] = &[
    (
        "ext:isola_node/internal_callbacks.js",
        include_str!("internal_callbacks.js"),
    ),
    (
        "ext:isola_node/internal_comparisons.js",
        include_str!("internal_comparisons.js"),
    ),
    (
        "ext:isola_node/internal_crypto_keys.js",
        include_str!("internal_crypto_keys.js"),
    ),
    (
        "ext:isola_node/internal_dns.js",
        include_str!("internal_dns.js"),
    ),
    (
        "ext:isola_node/internal_errors.js",
        include_str!("internal_errors.js"),
    ),
    (
        "ext:isola_node/internal_fs_stats.js",
        include_str!("internal_fs_stats.js"),
    ),
    (
        "ext:isola_node/internal_fs_streams.js",
        include_str!("internal_fs_streams.js"),
    ),
    (
        "ext:isola_node/internal_fs_sync.js",
        include_str!("internal_fs_sync.js"),
    ),
    (
        "ext:isola_node/internal_fs_vfs.js",
        include_str!("internal_fs_vfs.js"),
    ),
    (
        "ext:isola_node/internal_http_agent.js",
        include_str!("internal_http_agent.js"),
    ),
    (
        "ext:isola_node/internal_http_client.js",
        include_str!("internal_http_client.js"),
    ),
    (
        "ext:isola_node/internal_http_common.js",
        include_str!("internal_http_common.js"),
    ),
    (
        "ext:isola_node/internal_http_incoming.js",
        include_str!("internal_http_incoming.js"),
    ),
    (
        "ext:isola_node/internal_http_outgoing.js",
        include_str!("internal_http_outgoing.js"),
    ),
    (
        "ext:isola_node/internal_http_server.js",
        include_str!("internal_http_server.js"),
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
        "ext:isola_node/internal_inspector.js",
        include_str!("internal_inspector.js"),
    ),
    (
        "ext:isola_node/internal_mime.js",
        include_str!("internal_mime.js"),
    ),
    (
        "ext:isola_node/internal_net_address.js",
        include_str!("internal_net_address.js"),
    ),
    (
        "ext:isola_node/internal_net_socket.js",
        include_str!("internal_net_socket.js"),
    ),
    (
        "ext:isola_node/internal_net_tls.js",
        include_str!("internal_net_tls.js"),
    ),
    (
        "ext:isola_node/internal_path_win32.js",
        include_str!("internal_path_win32.js"),
    ),
    (
        "ext:isola_node/internal_readline.js",
        include_str!("internal_readline.js"),
    ),
    (
        "ext:isola_node/internal_stream_destroy.js",
        include_str!("internal_stream_destroy.js"),
    ),
    (
        "ext:isola_node/internal_stream_duplex.js",
        include_str!("internal_stream_duplex.js"),
    ),
    (
        "ext:isola_node/internal_stream_duplexify.js",
        include_str!("internal_stream_duplexify.js"),
    ),
    (
        "ext:isola_node/internal_stream_eos.js",
        include_str!("internal_stream_eos.js"),
    ),
    (
        "ext:isola_node/internal_stream_from.js",
        include_str!("internal_stream_from.js"),
    ),
    (
        "ext:isola_node/internal_stream_iterate.js",
        include_str!("internal_stream_iterate.js"),
    ),
    (
        "ext:isola_node/internal_stream_legacy.js",
        include_str!("internal_stream_legacy.js"),
    ),
    (
        "ext:isola_node/internal_stream_operators.js",
        include_str!("internal_stream_operators.js"),
    ),
    (
        "ext:isola_node/internal_stream_pipeline.js",
        include_str!("internal_stream_pipeline.js"),
    ),
    (
        "ext:isola_node/internal_stream_readable.js",
        include_str!("internal_stream_readable.js"),
    ),
    (
        "ext:isola_node/internal_stream_utils.js",
        include_str!("internal_stream_utils.js"),
    ),
    (
        "ext:isola_node/internal_stream_web_adapters.js",
        include_str!("internal_stream_web_adapters.js"),
    ),
    (
        "ext:isola_node/internal_stream_writable.js",
        include_str!("internal_stream_writable.js"),
    ),
];

/// Whether `name` (without `node:`) is a module this runtime provides.
pub(crate) fn is_builtin(name: &str) -> bool {
    MODULES.iter().any(|(module, ..)| *module == name)
}

deno_core::extension!(
    isola_node,
    deps = [isola_global_scope],
    ops = [
        bundle::op_node_bundle_stat,
        bundle::op_node_bundle_read,
        bundle::op_node_bundle_list,
        codec::op_node_encode,
        codec::op_node_decode,
        codec::op_node_byte_length,
        crypto::op_node_hash_new,
        crypto::op_node_hash_update,
        crypto::op_node_hash_digest,
        crypto::op_node_hash_copy,
        crypto::op_node_hash_drop,
        crypto::op_node_hash_once,
        crypto::op_node_pbkdf2,
        ecdh::op_node_ecdh_generate,
        ecdh::op_node_ecdh_public,
        ecdh::op_node_ecdh_compute,
        ecdh::op_node_ecdh_convert,
        keys::op_node_key_import,
        keys::op_node_key_export_pkcs1,
        keys::op_node_sign,
        keys::op_node_verify,
        keys::op_node_generate_key_pair,
        cipher::op_node_cipher_new,
        cipher::op_node_cipher_update,
        cipher::op_node_cipher_final,
        cipher::op_node_cipher_set_aad,
        cipher::op_node_cipher_tag,
        cipher::op_node_cipher_set_tag,
        cipher::op_node_cipher_drop,
        crypto::op_node_hkdf,
        crypto::op_node_scrypt,
        zlib::op_zlib_new,
        zlib::op_zlib_write,
        zlib::op_zlib_close,
        zlib::op_zlib_crc32,
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
