// KV, the Cache API, Queues and R2 as several hosts see them, for
// tests/cluster.rs.
//
// PUT /kv/KEY      → stores the body under KEY
// GET /kv/KEY      → the value, or 404
// GET /kv?prefix=P → the keys listed under P, as JSON
// PUT /cache/PATH  → caches the body for PATH for an hour
// GET /cache/PATH  → the cached body, or 404
// PUT /r2/KEY      → stores the body in the bucket under KEY
// GET /r2/KEY      → the object's body, or 404
// DELETE /r2/KEY   → deletes it
// POST /jobs?from=F&n=N → sends N messages `F-0` … to the queue
// A failing binding answers 503 with the error's name and message.
//
// Each minute's cron firing leaves a key `fired/TIME/ID`, and each delivery
// of a queued message `delivered/BODY/ID`, so a test can count the hosts
// that fired or took each.

export default {
  async scheduled(controller, env) {
    await env.KV.put(`fired/${controller.scheduledTime}/${crypto.randomUUID()}`, "");
  },

  async queue(batch, env) {
    for (const message of batch.messages) {
      await env.KV.put(`delivered/${message.body}/${crypto.randomUUID()}`, "");
    }
  },

  async fetch(request, env) {
    const url = new URL(request.url);
    const [, kind, ...rest] = url.pathname.split("/");
    const name = rest.join("/");
    try {
      if (kind === "jobs") {
        const from = url.searchParams.get("from");
        const n = Number(url.searchParams.get("n"));
        await env.JOBS.sendBatch(Array.from({ length: n }, (_, i) => ({ body: `${from}-${i}` })));
        return new Response("sent");
      }
      if (kind === "r2" && request.method === "PUT") {
        const object = await env.FILES.put(name, request.body);
        return new Response(object.etag);
      }
      if (kind === "r2" && request.method === "DELETE") {
        await env.FILES.delete(name);
        return new Response("deleted");
      }
      if (kind === "r2") {
        const object = await env.FILES.get(name);
        return object === null ? new Response("absent", { status: 404 }) : new Response(object.body);
      }
      if (kind === "kv" && !name) {
        const listed = await env.KV.list({ prefix: url.searchParams.get("prefix") ?? "" });
        return Response.json(listed.keys.map((key) => key.name));
      }
      if (kind === "kv" && request.method === "PUT") {
        await env.KV.put(name, await request.text());
        return new Response("stored");
      }
      if (kind === "kv") {
        const value = await env.KV.get(name);
        return value === null ? new Response("absent", { status: 404 }) : new Response(value);
      }
      const key = `https://cache.test/${name}`;
      if (kind === "cache" && request.method === "PUT") {
        const response = new Response(await request.text(), {
          headers: { "cache-control": "max-age=3600" },
        });
        await caches.default.put(key, response);
        return new Response("cached");
      }
      if (kind === "cache") {
        const cached = await caches.default.match(key);
        return cached ?? new Response("absent", { status: 404 });
      }
      return new Response("still serving");
    } catch (error) {
      return new Response(`${error.name}: ${error.message}`, { status: 503 });
    }
  },
};
