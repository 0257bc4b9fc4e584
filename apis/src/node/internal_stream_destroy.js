// Destroying and constructing node:stream streams: the shared destroy()
// of Readable and Writable, errorOrDestroy (what a stream does when one of
// its own operations fails), _construct support, and destroyer() for any
// stream-like object. Callbacks Node defers with nextTick run from a
// microtask here.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("internal/stream_destroy");
const {
  AbortError,
  codes: { ERR_MULTIPLE_CALLBACK },
} = require("internal/errors");
const {
  aggregateTwoErrors,
  defer,
  isDestroyed,
  isFinished,
  kConstruct,
  kDestroy,
  kIsDestroyed,
} = require("internal/stream_utils");

/** Records `err` as the first error of each side that has none yet. */
function recordError(err, w, r) {
  if (!err) return;
  if (w && !w.errored) w.errored = err;
  if (r && !r.errored) r.errored = err;
}

/** Readable.prototype.destroy / Writable's: marks the stream destroyed, calls
 * _destroy, then emits 'error' (when there is one) and 'close'. */
function destroy(err, cb) {
  const r = this._readableState;
  const w = this._writableState;
  const state = w || r;
  if (w?.destroyed || r?.destroyed) {
    if (typeof cb === "function") cb();
    return this;
  }
  recordError(err, w, r);
  if (w) w.destroyed = true;
  if (r) r.destroyed = true;
  if (!state.constructed) {
    // _construct is still running: destroy once it is done.
    this.once(kDestroy, function (er) {
      callDestroy(this, aggregateTwoErrors(er, err), cb);
    });
  } else {
    callDestroy(this, err, cb);
  }
  return this;
}

function callDestroy(stream, err, cb) {
  let called = false;
  const onDestroy = (error) => {
    if (called) return;
    called = true;
    const r = stream._readableState;
    const w = stream._writableState;
    recordError(error, w, r);
    if (w) w.closed = true;
    if (r) r.closed = true;
    if (typeof cb === "function") cb(error);
    if (error) defer(emitErrorThenClose, stream, error);
    else defer(emitClose, stream);
  };
  try {
    stream._destroy(err || null, onDestroy);
  } catch (error) {
    onDestroy(error);
  }
}

function emitErrorThenClose(stream, err) {
  emitError(stream, err);
  emitClose(stream);
}

function emitClose(stream) {
  const r = stream._readableState;
  const w = stream._writableState;
  if (w) w.closeEmitted = true;
  if (r) r.closeEmitted = true;
  if (w?.emitClose || r?.emitClose) stream.emit("close");
}

/** Emits 'error' unless the stream already has. */
function emitError(stream, err) {
  const r = stream._readableState;
  const w = stream._writableState;
  if (w?.errorEmitted || r?.errorEmitted) return;
  if (w) w.errorEmitted = true;
  if (r) r.errorEmitted = true;
  stream.emit("error", err);
}

/** Makes a destroyed stream usable again (Node's _undestroy). */
function undestroy() {
  const r = this._readableState;
  const w = this._writableState;
  if (r) {
    r.constructed = true;
    r.closed = false;
    r.closeEmitted = false;
    r.destroyed = false;
    r.errored = null;
    r.errorEmitted = false;
    r.reading = false;
    r.ended = r.readable === false;
    r.endEmitted = r.readable === false;
  }
  if (w) {
    w.constructed = true;
    w.destroyed = false;
    w.closed = false;
    w.closeEmitted = false;
    w.errored = null;
    w.errorEmitted = false;
    w.finalCalled = false;
    w.prefinished = false;
    w.ended = w.writable === false;
    w.ending = w.writable === false;
    w.finished = w.writable === false;
  }
}

/** What a stream does when its own work fails: destroy itself when
 * autoDestroy is on, otherwise record the error and emit 'error'
 * (from a microtask when `sync`). */
function errorOrDestroy(stream, err, sync) {
  const r = stream._readableState;
  const w = stream._writableState;
  if (w?.destroyed || r?.destroyed) return;
  if (r?.autoDestroy || w?.autoDestroy) {
    stream.destroy(err);
  } else if (err) {
    recordError(err, w, r);
    if (sync) defer(emitError, stream, err);
    else emitError(stream, err);
  }
}

/** Runs the stream's _construct (if it has one) from a microtask, holding
 * back reads, writes and destroy until it calls back; then runs `cb`. */
function construct(stream, cb) {
  if (typeof stream._construct !== "function") return;
  const r = stream._readableState;
  const w = stream._writableState;
  if (r) r.constructed = false;
  if (w) w.constructed = false;
  stream.once(kConstruct, cb);
  // A Duplex comes here for each side; construct it once.
  if (stream.listenerCount(kConstruct) > 1) return;
  defer(runConstruct, stream);
}

function runConstruct(stream) {
  let called = false;
  const onConstruct = (err) => {
    if (called) {
      errorOrDestroy(stream, err ?? new ERR_MULTIPLE_CALLBACK());
      return;
    }
    called = true;
    const r = stream._readableState;
    const w = stream._writableState;
    if (r) r.constructed = true;
    if (w) w.constructed = true;
    if ((w || r).destroyed) stream.emit(kDestroy, err);
    else if (err) errorOrDestroy(stream, err, true);
    else defer(() => stream.emit(kConstruct));
  };
  try {
    stream._construct((err) => defer(onConstruct, err));
  } catch (err) {
    defer(onConstruct, err);
  }
}

/** Destroys any stream-like object: a node stream (with AbortError when it
 * had not finished and no `err` is given), or one with close(). */
function destroyer(stream, err) {
  if (!stream || isDestroyed(stream)) return;
  if (!err && !isFinished(stream)) err = new AbortError();
  if (typeof stream.destroy === "function") stream.destroy(err);
  else if (typeof stream.close === "function") stream.close();
  else if (err) defer(() => stream.emit("error", err));
  else defer(() => stream.emit("close"));
  if (!stream.destroyed) stream[kIsDestroyed] = true;
}

return { construct, destroy, destroyer, errorOrDestroy, undestroy };
})();
