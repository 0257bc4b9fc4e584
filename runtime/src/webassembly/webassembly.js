// `WebAssembly` as Workers code expects it from V8.
//
// With QuickJS the whole JS API is served here over wasmtime
// (`mod.rs` beside this file): the engine's own is an
// interpreter without `Table`, `Global` or `externref`. Modules, instances,
// memories, tables and globals are handles into the isolate's wasmtime
// store; exported functions are JS functions that call into it.
//
// With V8, V8's own stays, behind the same import checks, which throw V8's
// `LinkError` (or `TypeError`) naming the import before linking starts.

import {
  op_wasm_call,
  op_wasm_compile,
  op_wasm_global_get,
  op_wasm_global_new,
  op_wasm_global_set,
  op_wasm_init,
  op_wasm_instantiate,
  op_wasm_memory_buffer,
  op_wasm_memory_grow,
  op_wasm_memory_new,
  op_wasm_module_custom_sections,
  op_wasm_module_exports,
  op_wasm_module_imports,
  op_wasm_on_wasmtime,
  op_wasm_table_get,
  op_wasm_table_grow,
  op_wasm_table_length,
  op_wasm_table_new,
  op_wasm_table_set,
  op_wasm_validate,
} from "ext:core/ops";
import { primordials } from "ext:isola_global_scope/00_infra.js";
import { byteView } from "ext:isola_global_scope/26_byte_streams.js";

const {
  ArrayPrototypeForEach,
  ArrayPrototypeMap,
  ArrayPrototypePush,
  BigIntAsIntN,
  Error,
  MathTrunc,
  Number,
  NumberIsFinite,
  ObjectCreate,
  ObjectDefineProperty,
  ObjectFreeze,
  ObjectGetPrototypeOf,
  ObjectHasOwn,
  Promise,
  PromisePrototypeThen,
  PromiseReject,
  PromiseResolve,
  RangeError,
  ReflectConstruct,
  SafeWeakMap,
  String,
  SymbolToStringTag,
  TypeError,
  TypedArrayPrototypeSlice,
  WeakMapPrototypeGet,
  WeakMapPrototypeHas,
  WeakMapPrototypeSet,
} = primordials;

/**
 * Throws what V8 throws when `importObject` does not satisfy `imports`, a
 * module's imports as `Module.imports` lists them.
 */
function checkImports(imports, importObject, api) {
  if (imports.length > 0 && (importObject === undefined || importObject === null)) {
    throw new TypeError(`${api}: Imports argument must be present and must be an object`);
  }
  ArrayPrototypeForEach(imports, (wanted, index) => {
    const namespace = importObject[wanted.module];
    const at = `${api}: Import #${index} "${wanted.module}"`;
    if (
      namespace === null ||
      (typeof namespace !== "object" && typeof namespace !== "function")
    ) {
      throw new TypeError(`${at}: module is not an object or function`);
    }
    const value = namespace[wanted.name];
    const link = (what) => {
      throw new WebAssembly.LinkError(`${at} "${wanted.name}": ${what}`);
    };
    switch (wanted.kind) {
      case "function":
        if (typeof value !== "function") link("function import requires a callable");
        break;
      case "memory":
        if (!(value instanceof WebAssembly.Memory)) {
          link("memory import must be a WebAssembly.Memory object");
        }
        break;
      case "table":
        if (!(value instanceof WebAssembly.Table)) {
          link("table import requires a WebAssembly.Table");
        }
        break;
      case "global":
        if (
          typeof value !== "number" &&
          typeof value !== "bigint" &&
          !(value instanceof WebAssembly.Global)
        ) {
          link("global import must be a number, valid Wasm reference, or WebAssembly.Global object");
        }
        break;
    }
  });
}

