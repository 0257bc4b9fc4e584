// node:stream/promises — pipeline() and finished() returning promises.
// pipeline takes an options object last: { signal, end }.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("stream/promises");
const { validateBoolean } = require("internal/errors");
const { pipelineImpl } = require("internal/stream_pipeline");
const { eos } = require("internal/stream_eos");
const { isIterable, isNodeStream, isWebStream } = require("internal/stream_utils");

function pipeline(...streams) {
  return new Promise((resolve, reject) => {
    let signal;
    let end;
    const last = streams[streams.length - 1];
    if (last && typeof last === "object" && !isNodeStream(last) && !isIterable(last) && !isWebStream(last)) {
      const options = streams.pop();
      signal = options.signal;
      end = options.end;
    }
    pipelineImpl(streams, (err, value) => {
      if (err) reject(err);
      else resolve(value);
    }, { signal, end });
  });
}

function finished(stream, opts) {
  let autoCleanup = false;
  if (opts?.cleanup) {
    validateBoolean(opts.cleanup, "cleanup");
    autoCleanup = opts.cleanup;
  }
  return new Promise((resolve, reject) => {
    const cleanup = eos(stream, opts, (err) => {
      if (autoCleanup) cleanup();
      if (err) reject(err);
      else resolve();
    });
  });
}

// workerd's module names itself `promises` too.
const exports = { finished, pipeline };
exports.promises = exports;
return exports;
})();
