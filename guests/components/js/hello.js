// The same hello handler two ways: served as a JS Worker (service-worker
// syntax) in an isolate, and compiled by componentize-js into a Wasm
// component (world `http`) with its own JS engine inside.
addEventListener("fetch", (event) => {
  event.respondWith(new Response("Hello World!", {
    headers: { "content-type": "text/plain;charset=UTF-8" },
  }));
});