/** Puts the checks in front of V8's `WebAssembly.Instance` and `instantiate`. */
function installChecks() {
  const NativeInstance = WebAssembly.Instance;
  const nativeInstantiate = WebAssembly.instantiate;
  const nativeCompile = WebAssembly.compile;

  function Instance(module, importObject) {
    if (new.target === undefined) {
      throw new TypeError("WebAssembly.Instance must be invoked with 'new'");
    }
    if (module instanceof WebAssembly.Module) {
      checkImports(WebAssembly.Module.imports(module), importObject, "WebAssembly.Instance()");
    }
    return ReflectConstruct(NativeInstance, [module, importObject], new.target);
  }
  Instance.prototype = NativeInstance.prototype;
  ObjectDefineProperty(Instance.prototype, "constructor", {
    value: Instance,
    writable: true,
    enumerable: false,
    configurable: true,
  });

  function instantiate(source, importObject) {
    if (source instanceof WebAssembly.Module) {
      try {
        checkImports(
          WebAssembly.Module.imports(source),
          importObject,
          "WebAssembly.instantiate()",
        );
      } catch (error) {
        return PromiseReject(error);
      }
      return nativeInstantiate(source, importObject);
    }
    return PromisePrototypeThen(nativeCompile(source), (module) => {
      checkImports(
        WebAssembly.Module.imports(module),
        importObject,
        "WebAssembly.instantiate()",
      );
      return PromisePrototypeThen(
        nativeInstantiate(module, importObject),
        (instance) => ({ module, instance }),
      );
    });
  }

  hide(WebAssembly, "Instance", Instance);
  hide(WebAssembly, "instantiate", instantiate);
}

/** Defines `object[name]` as a builtin is: writable, not enumerable. */
function hide(object, name, value) {
  ObjectDefineProperty(object, name, {
    value,
    writable: true,
    enumerable: false,
    configurable: true,
  });
}

function errorClass(name) {
  const ErrorClass = class extends Error {};
  hide(ErrorClass, "name", name);
  hide(ErrorClass.prototype, "name", name);
  return ErrorClass;
}

const CompileError = errorClass("CompileError");
const LinkError = errorClass("LinkError");
const RuntimeError = errorClass("RuntimeError");

/** The store handle behind each Module, Memory, Table and Global. */
const handles = new SafeWeakMap();
/** The store handle behind each exported function. */
const functionHandles = new SafeWeakMap();
/** Exported functions by handle, so one Wasm function is one JS function. */
const functions = [];
/** What each Instance exports. */
const instanceExports = new SafeWeakMap();

function handleOf(object, Class, what) {
  if (
    object === null ||
    typeof object !== "object" ||
    !WeakMapPrototypeHas(handles, object) ||
    !(object instanceof Class)
  ) {
    throw new TypeError(what);
  }
  return WeakMapPrototypeGet(handles, object);
}

/** A `Class` object for an existing store handle. */
function wrap(Class, handle) {
  const object = ObjectCreate(Class.prototype);
  WeakMapPrototypeSet(handles, object, handle);
  return object;
}

function wrapFunction(handle, arity) {
  let exported = functions[handle];
  if (exported === undefined) {
    exported = (...args) => op_wasm_call(handle, args);
    ObjectDefineProperty(exported, "name", { value: String(handle) });
    ObjectDefineProperty(exported, "length", { value: arity });
    WeakMapPrototypeSet(functionHandles, exported, handle);
    functions[handle] = exported;
  }
  return exported;
}

function functionHandle(value) {
  return WeakMapPrototypeGet(functionHandles, value) ?? -1;
}

/** The bytes of a BufferSource, as the ops take them. */
function bufferSource(source, api) {
  const bytes = byteView(source);
  if (bytes === null) throw new TypeError(`${api}: Argument 0 must be a buffer source`);
  return bytes;
}

function compileBytes(source, api) {
  const bytes = bufferSource(source, api);
  try {
    return op_wasm_compile(bytes);
  } catch (error) {
    throw new CompileError(`${api}: ${error.message}`);
  }
}

