// D1 from a Worker under load, for scripts/bench-d1.
//   POST /seed    creates the table and 1000 rows
//   GET  /select  reads one row by primary key
//   GET  /insert  inserts one row
let next = 0;

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    switch (pathname) {
      case "/seed": {
        await env.DB.exec(
          "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL NOT NULL)",
        );
        const insert = env.DB.prepare("INSERT OR REPLACE INTO items (id, name, price) VALUES (?, ?, ?)");
        const batch = [];
        for (let i = 1; i <= 1000; i++) {
          batch.push(insert.bind(i, `item ${i}`, i * 1.5));
        }
        await env.DB.batch(batch);
        return new Response("seeded\n");
      }
      case "/select": {
        const id = 1 + (next++ % 1000);
        const row = await env.DB.prepare("SELECT id, name, price FROM items WHERE id = ?").bind(id).first();
        return Response.json(row);
      }
      case "/insert": {
        const { meta } = await env.DB.prepare("INSERT INTO items (name, price) VALUES (?, ?)")
          .bind("new item", 9.99).run();
        return Response.json({ id: meta.last_row_id });
      }
      default:
        return new Response("not found", { status: 404 });
    }
  },
};
