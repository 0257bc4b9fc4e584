//! The Workers global scope, in JavaScript.
//!
//! deno_core gives an engine and an op layer; Deno's Web API crates
//! (`deno_webidl`, `deno_web`, `deno_fetch`, `deno_crypto`) give the standard
//! classes as lazily loaded scripts. The modules in `js/` load those scripts,
//! arrange them the way `workerd` does (Web APIs on
//! `ServiceWorkerGlobalScope.prototype`, no `Deno` global) and add what only
//! Workers have: `export default { fetch }` and `addEventListener("fetch")`
//! dispatch, `env`, `ExecutionContext`, `navigator.userAgent`.
//!
//! File numbers give the load order: 00–19 infrastructure, 20–39 web glue,
//! 40–69 bindings, 90–99 global scope. Only the 90s assign globals.
//!
//! The host side (ops named `op_isola_*`) lives in the `isola` crate and in
//! `isola-bindings`; this crate holds no Rust logic of its own.

deno_core::extension!(
  isola_polyfills,
  deps = [deno_webidl, deno_web, deno_fetch, deno_crypto],
  esm_entry_point = "ext:isola_polyfills/99_main.js",
  esm = [
    dir "js",
    "00_infra.js",
    "20_http.js",
    "25_html_rewriter.js",
    "26_byte_streams.js",
    "27_websocket.js",
    "28_crypto.js",
    "30_events.js",
    "40_env.js",
    "41_kv.js",
    "42_d1.js",
    "43_service.js",
    "45_cache.js",
    "60_worker.js",
    "90_global_scope.js",
    "92_webassembly.js",
    "99_main.js",
  ],
  lazy_loaded_js = [
    dir "js",
    "ext:deno_net/02_tls.js" = "shims/tls.js",
    "ext:deno_telemetry/telemetry.ts" = "shims/telemetry.js",
    "ext:deno_telemetry/util.ts" = "shims/telemetry_util.js",
  ],
);
