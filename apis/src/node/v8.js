// node:v8 — the engine is not reachable from a Worker: as in workerd, the
// statistics are all zeros, (de)serialisation, heap snapshots, coverage,
// flags and hooks throw ERR_METHOD_NOT_IMPLEMENTED once their arguments
// pass Node's checks, and the Serializer classes cannot be constructed.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("v8");
const {
  codes: { ERR_INVALID_ARG_VALUE, ERR_METHOD_NOT_IMPLEMENTED },
  validateBoolean,
  validateFunction,
  validateObject,
  validateOneOf,
  validateString,
  validateUint32,
} = require("internal/errors");

/** A method called `name` that throws ERR_METHOD_NOT_IMPLEMENTED for `label`. */
function unavailable(name, label = name) {
  return {
    [name]() {
      throw new ERR_METHOD_NOT_IMPLEMENTED(label);
    },
  }[name];
}

/** Puts throwing methods called `names` on `cls.prototype`, as class methods are. */
function throwingMethods(cls, names) {
  for (const name of names) {
    Object.defineProperty(cls.prototype, name, { value: unavailable(name), writable: true, configurable: true });
  }
}

function checkSnapshotOptions(options = {}) {
  validateObject(options, "options");
  const { exposeInternals = false, exposeNumericValues = false } = options;
  validateBoolean(exposeInternals, "options.exposeInternals");
  validateBoolean(exposeNumericValues, "options.exposeNumericValues");
}

function writeHeapSnapshot(filename, options = {}) {
  if (filename !== undefined) validateString(filename, "filename");
  checkSnapshotOptions(options);
  throw new ERR_METHOD_NOT_IMPLEMENTED("writeHeapSnapshot");
}

function getHeapSnapshot(options = {}) {
  checkSnapshotOptions(options);
  throw new ERR_METHOD_NOT_IMPLEMENTED("getHeapSnapshot");
}

function setFlagsFromString(flags) {
  validateString(flags, "flags");
  throw new ERR_METHOD_NOT_IMPLEMENTED("setFlagsFromString");
}

function isStringOneByteRepresentation(content) {
  validateString(content, "content");
  throw new ERR_METHOD_NOT_IMPLEMENTED("isStringOneByteRepresentation");
}

function getHeapStatistics() {
  return {
    total_heap_size: 0,
    total_heap_size_executable: 0,
    total_physical_size: 0,
    total_available_size: 0,
    used_heap_size: 0,
    heap_size_limit: 0,
    malloced_memory: 0,
    peak_malloced_memory: 0,
    does_zap_garbage: 0,
    number_of_native_contexts: 0,
    number_of_detached_contexts: 0,
    total_global_handles_size: 0,
    used_global_handles_size: 0,
    external_memory: 0,
    total_allocated_bytes: 0,
  };
}

function getHeapCodeStatistics() {
  return {
    code_and_metadata_size: 0,
    bytecode_and_metadata_size: 0,
    external_script_source_size: 0,
    cpu_profiler_metadata_size: 0,
  };
}

function setHeapSnapshotNearHeapLimit(limit) {
  validateUint32(limit, "limit", true);
  throw new ERR_METHOD_NOT_IMPLEMENTED("setHeapSnapshotNearHeapLimit");
}

function getCppHeapStatistics(type = "detailed") {
  validateOneOf(type, "type", ["brief", "detailed"]);
  return {
    committed_size_bytes: 0,
    resident_size_bytes: 0,
    used_size_bytes: 0,
    space_statistics: [],
    type_names: [],
    detail_level: type,
  };
}

class Serializer {
  constructor() {
    throw new ERR_METHOD_NOT_IMPLEMENTED("Serializer");
  }
}
throwingMethods(Serializer, [
  "writeHeader", "writeValue", "releaseBuffer", "transferArrayBuffer",
  "writeUint32", "writeUint64", "writeDouble", "writeRawBytes",
  "_getDataCloneError", "_getSharedArrayBufferId",
  "_setTreatArrayBufferViewsAsHostObjects", "_writeHostObject",
]);

class Deserializer {
  constructor() {
    throw new ERR_METHOD_NOT_IMPLEMENTED("Deserializer");
  }
}
throwingMethods(Deserializer, [
  "readHeader", "readValue", "transferArrayBuffer", "getWireFormatVersion",
  "readUint32", "readUint64", "readDouble", "readRawBytes", "_readHostObject",
]);

// Their parents throw first, so these constructors' own throws are never
// reached; they exist for `instanceof` and subclassing.
class DefaultSerializer extends Serializer {}
class DefaultDeserializer extends Deserializer {}

class GCProfiler {}
Object.defineProperties(GCProfiler.prototype, {
  start: { value: unavailable("start", "GCProfiler.start"), writable: true, configurable: true },
  stop: { value: unavailable("stop", "GCProfiler.stop"), writable: true, configurable: true },
});

const promiseHooks = {};
for (const name of ["createHook", "onInit", "onBefore", "onAfter", "onSettled"]) {
  promiseHooks[name] = unavailable(name, `promiseHooks.${name}`);
}

function queryObjects(ctor, options = {}) {
  validateFunction(ctor, "constructor");
  validateObject(options, "options");
  const format = options.format || "count";
  if (format !== "count" && format !== "summary") {
    throw new ERR_INVALID_ARG_VALUE("options.format", format);
  }
  throw new ERR_METHOD_NOT_IMPLEMENTED("queryObjects");
}

const startupSnapshot = {
  addSerializeCallback: unavailable("addSerializeCallback", "startupSnapshot.addSerializeCallback"),
  addDeserializeCallback: unavailable("addDeserializeCallback", "startupSnapshot.addDeserializeCallback"),
  setDeserializeMainFunction: unavailable("setDeserializeMainFunction", "startupSnapshot.setDeserializeMainFunction"),
  isBuildingSnapshot() {
    return false;
  },
};

return {
  cachedDataVersionTag: () => 0,
  getHeapSnapshot,
  getHeapStatistics,
  getHeapSpaceStatistics: () => [],
  getHeapCodeStatistics,
  getCppHeapStatistics,
  setFlagsFromString,
  Serializer,
  Deserializer,
  DefaultSerializer,
  DefaultDeserializer,
  deserialize: unavailable("deserialize"),
  takeCoverage: unavailable("takeCoverage"),
  stopCoverage: unavailable("stopCoverage"),
  serialize: unavailable("serialize"),
  writeHeapSnapshot,
  promiseHooks,
  queryObjects,
  startupSnapshot,
  setHeapSnapshotNearHeapLimit,
  GCProfiler,
  isStringOneByteRepresentation,
};
})();