/** A descriptor's size property (`initial`, `maximum`) as V8 reads it. */
function sizeOf(descriptor, name, api, bound, required) {
  let value = descriptor[name];
  if (value === undefined && name === "initial") value = descriptor.minimum;
  if (value === undefined) {
    if (required) throw new TypeError(`${api}: Property '${name}' is required`);
    return -1;
  }
  const number = Number(value);
  if (!NumberIsFinite(number) || number < 0 || MathTrunc(number) > bound) {
    throw new TypeError(
      `${api}: Property '${name}': value ${value} is above the upper bound ${bound}`,
    );
  }
  return MathTrunc(number);
}

function descriptorOf(descriptor, api) {
  if (descriptor === null || typeof descriptor !== "object") {
    throw new TypeError(`${api}: Argument 0 must be a ${api.includes("Memory") ? "memory" : "table"} descriptor`);
  }
  return descriptor;
}

const MAX_PAGES = 65536;
const MAX_TABLE = 10000000;

class Module {
  constructor(bytes) {
    if (new.target === undefined) {
      throw new TypeError("WebAssembly.Module must be invoked with 'new'");
    }
    WeakMapPrototypeSet(handles, this, compileBytes(bytes, "WebAssembly.Module()"));
  }

  static imports(module) {
    const handle = handleOf(module, Module, "WebAssembly.Module.imports(): Argument 0 must be a WebAssembly.Module");
    return ArrayPrototypeMap(
      op_wasm_module_imports(handle),
      ({ module, name, kind }) => ({ module, name, kind }),
    );
  }

  static exports(module) {
    const handle = handleOf(module, Module, "WebAssembly.Module.exports(): Argument 0 must be a WebAssembly.Module");
    return ArrayPrototypeMap(op_wasm_module_exports(handle), ({ name, kind }) => ({ name, kind }));
  }

  static customSections(module, sectionName) {
    const handle = handleOf(module, Module, "WebAssembly.Module.customSections(): Argument 0 must be a WebAssembly.Module");
    if (sectionName === undefined) {
      throw new TypeError("WebAssembly.Module.customSections(): Argument 1 is required");
    }
    return ArrayPrototypeMap(
      op_wasm_module_custom_sections(handle, String(sectionName)),
      (bytes) => TypedArrayPrototypeSlice(bytes).buffer,
    );
  }
}

/** Links `module` with `importObject` and gives the frozen exports. */
function link(module, importObject, api) {
  const handle = handleOf(module, Module, `${api}: Argument 0 must be a WebAssembly.Module`);
  const imports = op_wasm_module_imports(handle);
  checkImports(imports, importObject, api);
  const values = [];
  ArrayPrototypeForEach(imports, (wanted, index) => {
    const value = importObject[wanted.module][wanted.name];
    switch (wanted.kind) {
      case "function":
        ArrayPrototypePush(values, WeakMapPrototypeGet(functionHandles, value) ?? value);
        return;
      case "global":
        if (!(value instanceof Global)) {
          if (wanted.mutable) {
            throw new LinkError(
              `${api}: Import #${index} "${wanted.module}" "${wanted.name}": imported mutable global must be a WebAssembly.Global object`,
            );
          }
          ArrayPrototypePush(values, op_wasm_global_new(wanted.value, false, value));
          return;
        }
    }
    ArrayPrototypePush(values, WeakMapPrototypeGet(handles, value));
  });
  const list = op_wasm_instantiate(handle, values);
  const exports = ObjectCreate(null);
  for (let i = 0; i < list.length; i += 4) {
    const [name, kind, exported, arity] = [list[i], list[i + 1], list[i + 2], list[i + 3]];
    exports[name] = kind === 0
      ? wrapFunction(exported, arity)
      : wrap([Memory, Table, Global][kind - 1], exported);
  }
  return ObjectFreeze(exports);
}

