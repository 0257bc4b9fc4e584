//! The Workers global scope, in JavaScript: the frame every API's JS plugs
//! into.
//!
//! deno_core gives an engine and an op layer; Deno's Web API crates
//! (`deno_webidl`, `deno_web`, `deno_fetch`, `deno_crypto`) give the standard
//! classes as lazily loaded scripts. The modules here load those scripts,
//! arrange them the way `workerd` does (Web APIs on
//! `ServiceWorkerGlobalScope.prototype`, no `Deno` global) and add what only
//! Workers have: `export default { fetch }` and `addEventListener("fetch")`
//! dispatch, `env` (whose kinds of binding register themselves from their
//! own folders, see `40_env.js`), `ExecutionContext`,
//! `navigator.userAgent`.
//!
//! File numbers give the load order: 00–19 infrastructure, 20–39 web glue,
//! 40–69 the Worker, 90–99 global scope. Only the 90s assign globals.
//!
//! The ops these files call to serve requests (`op_worker_*`) live in the
//! `isola` crate's isolate, which owns the request queue.

deno_core::extension!(
  isola_global_scope,
  deps = [deno_webidl, deno_web, deno_fetch, deno_crypto],
  esm_entry_point = "ext:isola_global_scope/99_main.js",
  esm = [
    dir "src/global_scope",
    "00_infra.js",
    "10_cloning.js",
    "15_standards.js",
    "16_url.js",
    "20_http.js",
    "26_byte_streams.js",
    "30_events.js",
    "40_env.js",
    "45_rpc_values.js",
    "46_rpc_calls.js",
    "50_cloudflare_workers.js",
    "60_worker.js",
    "90_global_scope.js",
    "92_code_generation.js",
    "99_main.js",
  ],
  lazy_loaded_js = [
    dir "src/global_scope",
    "ext:deno_net/02_tls.js" = "shims/tls.js",
    "ext:deno_telemetry/telemetry.ts" = "shims/telemetry.js",
    "ext:deno_telemetry/util.ts" = "shims/telemetry_util.js",
  ],
  state = |state| {
    // Until a Worker is loaded, the isolate binds nothing.
    state.put(crate::WorkerBindings::default());
  },
);
