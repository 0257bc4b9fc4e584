// A JS handler compiled by componentize-js (world `http-kv`): a path
// ending in `/kv/<name>` adds one to the counter `<name>` in the bucket
// `COUNTS` through wasi:keyvalue and answers the sum; any other path is
// greeted.
import { open } from "wasi:keyvalue/store@0.2.0-draft2";
import { increment } from "wasi:keyvalue/atomics@0.2.0-draft2";

addEventListener("fetch", (event) => {
  const { pathname } = new URL(event.request.url);
  const [, name] = pathname.split("/kv/");
  const text = name
    ? String(increment(open("COUNTS"), name, 1n))
    : `Hello from JS at ${pathname}`;
  event.respondWith(new Response(text, {
    headers: { "content-type": "text/plain;charset=UTF-8" },
  }));
});