class Instance {
  constructor(module, importObject) {
    if (new.target === undefined) {
      throw new TypeError("WebAssembly.Instance must be invoked with 'new'");
    }
    WeakMapPrototypeSet(instanceExports, this, link(module, importObject, "WebAssembly.Instance()"));
  }

  get exports() {
    if (!WeakMapPrototypeHas(instanceExports, this)) {
      throw new TypeError("Receiver is not a WebAssembly.Instance");
    }
    return WeakMapPrototypeGet(instanceExports, this);
  }
}

class Memory {
  constructor(descriptor) {
    const api = "WebAssembly.Memory()";
    if (new.target === undefined) {
      throw new TypeError("WebAssembly.Memory must be invoked with 'new'");
    }
    descriptorOf(descriptor, api);
    const initial = sizeOf(descriptor, "initial", api, MAX_PAGES, true);
    const maximum = sizeOf(descriptor, "maximum", api, MAX_PAGES, false);
    if (maximum !== -1 && maximum < initial) {
      throw new RangeError(`${api}: Property 'maximum': value ${maximum} is below the lower bound ${initial}`);
    }
    if (descriptor.shared) {
      throw new TypeError(`${api}: shared memories are not supported`);
    }
    WeakMapPrototypeSet(handles, this, op_wasm_memory_new(initial, maximum));
  }

  get buffer() {
    return op_wasm_memory_buffer(handleOf(this, Memory, "Receiver is not a WebAssembly.Memory"));
  }

  grow(delta) {
    const handle = handleOf(this, Memory, "Receiver is not a WebAssembly.Memory");
    const pages = Number(delta);
    if (!NumberIsFinite(pages) || pages < 0 || pages > MAX_PAGES) {
      throw new TypeError("WebAssembly.Memory.grow(): Argument 0 must be non-negative");
    }
    return op_wasm_memory_grow(handle, MathTrunc(pages));
  }
}

class Table {
  constructor(descriptor, value) {
    const api = "WebAssembly.Table()";
    if (new.target === undefined) {
      throw new TypeError("WebAssembly.Table must be invoked with 'new'");
    }
    descriptorOf(descriptor, api);
    const element = String(descriptor.element);
    if (element !== "anyfunc" && element !== "funcref" && element !== "externref") {
      throw new TypeError(
        `${api}: Descriptor property 'element' must be a WebAssembly reference type`,
      );
    }
    const initial = sizeOf(descriptor, "initial", api, MAX_TABLE, true);
    const maximum = sizeOf(descriptor, "maximum", api, 0xffffffff, false);
    if (maximum !== -1 && maximum < initial) {
      throw new RangeError(`${api}: Property 'maximum': value ${maximum} is below the lower bound ${initial}`);
    }
    WeakMapPrototypeSet(handles, this, op_wasm_table_new(element, initial, maximum, value));
  }

  get length() {
    return op_wasm_table_length(handleOf(this, Table, "Receiver is not a WebAssembly.Table"));
  }

  get(index) {
    const handle = handleOf(this, Table, "Receiver is not a WebAssembly.Table");
    return op_wasm_table_get(handle, indexOf(index, "WebAssembly.Table.get()"));
  }

  set(index, value) {
    const handle = handleOf(this, Table, "Receiver is not a WebAssembly.Table");
    op_wasm_table_set(handle, indexOf(index, "WebAssembly.Table.set()"), value);
  }

  grow(delta, value) {
    const handle = handleOf(this, Table, "Receiver is not a WebAssembly.Table");
    return op_wasm_table_grow(handle, indexOf(delta, "WebAssembly.Table.grow()"), value);
  }
}

function indexOf(value, api) {
  const number = Number(value);
  if (!NumberIsFinite(number) || number < 0 || number > 0xffffffff) {
    throw new TypeError(`${api}: Argument 0 must be convertible to a valid number`);
  }
  return MathTrunc(number);
}

