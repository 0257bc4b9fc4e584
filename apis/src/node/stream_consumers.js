// node:stream/consumers — read a whole node stream, web ReadableStream or
// async iterable into an ArrayBuffer, Blob, Buffer, string or JSON value.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("stream/consumers");
const { Buffer } = require("buffer");

async function blob(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return new Blob(chunks);
}

async function arrayBuffer(stream) {
  const result = await blob(stream);
  return result.arrayBuffer();
}

async function buffer(stream) {
  return Buffer.from(await arrayBuffer(stream));
}

async function text(stream) {
  const decoder = new TextDecoder();
  let str = "";
  for await (const chunk of stream) {
    if (typeof chunk === "string") str += chunk;
    else str += decoder.decode(chunk, { stream: true });
  }
  // What a split character left undecoded.
  str += decoder.decode(undefined, { stream: false });
  return str;
}

async function json(stream) {
  return JSON.parse(await text(stream));
}

return { arrayBuffer, blob, buffer, text, json };
})();
