// The JS side of the Spin app `guests/spin/todo`: its `default` key-value
// store and SQLite database are this Worker's KV namespace and D1 database
// of id "default".
// GET /js/kv/<key> reads a key; PUT writes it; GET /js/items lists the
// todo items the Spin app added.
export default {
  async fetch(request, env) {
    const [, , what, key] = new URL(request.url).pathname.split("/");
    if (what === "kv" && request.method === "PUT") {
      await env.STORE.put(key, await request.text());
      return new Response("stored");
    }
    if (what === "kv") {
      const value = await env.STORE.get(key);
      return new Response(value, { status: value === null ? 404 : 200 });
    }
    if (what === "items") {
      const { results } = await env.DB.prepare("SELECT title FROM items ORDER BY id").all();
      return Response.json(results.map((row) => row.title));
    }
    return new Response("not found", { status: 404 });
  },
};
