// Entry point: runs once when an isolate is created, before any Worker code.
// Installs the global scope and hands the host the functions it calls to
// load a Worker into this isolate, and to resume it after a CPU-limit stop.

import { op_worker_set_entrypoints } from "ext:core/ops";
import { installStandards } from "ext:isola_global_scope/15_standards.js";
import { installGlobalScope } from "ext:isola_global_scope/90_global_scope.js";
import { installWebAssembly } from "ext:isola_webassembly/webassembly.js";
// Publishes `cloudflare:sockets`' `connect` for the loader's module.
import "ext:isola_sockets/sockets.js";
import {
  prepareWorker,
  resumeWorker,
  startWorker,
} from "ext:isola_global_scope/60_worker.js";

installStandards();
installGlobalScope();
installWebAssembly();
op_worker_set_entrypoints(prepareWorker, startWorker, resumeWorker);
