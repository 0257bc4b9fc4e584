// Reading a Readable with `for await`: the chunks as they can be read,
// the stream's end or error, and the stream destroyed when the loop leaves
// early (unless `destroyOnReturn: false`). Internal: Readable's iterator
// (internal_stream_readable.js) reaches it with
// require("internal/stream_iterate").
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("internal/stream_iterate");
const destroyImpl = require("internal/stream_destroy");
const { eos } = require("internal/stream_eos");
const { aggregateTwoErrors, nop } = require("internal/stream_utils");

async function* readChunks(stream, options) {
  let wake = nop;
  // 'readable' (this === stream) wakes a waiting loop; otherwise it is the wait.
  function next(resolve) {
    if (this === stream) {
      wake();
      wake = nop;
    } else {
      wake = resolve;
    }
  }
  stream.on("readable", next);
  // undefined: still going; null: ended; an error: failed.
  let error;
  const cleanup = eos(stream, { writable: false }, (err) => {
    error = err ? aggregateTwoErrors(error, err) : null;
    wake();
    wake = nop;
  });
  try {
    while (true) {
      const chunk = stream.destroyed ? null : stream.read();
      if (chunk !== null) yield chunk;
      else if (error) throw error;
      else if (error === null) return;
      else await new Promise(next);
    }
  } catch (err) {
    error = aggregateTwoErrors(error, err);
    throw error;
  } finally {
    // Leaving early (break, return, throw) destroys the stream unless told not to.
    if ((error || options?.destroyOnReturn !== false) && (error === undefined || stream._readableState.autoDestroy)) {
      destroyImpl.destroyer(stream, null);
    } else {
      stream.off("readable", next);
      cleanup();
    }
  }
}

return { readChunks };
})();
