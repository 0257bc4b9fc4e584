// KV from a Worker under load, for scripts/bench-kv.
//   POST /seed  writes the hot key (1 KiB) and 1000 keys to list
//   GET  /get   reads the hot key
//   GET  /put   writes a 1 KiB value to one of 100 hot keys
//   GET  /list  lists 1000 keys
//   GET  /read?key=K         the value under K, or 404
//   GET  /write?key=K&value=V  stores V under K
const value = "x".repeat(1024);
let writes = 0;

export default {
  async fetch(request, env) {
    const { pathname, searchParams } = new URL(request.url);
    switch (pathname) {
      case "/read": {
        const got = await env.KV.get(searchParams.get("key"));
        return new Response(got ?? "absent", { status: got === null ? 404 : 200 });
      }
      case "/write":
        await env.KV.put(searchParams.get("key"), searchParams.get("value"));
        return new Response("ok");
      case "/seed": {
        await env.KV.put("hot", value);
        for (let i = 0; i < 1000; i++) {
          await env.KV.put(`list/${String(i).padStart(4, "0")}`, "v");
        }
        return new Response("seeded\n");
      }
      case "/get": {
        const got = await env.KV.get("hot");
        return new Response(got.length === 1024 ? "ok" : "wrong", { status: got.length === 1024 ? 200 : 500 });
      }
      case "/put":
        await env.KV.put(`hot-${writes++ % 100}`, value);
        return new Response("ok");
      case "/list": {
        const { keys } = await env.KV.list({ prefix: "list/" });
        return new Response(String(keys.length), { status: keys.length === 1000 ? 200 : 500 });
      }
      default:
        return new Response("not found", { status: 404 });
    }
  },
};
