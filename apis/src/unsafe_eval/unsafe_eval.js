// `env.<name>` of an `unsafe_eval` binding: code generation from strings
// whenever a test needs it, through the engine's own `eval` and function
// constructors (kept by `92_code_generation.js`).

import { primordials } from "ext:isola_global_scope/00_infra.js";
import { registerBinding } from "ext:isola_global_scope/40_env.js";
import { compileWasm, originals } from "ext:isola_global_scope/92_code_generation.js";

const { ObjectDefineProperty, ReflectApply } = primordials;

function named(fn, name) {
  ObjectDefineProperty(fn, "name", { value: name ?? "anonymous" });
  return fn;
}

class UnsafeEval {
  /** Runs `script` in the global scope and returns its value. */
  eval(script, _name) {
    return ReflectApply(originals.eval, undefined, [`${script}`]);
  }

  /** A function of `args` whose body is `script`. */
  newFunction(script, name, ...args) {
    return named(ReflectApply(originals.Function, undefined, [...args, `${script}`]), name);
  }

  /** An async function of `args` whose body is `script`. */
  newAsyncFunction(script, name, ...args) {
    return named(ReflectApply(originals.AsyncFunction, undefined, [...args, `${script}`]), name);
  }

  /** A `WebAssembly.Module` compiled from `bytes`. */
  newWasmModule(bytes) {
    return compileWasm(bytes);
  }
}

registerBinding("unsafe_eval", () => new UnsafeEval());
