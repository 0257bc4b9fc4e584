// A D1 todo list and a Durable Object counter, for hosts that share them:
// each write carries an id, so a write sent again after a failover counts
// once, and what was acknowledged can be checked against what is stored.
import { DurableObject } from "cloudflare:workers";

export class Counter extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS hits (id TEXT PRIMARY KEY)");
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS fired (at INTEGER)");
  }

  /** Sets the alarm `ms` from now. */
  async wakeIn(ms) {
    await this.ctx.storage.setAlarm(Date.now() + ms);
  }

  async alarm() {
    this.ctx.storage.sql.exec("INSERT INTO fired (at) VALUES (?)", Date.now());
  }

  /** How many times the alarm ran. */
  fired() {
    return this.ctx.storage.sql.exec("SELECT count(*) AS n FROM fired").one().n;
  }

  /** Counts hit `id` (once, however often it is sent); the count. */
  hit(id) {
    this.ctx.storage.sql.exec("INSERT OR IGNORE INTO hits (id) VALUES (?)", id);
    return this.count();
  }

  count() {
    return this.ctx.storage.sql.exec("SELECT count(*) AS n FROM hits").one().n;
  }

  async fetch(request) {
    const id = new URL(request.url).searchParams.get("id");
    return Response.json({ count: id ? this.hit(id) : this.count() });
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const [, what, name] = url.pathname.split("/");
    if (what === "todos" && request.method === "POST") {
      await env.DB.exec("CREATE TABLE IF NOT EXISTS todos (id INTEGER PRIMARY KEY, title TEXT)");
      const { id, title } = await request.json();
      const { meta } = await env.DB.prepare("INSERT OR IGNORE INTO todos (id, title) VALUES (?, ?)")
        .bind(id, title)
        .run();
      return Response.json({ changes: meta.changes });
    }
    if (what === "todos") {
      const { results } = await env.DB.prepare("SELECT id FROM todos ORDER BY id").all();
      return Response.json(results.map((row) => row.id));
    }
    if (what === "alarm") {
      const stub = env.COUNTER.get(env.COUNTER.idFromName(name));
      if (request.method === "POST") {
        await stub.wakeIn(Number(url.searchParams.get("in")));
      }
      return Response.json({ fired: await stub.fired() });
    }
    if (what === "counter") {
      const stub = env.COUNTER.get(env.COUNTER.idFromName(name));
      const id = url.searchParams.get("id");
      if (url.searchParams.has("rpc")) {
        return Response.json({ count: await (id ? stub.hit(id) : stub.count()) });
      }
      return stub.fetch(request);
    }
    return new Response("not found", { status: 404 });
  }
};
