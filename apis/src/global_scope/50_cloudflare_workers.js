// `cloudflare:workers`: the module Workers import their base classes and
// their `env` from, as workerd exports them.
//
// A Worker's modules cannot import extension modules, so the host's loader
// answers `import ... from "cloudflare:workers"` with a small module that
// reads these exports from a well-known symbol of the global scope
// (`isola::isolate::loader`); `publish()` puts them there once the
// Worker's `env` exists, before its code runs.

import { primordials } from "ext:isola_global_scope/00_infra.js";
import { currentInvocation } from "ext:isola_global_scope/30_events.js";
import { RpcTarget } from "ext:isola_global_scope/45_rpc_values.js";
import { RpcStub } from "ext:isola_global_scope/46_rpc_calls.js";

const { Error, ObjectDefineProperty, ObjectFreeze, SymbolFor } = primordials;

/** Where the module's exports wait for the loader's module to read them. */
const EXPORTS = SymbolFor("isola.cloudflare:workers");

/**
 * The base of a Worker's entrypoints: `export default class extends
 * WorkerEntrypoint`, or a named export other Workers bind to
 * (`[[services]] entrypoint`). Built per invocation with the invocation's
 * `ctx` and the Worker's `env`.
 */
export class WorkerEntrypoint {
  constructor(ctx, env) {
    this.ctx = ctx;
    this.env = env;
  }
}

/** The base of a Durable Object class. */
export class DurableObject {
  constructor(ctx, env) {
    this.ctx = ctx;
    this.env = env;
  }
}

/** The base of a Workflow's entrypoint. */
export class WorkflowEntrypoint {
  constructor(ctx, env) {
    this.ctx = ctx;
    this.env = env;
  }
}


/** Extends the current invocation's life until `promise` settles. */
function waitUntil(promise) {
  const invocation = currentInvocation();
  if (invocation === null) {
    throw new Error("waitUntil() can only be called while handling an event.");
  }
  invocation.waitUntil(promise);
}

/** Makes the module importable, with `env` the Worker's. */
export function publish(env) {
  ObjectDefineProperty(globalThis, EXPORTS, {
    value: ObjectFreeze({
      WorkerEntrypoint,
      DurableObject,
      WorkflowEntrypoint,
      RpcTarget,
      RpcStub,
      env,
      waitUntil,
    }),
    enumerable: false,
    writable: false,
    configurable: true,
  });
}
