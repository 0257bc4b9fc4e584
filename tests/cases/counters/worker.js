// /js/kv/<name>: GET reads the counter, PUT sets it to the body.
// /js/d1/<name>: POST records a visit and answers how many there are.
export default {
  async fetch(request, env) {
    const [, , store, name] = new URL(request.url).pathname.split("/");
    if (store === "kv" && request.method === "PUT") {
      await env.COUNTS.put(name, await request.text());
      return new Response("stored");
    }
    if (store === "kv") {
      return new Response(await env.COUNTS.get(name));
    }
    if (store === "d1" && request.method === "POST") {
      await env.DB.prepare("INSERT INTO visits (name) VALUES (?)").bind(name).run();
    }
    if (store === "d1") {
      const n = await env.DB.prepare("SELECT COUNT(*) AS n FROM visits WHERE name = ?")
        .bind(name)
        .first("n");
      return new Response(String(n));
    }
    return new Response("not found", { status: 404 });
  },
};
