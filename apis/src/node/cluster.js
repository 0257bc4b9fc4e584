// node:cluster — a Worker is always the primary and can start no workers:
// as in workerd, fork/disconnect/setupPrimary throw
// ERR_METHOD_NOT_IMPLEMENTED and the default export is a Cluster instance.
// (setupMaster's error names "cluster.setupWorker", as workerd's does.)
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("cluster");
const { EventEmitter } = require("events");
const { codes: { ERR_METHOD_NOT_IMPLEMENTED } } = require("internal/errors");

const SCHED_NONE = 1;
const SCHED_RR = 2;
const settings = {};
const workers = {};

function fork() {
  throw new ERR_METHOD_NOT_IMPLEMENTED("cluster.fork");
}
function disconnect() {
  throw new ERR_METHOD_NOT_IMPLEMENTED("cluster.disconnect");
}
function setupPrimary() {
  throw new ERR_METHOD_NOT_IMPLEMENTED("cluster.setupPrimary");
}
function setupMaster() {
  throw new ERR_METHOD_NOT_IMPLEMENTED("cluster.setupWorker");
}

/** A worker that is never connected and is always dead. */
class Worker extends EventEmitter {
  _connected = false;
  id = 0;

  get process() {
    return globalThis.process;
  }
  get exitedAfterDisconnect() {
    return this._connected;
  }
  isConnected() {
    return this._connected;
  }
  isDead() {
    return true;
  }
  send() {
    return false;
  }
  kill() {
    this._connected = false;
  }
  destroy() {
    this._connected = false;
  }
  disconnect() {
    this._connected = false;
    return this;
  }
}

class Cluster extends EventEmitter {
  Worker = Worker;
  isMaster = true;
  isPrimary = true;
  isWorker = false;
  SCHED_NONE = SCHED_NONE;
  SCHED_RR = SCHED_RR;
  schedulingPolicy = SCHED_RR;
  settings = settings;
  workers = workers;

  setupPrimary(options) {
    setupPrimary(options);
  }
  setupMaster(options) {
    setupMaster(options);
  }
  disconnect() {
    disconnect();
  }
  fork(env) {
    return fork(env);
  }
}

return {
  default: new Cluster(),
  SCHED_NONE,
  SCHED_RR,
  isMaster: true,
  isPrimary: true,
  isWorker: false,
  schedulingPolicy: SCHED_RR,
  settings,
  workers,
  fork,
  disconnect,
  setupPrimary,
  setupMaster,
  _events: [],
  _eventsCount: 0,
  _maxListeners: 0,
  Worker,
  Cluster,
};
})();
