// The attacker: tries each way out of its own bindings, answering what
// each attempt gave (`ok: true` and what it got, or the error it threw).
async function attempt(work) {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error: String(error.message ?? error) };
  }
}

const attacks = {
  // The cache is keyed by Worker: this must not reach the victim's.
  async "cache-poison"() {
    await caches.default.put(
      "https://victim.example/page",
      new Response("poisoned", { headers: { "cache-control": "max-age=600" } }),
    );
    const own = await caches.default.match("https://victim.example/page");
    return own ? await own.text() : null;
  },
  async "cache-read"() {
    const cached = await caches.default.match("https://victim.example/page");
    return cached ? await cached.text() : null;
  },
  "d1-attach": (env, path) => env.DB.exec(`ATTACH DATABASE '${path}' AS victim`),
  "d1-attach-new": (env, path) => env.DB.exec(`ATTACH DATABASE '${path}' AS fresh`),
  "d1-vacuum-into": (env, path) => env.DB.exec(`VACUUM INTO '${path}'`),
  "d1-database-list": (env) => env.DB.prepare("PRAGMA database_list").all(),
  "d1-load-extension": (env) => env.DB.prepare("SELECT load_extension('/tmp/x.so')").all(),
  // 3M rows of 1 KB: more than a result may hold.
  "d1-huge": (env) =>
    env.DB.prepare(
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 3000000) " +
        "SELECT randomblob(1000) FROM c",
    ).all(),
  async "d1-own"(env) {
    await env.DB.exec("CREATE TABLE IF NOT EXISTS t (v TEXT)");
    await env.DB.prepare("INSERT INTO t VALUES ('mine')").run();
    return (await env.DB.prepare("SELECT v FROM t").first()).v;
  },
  "status-101": () => "unreachable",
  // Subrequests to the host's own network.
  async fetch(env, url) {
    const response = await fetch(url);
    return response.status;
  },
  async websocket(env, url) {
    const response = await fetch(url, { headers: { Upgrade: "websocket" } });
    return response.status;
  },
};

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const name = url.pathname.replace("/attacker/", "");
    if (name === "status-101") {
      return new Response(null, { status: 101 });
    }
    const attack = attacks[name];
    if (attack === undefined) {
      return new Response("no such attack", { status: 404 });
    }
    return Response.json(await attempt(() => attack(env, url.searchParams.get("path"))));
  },
};
