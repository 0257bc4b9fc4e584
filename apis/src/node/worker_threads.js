// node:worker_threads — a Worker is a single thread and can start no
// others: as in workerd, this is always the main thread, Worker and
// BroadcastChannel cannot be constructed, and MessageChannel/MessagePort
// are the runtime's own. Environment data is kept per isolate.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("worker_threads");
const { EventEmitter } = require("events");
const { codes: { ERR_METHOD_NOT_IMPLEMENTED } } = require("internal/errors");
const kAsyncDispose = Symbol.asyncDispose ?? Symbol.for("nodejs.asyncDispose");

const { MessageChannel, MessagePort } = globalThis;

class BroadcastChannel {
  constructor() {
    throw new ERR_METHOD_NOT_IMPLEMENTED("BroadcastChannel");
  }
}

class Worker extends EventEmitter {
  stdin = null;
  threadName = "workerd";

  constructor() {
    super();
    throw new ERR_METHOD_NOT_IMPLEMENTED("Worker");
  }
  cpuUsage() {
    return Promise.reject(new ERR_METHOD_NOT_IMPLEMENTED("Worker.cpuUsage"));
  }
  postMessage() {}
  async postMessageToThread() {}
  ref() {}
  unref() {}
  async terminate() {
    throw new ERR_METHOD_NOT_IMPLEMENTED("Worker.terminate");
  }
  async getHeapSnapshot() {
    throw new ERR_METHOD_NOT_IMPLEMENTED("Worker.getHeapSnapshot");
  }
  async getHeapStatistics() {
    throw new ERR_METHOD_NOT_IMPLEMENTED("Worker.getHeapStatistics");
  }
  async startCpuProfile() {
    throw new ERR_METHOD_NOT_IMPLEMENTED("Worker.startCpuProfile");
  }
  async startHeapProfile() {
    throw new ERR_METHOD_NOT_IMPLEMENTED("Worker.startHeapProfile");
  }
  async [kAsyncDispose]() {}
}

const environmentData = new Map();

return {
  BroadcastChannel,
  MessageChannel,
  MessagePort,
  Worker,
  SHARE_ENV: Symbol.for("nodejs.worker_threads.SHARE_ENV"),
  getEnvironmentData: (key) => environmentData.get(key),
  isMainThread: true,
  isMarkedAsUntransferable: () => false,
  markAsUntransferable: () => {},
  markAsUncloneable: () => {},
  // A port cannot be made by hand: this throws "Illegal constructor" as
  // workerd's does.
  moveMessagePortToContext: () => new MessagePort(),
  parentPort: null,
  receiveMessageOnPort: () => undefined,
  resourceLimits: {},
  setEnvironmentData: (key, value) => {
    environmentData.set(key, value);
  },
  postMessageToThread() {
    throw new ERR_METHOD_NOT_IMPLEMENTED("postMessageToThread");
  },
  threadId: 0,
  workerData: null,
  isInternalThread: false,
};
})();