class Global {
  constructor(descriptor, value) {
    if (new.target === undefined) {
      throw new TypeError("WebAssembly.Global must be invoked with 'new'");
    }
    if (descriptor === null || typeof descriptor !== "object") {
      throw new TypeError("WebAssembly.Global(): Argument 0 must be a global descriptor");
    }
    const type = String(descriptor.value);
    WeakMapPrototypeSet(handles, this, op_wasm_global_new(type, !!descriptor.mutable, value));
  }

  get value() {
    return op_wasm_global_get(handleOf(this, Global, "Receiver is not a WebAssembly.Global"));
  }

  set value(value) {
    op_wasm_global_set(handleOf(this, Global, "Receiver is not a WebAssembly.Global"), value);
  }

  valueOf() {
    return this.value;
  }
}

function validate(bytes) {
  return op_wasm_validate(bufferSource(bytes, "WebAssembly.validate()"));
}

function compile(bytes) {
  try {
    return PromiseResolve(wrap(Module, compileBytes(bytes, "WebAssembly.compile()")));
  } catch (error) {
    return PromiseReject(error);
  }
}

function instantiate(source, importObject) {
  if (source instanceof Module) {
    return new Promise((resolve) => resolve(instantiateModule(source, importObject)));
  }
  return PromisePrototypeThen(compile(source), (module) => ({
    module,
    instance: instantiateModule(module, importObject),
  }));
}

function instantiateModule(module, importObject) {
  const instance = ObjectCreate(Instance.prototype);
  WeakMapPrototypeSet(
    instanceExports,
    instance,
    link(module, importObject, "WebAssembly.instantiate()"),
  );
  return instance;
}

/** The bytes of a `Response` (or a promise of one), compiled. */
function compileStreaming(source) {
  return PromisePrototypeThen(
    PromiseResolve(source),
    (response) => PromisePrototypeThen(response.arrayBuffer(), compile),
  );
}

function instantiateStreaming(source, importObject) {
  return PromisePrototypeThen(compileStreaming(source), (module) => ({
    module,
    instance: instantiateModule(module, importObject),
  }));
}

/** Installs `WebAssembly`: over wasmtime with QuickJS, V8's own with V8. */
export function installWebAssembly() {
  if (!op_wasm_on_wasmtime()) {
    installChecks();
    return;
  }
  op_wasm_init(
    wrapFunction,
    functionHandle,
    (value) => +value,
    (value) => BigIntAsIntN(64, value),
    RuntimeError,
    LinkError,
  );
  const namespace = {};
  for (
    const [name, value] of [
      ["Module", Module],
      ["Instance", Instance],
      ["Memory", Memory],
      ["Table", Table],
      ["Global", Global],
      ["CompileError", CompileError],
      ["LinkError", LinkError],
      ["RuntimeError", RuntimeError],
      ["validate", validate],
      ["compile", compile],
      ["instantiate", instantiate],
      ["compileStreaming", compileStreaming],
      ["instantiateStreaming", instantiateStreaming],
    ]
  ) {
    hide(namespace, name, value);
  }
  for (
    const [Class, tag] of [
      [Module, "WebAssembly.Module"],
      [Instance, "WebAssembly.Instance"],
      [Memory, "WebAssembly.Memory"],
      [Table, "WebAssembly.Table"],
      [Global, "WebAssembly.Global"],
    ]
  ) {
    ObjectDefineProperty(Class.prototype, SymbolToStringTag, { value: tag, configurable: true });
  }
  ObjectDefineProperty(namespace, SymbolToStringTag, { value: "WebAssembly", configurable: true });
  // Replace the engine's where it is defined (the global object or its
  // prototype).
  let owner = globalThis;
  while (owner !== null && !ObjectHasOwn(owner, "WebAssembly")) {
    owner = ObjectGetPrototypeOf(owner);
  }
  hide(owner ?? globalThis, "WebAssembly", namespace);
}
