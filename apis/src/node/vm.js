// node:vm — a Worker cannot compile code at run time, so as in workerd
// every way of running code checks its arguments as Node does and then
// throws ERR_METHOD_NOT_IMPLEMENTED. Contexts can be made (each a fresh
// empty object, not the one passed in) and recognised by isContext().
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("vm");
const {
  codes: { ERR_INVALID_ARG_TYPE, ERR_METHOD_NOT_IMPLEMENTED },
  validateArray,
  validateBoolean,
  validateBuffer,
  validateInt32,
  validateObject,
  validateOneOf,
  validateString,
  validateStringArray,
  validateUint32,
} = require("internal/errors");

const constants = Object.freeze({
  __proto__: null,
  USE_MAIN_CONTEXT_DEFAULT_LOADER: Symbol("vm_dynamic_import_main_context_default"),
  DONT_CONTEXTIFY: Symbol("vm_context_no_contextify"),
});

// Marks the objects createContext() made.
const kContext = Symbol("vm_context_symbol");

function isContext(object) {
  validateObject(object, "object", { allowArray: true });
  return object[kContext] === true;
}

function validateContext(context) {
  if (!isContext(context)) throw new ERR_INVALID_ARG_TYPE("contextifiedObject", "vm.Context", context);
}

function validateRunOptions(options) {
  validateObject(options, "options");
  const { breakOnSigint = false, displayErrors = true, timeout } = options;
  validateBoolean(breakOnSigint, "options.breakOnSigint");
  validateBoolean(displayErrors, "options.displayErrors");
  if (timeout !== undefined) validateUint32(timeout, "options.timeout", true);
}

class Script {
  cachedDataRejected = undefined;
  cachedDataProduced = undefined;
  cachedData = undefined;
  sourceMapURL = undefined;

  constructor(code, options = {}) {
    // Converted as Node does (a symbol throws), though never run.
    code = `${code}`;
    if (typeof options === "string") options = { filename: options };
    else validateObject(options, "options");
    const {
      filename = "evalmachine.<anonymous>",
      lineOffset = 0,
      columnOffset = 0,
      cachedData,
      produceCachedData = false,
      importModuleDynamically = false,
    } = options;
    validateBoolean(importModuleDynamically, "options.importModuleDynamically");
    validateString(filename, "options.filename");
    validateInt32(lineOffset, "options.lineOffset");
    validateInt32(columnOffset, "options.columnOffset");
    if (cachedData !== undefined) validateBuffer(cachedData, "options.cachedData");
    validateBoolean(produceCachedData, "options.produceCachedData");
  }

  createCachedData() {
    return require("buffer").Buffer.alloc(0);
  }

  runInThisContext(options = {}) {
    validateRunOptions(options);
    throw new ERR_METHOD_NOT_IMPLEMENTED("runInThisContext");
  }

  runInContext(contextifiedObject, options = {}) {
    validateContext(contextifiedObject);
    validateRunOptions(options);
    // workerd names this method after runInThisContext too.
    throw new ERR_METHOD_NOT_IMPLEMENTED("runInThisContext");
  }

  runInNewContext(contextObject, options = {}) {
    const context = createContext(contextObject, contextOptions(options));
    return this.runInContext(context, options);
  }
}

/** The createContext() options that run*NewContext's options carry. */
function contextOptions(options) {
  if (!options) return {};
  const result = {
    name: options.contextName,
    origin: options.contextOrigin,
    codeGeneration: undefined,
    microtaskMode: options.microtaskMode,
  };
  if (result.name !== undefined) validateString(result.name, "options.contextName");
  if (result.origin !== undefined) validateString(result.origin, "options.contextOrigin");
  if (options.contextCodeGeneration !== undefined) {
    validateObject(options.contextCodeGeneration, "options.contextCodeGeneration");
    const { strings, wasm } = options.contextCodeGeneration;
    if (strings !== undefined) validateBoolean(strings, "options.contextCodeGeneration.strings");
    if (wasm !== undefined) validateBoolean(wasm, "options.contextCodeGeneration.wasm");
    result.codeGeneration = { strings, wasm };
  }
  if (options.microtaskMode !== undefined) validateString(options.microtaskMode, "options.microtaskMode");
  return result;
}

function createContext(contextObject = {}, options = {}) {
  if (contextObject !== constants.DONT_CONTEXTIFY && isContext(contextObject)) return contextObject;
  validateObject(options, "options");
  const { name = "VM Context", origin, codeGeneration, microtaskMode, importModuleDynamically = false } = options;
  validateString(name, "options.name");
  if (origin !== undefined) validateString(origin, "options.origin");
  if (codeGeneration !== undefined) validateObject(codeGeneration, "options.codeGeneration");
  validateBoolean(importModuleDynamically, "options.importModuleDynamically");
  if (codeGeneration !== undefined) {
    const { strings = true, wasm = true } = codeGeneration;
    validateBoolean(strings, "options.codeGeneration.strings");
    validateBoolean(wasm, "options.codeGeneration.wasm");
  }
  validateOneOf(microtaskMode, "options.microtaskMode", ["afterEvaluate", undefined]);
  return Object.create(null, { [kContext]: { value: true } });
}

function createScript(code, options = {}) {
  return new Script(code, options);
}

function runInContext(code, contextifiedObject, options = {}) {
  validateContext(contextifiedObject);
  if (typeof options === "string") options = { filename: options };
  return createScript(code, options).runInContext(contextifiedObject, options);
}

function runInNewContext(code, contextObject, options) {
  options = typeof options === "string" ? { filename: options } : { ...options };
  const context = createContext(contextObject, contextOptions(options));
  return createScript(code, options).runInNewContext(context, options);
}

function runInThisContext(code, options = {}) {
  if (typeof options === "string") options = { filename: options };
  return createScript(code, options).runInThisContext(options);
}

function compileFunction(code, params = [], options = {}) {
  validateString(code, "code");
  validateObject(options, "options");
  validateStringArray(params, "params");
  const {
    filename = "",
    columnOffset = 0,
    lineOffset = 0,
    cachedData,
    produceCachedData = false,
    parsingContext,
    contextExtensions = [],
    importModuleDynamically = false,
  } = options;
  validateString(filename, "options.filename");
  validateInt32(columnOffset, "options.columnOffset");
  validateInt32(lineOffset, "options.lineOffset");
  if (cachedData !== undefined) validateBuffer(cachedData, "options.cachedData");
  validateBoolean(produceCachedData, "options.produceCachedData");
  validateBoolean(importModuleDynamically, "options.importModuleDynamically");
  if (parsingContext !== undefined &&
      (typeof parsingContext !== "object" || parsingContext === null || !isContext(parsingContext))) {
    throw new ERR_INVALID_ARG_TYPE("options.parsingContext", "Context", parsingContext);
  }
  validateArray(contextExtensions, "options.contextExtensions");
  contextExtensions.forEach((extension, i) => {
    validateObject(extension, `options.contextExtensions[${i}]`, { nullable: true });
  });
  throw new ERR_METHOD_NOT_IMPLEMENTED("compileFunction");
}

function measureMemory(options = {}) {
  validateObject(options, "options");
  const { mode = "summary", execution = "default" } = options;
  validateOneOf(mode, "options.mode", ["summary", "detailed"]);
  validateOneOf(execution, "options.execution", ["default", "eager"]);
  throw new ERR_METHOD_NOT_IMPLEMENTED("measureMemory");
}

return {
  Script,
  createContext,
  createScript,
  runInContext,
  runInNewContext,
  runInThisContext,
  isContext,
  compileFunction,
  measureMemory,
  constants,
};
})();
