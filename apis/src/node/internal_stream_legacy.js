// The legacy `Stream` constructor of node:stream: an EventEmitter with the
// old, simple pipe() that Readable's own pipe() replaces. Readable,
// Writable and the rest inherit from it.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("internal/stream_legacy");
const EventEmitter = require("events").default;
const { prependListener } = require("internal/stream_utils");

// A plain function so that old-style subclasses can `Stream.call(this)`.
function Stream(opts) {
  EventEmitter.call(this, opts);
}
Object.setPrototypeOf(Stream.prototype, EventEmitter.prototype);
Object.setPrototypeOf(Stream, EventEmitter);

Stream.prototype.pipe = function pipe(dest, options) {
  const source = this;

  function ondata(chunk) {
    if (dest.writable && dest.write(chunk) === false && source.pause) source.pause();
  }
  function ondrain() {
    if (source.readable && source.resume) source.resume();
  }
  source.on("data", ondata);
  dest.on("drain", ondrain);

  let ended = false;
  function onend() {
    if (ended) return;
    ended = true;
    dest.end();
  }
  function onclose() {
    if (ended) return;
    ended = true;
    if (typeof dest.destroy === "function") dest.destroy();
  }
  // Unless told otherwise, the destination ends with the source.
  if (!dest._isStdio && (!options || options.end !== false)) {
    source.on("end", onend);
    source.on("close", onclose);
  }

  function onerror(er) {
    cleanup();
    // Rethrow when nobody else listens for it.
    if (this.listenerCount("error") === 0) this.emit("error", er);
  }
  prependListener(source, "error", onerror);
  prependListener(dest, "error", onerror);

  function cleanup() {
    source.removeListener("data", ondata);
    dest.removeListener("drain", ondrain);
    source.removeListener("end", onend);
    source.removeListener("close", onclose);
    source.removeListener("error", onerror);
    dest.removeListener("error", onerror);
    source.removeListener("end", cleanup);
    source.removeListener("close", cleanup);
    dest.removeListener("close", cleanup);
  }
  source.on("end", cleanup);
  source.on("close", cleanup);
  dest.on("close", cleanup);

  dest.emit("pipe", source);
  return dest;
};

// The names of events with at least one listener (Node leaves some
// listener slots empty in `_events`, so it filters them).
Stream.prototype.eventNames = function eventNames() {
  const names = [];
  for (const key of Reflect.ownKeys(this._events ?? {})) {
    const listeners = this._events[key];
    if (typeof listeners === "function" || (Array.isArray(listeners) && listeners.length > 0)) names.push(key);
  }
  return names;
};

return { Stream };
})();
