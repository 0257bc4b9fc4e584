// Service-worker syntax: a `fetch` listener, and bindings as globals.
addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  event.respondWith(
    new Response(`${GREETING} from a service worker at ${url.pathname}\n`),
  );
});
