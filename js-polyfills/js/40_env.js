// `env`: what a Worker's bindings look like from JavaScript.
//
// The host describes the bindings as JSON (see `isola::env`); each kind of
// binding has an arm here that turns its description into the object Workers
// code expects. Vars and secrets are plain values.

import { primordials } from "ext:isola_polyfills/00_infra.js";
import { KVNamespace } from "ext:isola_polyfills/41_kv.js";
import { D1Database } from "ext:isola_polyfills/42_d1.js";
import { Fetcher } from "ext:isola_polyfills/43_service.js";

const { ObjectEntries, TypeError } = primordials;

/** Builds the `env` object from the host's description of the bindings. */
export function makeEnv(description) {
  const env = {};
  for (const [name, binding] of ObjectEntries(description)) {
    switch (binding.type) {
      case "var":
        env[name] = binding.value;
        break;
      case "kv_namespace":
        env[name] = new KVNamespace(name);
        break;
      case "d1":
        env[name] = new D1Database(name);
        break;
      case "service":
        env[name] = new Fetcher(name, binding.service);
        break;
      default:
        throw new TypeError(
          `Binding "${name}" has a type this runtime does not know: ${binding.type}`,
        );
    }
  }
  return env;
}
