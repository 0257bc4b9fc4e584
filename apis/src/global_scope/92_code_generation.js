// Code generation, as workerd allows it: `eval`, `new Function(text)` and
// their async and generator kin, and compiling WebAssembly from bytes, work
// while the Worker's top-level code runs (with `allow_eval_during_startup`,
// the default from compatibility date 2025-06-01), and throw workerd's
// errors once it serves events. Tests that need them later get them from an
// `unsafe_eval` binding (`apis/src/unsafe_eval/`), which uses the originals
// kept here. The module loader's `.wasm` modules pass the process's token
// (`op_worker_wasm_token`) and stay importable at any time.
//
// Startup keeps the engine's own `eval`, so a direct `eval` there sees local
// variables; afterwards the globals and the `constructor`s of the function
// prototypes are replaced. A function taken before then keeps working, as
// nothing but the platform's own check could stop it.

import { op_worker_wasm_token } from "ext:core/ops";
import { primordials } from "ext:isola_global_scope/00_infra.js";

const {
  ArrayPrototypeIncludes,
  EvalError,
  ObjectDefineProperty,
  ObjectEntries,
  ObjectGetPrototypeOf,
  ObjectSetPrototypeOf,
  ObjectValues,
  PromiseReject,
  ReflectConstruct,
} = primordials;

const CODE_GENERATION = "Code generation from strings disallowed for this context";

/** The constructors of functions, as the engine made them. */
const constructors = {
  Function: globalThis.Function,
  AsyncFunction: ObjectGetPrototypeOf(async function () {}).constructor,
  GeneratorFunction: ObjectGetPrototypeOf(function* () {}).constructor,
  AsyncGeneratorFunction: ObjectGetPrototypeOf(async function* () {}).constructor,
};

/** The engine's own `eval` and function constructors. */
export const originals = { eval: globalThis.eval, ...constructors };

/** A stand-in for `original` that builds only functions with no source. */
function blockedConstructor(original) {
  const blocked = function (...args) {
    if (args.length > 0) {
      throw new EvalError(CODE_GENERATION);
    }
    return ReflectConstruct(original, [], new.target ?? original);
  };
  ObjectDefineProperty(blocked, "name", { value: original.name });
  ObjectDefineProperty(blocked, "prototype", { value: original.prototype });
  ObjectSetPrototypeOf(blocked, ObjectGetPrototypeOf(original));
  return blocked;
}

function blockedEval(code) {
  if (typeof code !== "string") {
    return code;
  }
  throw new EvalError(CODE_GENERATION);
}
ObjectDefineProperty(blockedEval, "name", { value: "eval" });

/** The engine's `WebAssembly` functions that compile, once replaced. */
let wasm = null;

/** A `WebAssembly.Module` compiled from `bytes`, whenever asked. */
export function compileWasm(bytes) {
  return new (wasm?.Module ?? WebAssembly.Module)(bytes);
}

function wasmRefused(api) {
  return new WebAssembly.CompileError(`${api}: Wasm code generation disallowed by embedder`);
}

/** `WebAssembly`'s compiling functions, refusing bytes from now on. */
function blockWasm() {
  const token = op_worker_wasm_token();
  const { Module, instantiate } = WebAssembly;
  wasm = { Module };
  const BlockedModule = function Module(bytes, given) {
    if (new.target === undefined) {
      // The engine's TypeError: a constructor called as a function.
      return wasm.Module(bytes);
    }
    if (given !== token) {
      throw wasmRefused("WebAssembly.Module()");
    }
    return ReflectConstruct(wasm.Module, [bytes], new.target);
  };
  ObjectDefineProperty(BlockedModule, "prototype", { value: Module.prototype });
  ObjectSetPrototypeOf(BlockedModule, Module);
  const replaced = {
    Module: BlockedModule,
    compile: () => PromiseReject(wasmRefused("WebAssembly.compile()")),
    instantiate: (source, imports) =>
      source instanceof Module
        ? instantiate(source, imports)
        : PromiseReject(wasmRefused("WebAssembly.instantiate()")),
    compileStreaming: () => PromiseReject(wasmRefused("WebAssembly.compileStreaming()")),
    instantiateStreaming: () => PromiseReject(wasmRefused("WebAssembly.instantiateStreaming()")),
  };
  for (const [name, fn] of ObjectEntries(replaced)) {
    if (name !== "Module") {
      ObjectDefineProperty(fn, "name", { value: name });
    }
    ObjectDefineProperty(WebAssembly, name, {
      value: fn,
      writable: true,
      enumerable: false,
      configurable: true,
    });
  }
}

let blocked = false;

/** From now on, code generation from strings or bytes throws. */
export function disallowCodeGeneration() {
  if (blocked) {
    return;
  }
  blocked = true;
  const property = (value) => ({ value, writable: true, enumerable: false, configurable: true });
  ObjectDefineProperty(globalThis, "eval", property(blockedEval));
  for (const original of ObjectValues(constructors)) {
    const standIn = blockedConstructor(original);
    ObjectDefineProperty(original.prototype, "constructor", property(standIn));
    if (original === constructors.Function) {
      ObjectDefineProperty(globalThis, "Function", property(standIn));
    }
  }
  blockWasm();
}

/**
 * Whether a Worker with this compatibility date and these flags may
 * generate code while its top-level code runs.
 */
export function evalAllowedDuringStartup(date, flags) {
  if (ArrayPrototypeIncludes(flags, "allow_eval_during_startup")) {
    return true;
  }
  if (ArrayPrototypeIncludes(flags, "disallow_eval_during_startup")) {
    return false;
  }
  return date === null || date === undefined || date >= "2025-06-01";
}
