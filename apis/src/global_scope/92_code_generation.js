// Code generation from strings, as workerd allows it: `eval`, `new
// Function(text)` and their async and generator kin work while the Worker's
// top-level code runs (with `allow_eval_during_startup`, the default from
// compatibility date 2025-06-01), and throw workerd's EvalError once it
// serves events. Tests that need them later get them from an `unsafe_eval`
// binding (`apis/src/unsafe_eval/`), which uses the originals kept here.
//
// Startup keeps the engine's own `eval`, so a direct `eval` there sees local
// variables; afterwards the globals and the `constructor`s of the function
// prototypes are replaced. A function taken before then keeps working, as
// nothing but the platform's own check could stop it.

import { primordials } from "ext:isola_global_scope/00_infra.js";

const {
  ArrayPrototypeIncludes,
  EvalError,
  ObjectDefineProperty,
  ObjectValues,
  ObjectGetPrototypeOf,
  ObjectSetPrototypeOf,
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

let blocked = false;

/** From now on, code generation from strings throws. */
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
