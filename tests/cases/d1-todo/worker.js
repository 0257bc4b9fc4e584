// A small todo API on D1, for apis/src/d1/tests.rs; its schema comes from the
// migrations beside this file.
//
// POST /todos {title}        GET /todos          GET /todos/:id
// PATCH /todos/:id {done}    DELETE /todos/:id   POST /batch {titles}
// GET /scenario/NAME         runs a scenario and returns what it saw

async function caught(work) {
  try {
    return { ok: await work() };
  } catch (error) {
    return { error: { name: error.name, message: error.message, cause: error.cause?.message ?? null } };
  }
}

const scenarios = {
  async bind(db) {
    const bytes = new Uint8Array([1, 2, 250]);
    await db.prepare("INSERT INTO owners (id, name) VALUES (?, ?)").bind(7, "ada").run();
    const insert = db.prepare(
      "INSERT INTO todos (title, done, owner_id, attachment) VALUES (?, ?, ?, ?)",
    );
    const bound = insert.bind("typed", true, 7, bytes);
    await bound.run();
    await insert.bind("buffer", false, null, bytes.buffer).run();
    await insert.bind("array", 0, null, [9, 8]).run();
    const row = await db.prepare("SELECT title, done, owner_id, attachment FROM todos WHERE title = ?")
      .bind("typed").first();
    const raw = await db.prepare("SELECT title, done FROM todos ORDER BY id").raw();
    const rawWithNames = await db.prepare("SELECT title FROM todos WHERE done = ?").bind(1)
      .raw({ columnNames: true });
    return {
      row,
      buffer: await db.prepare("SELECT attachment FROM todos WHERE title = 'buffer'").first("attachment"),
      array: await db.prepare("SELECT attachment FROM todos WHERE title = 'array'").first("attachment"),
      raw,
      rawWithNames,
      unboundStatementKept: insert.params.length,
      float: await db.prepare("SELECT ? * 2 AS x").bind(1.25).first("x"),
      none: await db.prepare("SELECT * FROM todos WHERE id = -1").first(),
      noneColumn: await db.prepare("SELECT * FROM todos WHERE id = -1").first("nope"),
    };
  },
  async errors(db) {
    await db.prepare("INSERT INTO todos (title) VALUES ('dup')").run();
    return {
      syntax: await caught(() => db.prepare("SELEC 1").all()),
      noTable: await caught(() => db.prepare("SELECT * FROM nope").all()),
      unique: await caught(() => db.prepare("INSERT INTO todos (title) VALUES ('dup')").run()),
      notNull: await caught(() => db.prepare("INSERT INTO todos (title) VALUES (NULL)").run()),
      foreignKey: await caught(() =>
        db.prepare("INSERT INTO todos (title, owner_id) VALUES ('orphan', 999)").run()
      ),
      bindCount: await caught(() => db.prepare("SELECT ?, ?").bind(1).all()),
      undefinedValue: await caught(() => db.prepare("SELECT ?").bind(undefined)),
      objectValue: await caught(() => db.prepare("SELECT ?").bind({ a: 1 })),
      bigintValue: await caught(() => db.prepare("SELECT ?").bind(5n)),
      missingColumn: await caught(() => db.prepare("SELECT title FROM todos").first("nope")),
      exec: await caught(() => db.exec("INSERT INTO todos (title) VALUES ('e1');\nINSERT INTO nowhere VALUES (1);")),
      empty: await caught(() => db.prepare("  ").all()),
      stillThere: (await db.prepare("SELECT count(*) AS n FROM todos WHERE title = 'e1'").first("n")),
    };
  },
  async exec(db) {
    const result = await db.exec(
      "INSERT INTO todos (title) VALUES ('x1');\nINSERT INTO todos (title) VALUES ('x2');\nUPDATE todos SET done = 1 WHERE title = 'x1'",
    );
    return { count: result.count, durationIsNumber: typeof result.duration === "number" };
  },
  async dump(db) {
    const bytes = new Uint8Array(await db.dump());
    return { header: new TextDecoder().decode(bytes.subarray(0, 15)), isBuffer: true };
  },
  // SQL that D1's SQLite build accepts beyond a default one.
  async dialect(db) {
    await db.exec("INSERT INTO todos (title) VALUES ('l1');\nINSERT INTO todos (title) VALUES ('l2');\nINSERT INTO todos (title) VALUES ('l3');\nINSERT INTO todos (title) VALUES ('l4')");
    const first = (sql) => caught(() => db.prepare(sql).first());
    const changes = async (statement) => (await statement.run()).meta.changes;
    return {
      deleteLimit: await caught(() =>
        changes(db.prepare("DELETE FROM todos WHERE title LIKE ? ORDER BY id LIMIT 1").bind("l%"))
      ),
      deleteReturningLimit: await caught(async () =>
        (await db.prepare("DELETE FROM todos WHERE title LIKE ? RETURNING title, ? AS tag ORDER BY id DESC LIMIT ?")
          .bind("l%", "gone", 1).all()).results
      ),
      updateLimit: await caught(() =>
        changes(db.prepare("UPDATE todos SET done = 1 WHERE title LIKE 'l%' ORDER BY id LIMIT 1"))
      ),
      left: (await db.prepare("SELECT title, done FROM todos WHERE title LIKE 'l%' ORDER BY id").raw()),
      json: await first("SELECT json_extract('{\"a\":[1,2]}', '$.a[1]') AS v"),
      math: await first("SELECT sqrt(16) AS root, floor(pi()) AS pi, log10(1000) AS log"),
      fts5: await caught(async () => {
        await db.exec("CREATE VIRTUAL TABLE notes USING fts5(body);\nINSERT INTO notes (body) VALUES ('the quick brown fox');\nINSERT INTO notes (body) VALUES ('lazy dogs')");
        return (await db.prepare("SELECT body FROM notes WHERE notes MATCH 'quick'").all()).results;
      }),
    };
  },
  // A statement with no end: only D1's time limit, or its client leaving,
  // stops it.
  async forever(db) {
    return db.prepare(
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) AS n FROM c",
    ).first("n");
  },
  async session(db) {
    const session = db.withSession("first-primary");
    const row = await session.prepare("SELECT 1 AS one").first();
    const bookmarked = db.withSession("0000001a-00000002");
    return { row, bookmark: session.getBookmark(), given: bookmarked.getBookmark() };
  },
};

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const db = env.DB;
    const [, resource, id, field] = url.pathname.split("/");
    if (resource === "scenario") {
      return Response.json(await scenarios[id](db));
    }
    if (resource === "batch") {
      const { titles } = await request.json();
      try {
        const results = await db.batch(
          titles.map((title) => db.prepare("INSERT INTO todos (title) VALUES (?)").bind(title)),
        );
        return Response.json({ inserted: results.map((r) => r.meta.last_row_id) });
      } catch (error) {
        return Response.json({ error: error.message, cause: error.cause?.message }, { status: 409 });
      }
    }
    if (resource !== "todos") {
      return new Response("not found", { status: 404 });
    }
    if (!id) {
      if (request.method === "POST") {
        const { title } = await request.json();
        const { meta, success } = await db.prepare("INSERT INTO todos (title) VALUES (?)").bind(title).run();
        return Response.json({ id: meta.last_row_id, success, meta }, { status: 201 });
      }
      const { results, success, meta } = await db.prepare("SELECT id, title, done FROM todos ORDER BY id").all();
      return Response.json({ results, success, rows_read: meta.rows_read });
    }
    const todoId = Number(id);
    switch (request.method) {
      case "GET": {
        if (field) {
          return Response.json(await db.prepare("SELECT * FROM todos WHERE id = ?").bind(todoId).first(field));
        }
        const todo = await db.prepare("SELECT id, title, done FROM todos WHERE id = ?").bind(todoId).first();
        return todo ? Response.json(todo) : new Response("no such todo", { status: 404 });
      }
      case "PATCH": {
        const { done } = await request.json();
        const { meta } = await db.prepare("UPDATE todos SET done = ? WHERE id = ?").bind(done, todoId).run();
        return Response.json({ changes: meta.changes, changed_db: meta.changed_db });
      }
      case "DELETE": {
        const { meta } = await db.prepare("DELETE FROM todos WHERE id = ?").bind(todoId).run();
        return Response.json({ changes: meta.changes });
      }
    }
    return new Response("method not allowed", { status: 405 });
  },
};
