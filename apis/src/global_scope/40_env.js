// `env`: what a Worker's bindings look like from JavaScript.
//
// The host describes each binding as `{ type, ...options }` (a typed value
// from the binding's own folder in `apis/src/`, see `binding.rs`). Each
// kind of binding registers here, from its own JS file, the function that
// turns its description into the object Workers code expects. Vars and
// secrets are plain values.

import { primordials } from "ext:isola_global_scope/00_infra.js";

const { ObjectEntries, SafeMap, MapPrototypeGet, MapPrototypeSet, TypeError } = primordials;

/** `type` → `(name, description) => object`. */
const kinds = new SafeMap();

/** Makes bindings described as `{ type }` become `make(name, description)`. */
export function registerBinding(type, make) {
  MapPrototypeSet(kinds, type, make);
}

/** Builds the `env` object from the host's description of the bindings. */
export function makeEnv(description) {
  const env = {};
  for (const [name, binding] of ObjectEntries(description)) {
    if (binding.type === "var") {
      env[name] = binding.value;
      continue;
    }
    const make = MapPrototypeGet(kinds, binding.type);
    if (make === undefined) {
      throw new TypeError(
        `Binding "${name}" has a type this runtime does not know: ${binding.type}`,
      );
    }
    env[name] = make(name, binding);
  }
  return env;
}
