// The victim: keeps a secret in KV, D1 and its cache, and reports them.
export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname === "/victim/seed") {
      await env.KV.put("secret", "victim-kv-secret");
      await env.DB.exec("CREATE TABLE IF NOT EXISTS secrets (value TEXT)");
      await env.DB.prepare("INSERT INTO secrets VALUES (?)").bind("victim-d1-secret").run();
      await caches.default.put(
        "https://victim.example/page",
        new Response("victim-page", { headers: { "cache-control": "max-age=600" } }),
      );
      return new Response("seeded");
    }
    const cached = await caches.default.match("https://victim.example/page");
    const { results } = await env.DB.prepare("SELECT value FROM secrets").all();
    return Response.json({
      kv: await env.KV.get("secret"),
      d1: results.map((row) => row.value),
      cache: cached ? await cached.text() : null,
    });
  },
};
