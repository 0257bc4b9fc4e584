// `WebAssembly` as Workers code expects it from V8, where the engine's own
// falls short: instantiating a module whose imports are missing or of the
// wrong kind throws V8's `LinkError` (or `TypeError`) naming the import,
// before the engine is asked to link it. With V8 itself these checks agree
// with what V8 would have thrown anyway.

import { primordials } from "ext:isola_polyfills/00_infra.js";

const {
  ArrayPrototypeForEach,
  ObjectDefineProperty,
  PromisePrototypeThen,
  PromiseReject,
  ReflectConstruct,
  TypeError,
} = primordials;

/** Throws what V8 throws when `importObject` does not satisfy `module`. */
function checkImports(module, importObject, api) {
  const imports = WebAssembly.Module.imports(module);
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

/** Puts the checks in front of `WebAssembly.Instance` and `instantiate`. */
export function installWebAssemblyChecks() {
  const NativeInstance = WebAssembly.Instance;
  const nativeInstantiate = WebAssembly.instantiate;
  const nativeCompile = WebAssembly.compile;

  function Instance(module, importObject) {
    if (new.target === undefined) {
      throw new TypeError("WebAssembly.Instance must be invoked with 'new'");
    }
    if (module instanceof WebAssembly.Module) {
      checkImports(module, importObject, "WebAssembly.Instance()");
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
        checkImports(source, importObject, "WebAssembly.instantiate()");
      } catch (error) {
        return PromiseReject(error);
      }
      return nativeInstantiate(source, importObject);
    }
    return PromisePrototypeThen(nativeCompile(source), (module) => {
      checkImports(module, importObject, "WebAssembly.instantiate()");
      return PromisePrototypeThen(
        nativeInstantiate(module, importObject),
        (instance) => ({ module, instance }),
      );
    });
  }

  for (const [name, value] of [["Instance", Instance], ["instantiate", instantiate]]) {
    ObjectDefineProperty(WebAssembly, name, {
      value,
      writable: true,
      enumerable: false,
      configurable: true,
    });
  }
}
