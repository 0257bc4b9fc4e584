// A service-worker script gets its Wasm module, text and data as globals.
addEventListener("fetch", (event) => {
  const { exports } = new WebAssembly.Instance(MATH, { host: { report() {} } });
  event.respondWith(
    Response.json({
      add: exports.add(20, 22),
      greeting: GREETING,
      bytes: new Uint8Array(BYTES).length,
    }),
  );
});
