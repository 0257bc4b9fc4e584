// A Durable Object per name: a counter in the key-value API, a log in SQL,
// reached by fetch() and by RPC.
import { DurableObject } from "cloudflare:workers";

/** Objects made in this isolate: a second one for a name means the first was evicted. */
let constructions = 0;

export class Counter extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    constructions++;
    this.constructed = (this.constructed ?? 0) + 1;
    ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS log (n INTEGER, note TEXT)");
    });
  }

  async increment(by = 1) {
    const value = ((await this.ctx.storage.get("count")) ?? 0) + by;
    await this.ctx.storage.put("count", value);
    this.ctx.storage.sql.exec("INSERT INTO log (n, note) VALUES (?, ?)", value, `+${by}`);
    return value;
  }

  constructions() {
    return constructions;
  }

  async state() {
    const cursor = this.ctx.storage.sql.exec("SELECT count(*) AS entries, max(n) AS top FROM log");
    return {
      count: (await this.ctx.storage.get("count")) ?? 0,
      log: cursor.one(),
      columns: cursor.columnNames,
      id: this.ctx.id.toString(),
      name: this.ctx.id.name ?? null,
    };
  }

  async kv() {
    const storage = this.ctx.storage;
    await storage.put({ "a:1": 1, "a:2": { two: [2] }, "b:1": "b" });
    const many = await storage.get(["a:2", "a:1", "zz"]);
    const listed = await storage.list({ prefix: "a:" });
    const reversed = await storage.list({ reverse: true, limit: 2 });
    const deleted = await storage.delete(["a:1", "nope"]);
    let rolledBack;
    try {
      await storage.transaction(async (txn) => {
        await txn.put("b:1", "changed");
        throw new Error("undo");
      });
    } catch (error) {
      rolledBack = error.message;
    }
    await storage.transaction(async (txn) => {
      await txn.put("c:1", "committed");
    });
    let syncRolledBack;
    try {
      storage.transactionSync(() => {
        storage.put("c:1", "not kept");
        throw new Error("undo sync");
      });
    } catch (error) {
      syncRolledBack = error.message;
    }
    storage.transactionSync(() => storage.put("d:1", "kept"));
    storage.sql.exec("CREATE TABLE IF NOT EXISTS notes (n)");
    try {
      storage.transactionSync(() => {
        storage.sql.exec("INSERT INTO notes VALUES (1)");
        storage.put("e:1", "not kept");
        throw new Error("undo sql");
      });
    } catch {}
    storage.transactionSync(() => storage.sql.exec("INSERT INTO notes VALUES (2)"));
    // An asynchronous transaction holds SQL too, across awaits.
    try {
      await storage.transaction(async (txn) => {
        storage.sql.exec("INSERT INTO notes VALUES (3)");
        await txn.put("f:1", "not kept");
        await new Promise((resolve) => setTimeout(resolve, 1));
        throw new Error("undo async sql");
      });
    } catch {}
    await storage.transaction(async (txn) => {
      storage.sql.exec("INSERT INTO notes VALUES (4)");
      txn.rollback();
    });
    await storage.transaction(async () => storage.sql.exec("INSERT INTO notes VALUES (5)"));
    let hidden;
    try {
      storage.sql.exec("SELECT * FROM _cf_KV").toArray();
    } catch (error) {
      hidden = error.message;
    }
    return {
      notes: storage.sql.exec("SELECT n FROM notes").toArray().map((row) => row.n),
      e: (await storage.get("e:1")) ?? null,
      f: (await storage.get("f:1")) ?? null,
      hidden,
      many: [...many],
      listed: [...listed.keys()],
      reversed: [...reversed.keys()],
      deleted,
      rolledBack,
      syncRolledBack,
      b: await storage.get("b:1"),
      c: await storage.get("c:1"),
      d: await storage.get("d:1"),
    };
  }

  /** Edge cases, each answered as workerd answers it. */
  async edges() {
    const storage = this.ctx.storage;
    const attempt = async (f) => {
      try {
        return { ok: (await f()) ?? null };
      } catch (error) {
        return { error: `${error.name}: ${error.message}` };
      }
    };
    return {
      numberKey: await attempt(async () => {
        await storage.put(5, "five");
        return storage.get("5");
      }),
      undefinedValue: await attempt(() => storage.put("k", undefined)),
      noKey: await attempt(() => storage.put()),
      limitZero: await attempt(() => storage.list({ limit: 0 })),
      func: await attempt(() => storage.put("f", { nested: () => 1 })),
      begin: await attempt(() => storage.sql.exec("BEGIN")),
      bool: await attempt(() => storage.sql.exec("SELECT ? AS v", true).one().v),
      big: await attempt(() => storage.sql.exec("SELECT 9007199254740993 AS v").one().v),
      tooManyTags: await attempt(() => {
        const [, server] = Object.values(new WebSocketPair());
        this.ctx.acceptWebSocket(server, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]);
      }),
      unknownTags: await attempt(() => this.ctx.getTags(Object.values(new WebSocketPair())[1])),
    };
  }

  /** A failed blockConcurrencyWhile() resets the object, whatever catches it. */
  async breakIt() {
    try {
      await this.ctx.blockConcurrencyWhile(async () => {
        throw new Error("blocked and broken");
      });
    } catch {}
    return "survived";
  }

  /** abort() drops the writes the object has not committed. */
  async abortAfterPut() {
    await this.ctx.storage.put("aborted", true);
    this.ctx.abort("gone");
  }

  async aborted() {
    return (await this.ctx.storage.get("aborted")) ?? null;
  }

  async setAlarmWithoutHandler() {
    await this.ctx.storage.setAlarm(Date.now() + 1000);
  }

  fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === "/throw") {
      throw new RangeError("object fetch broke");
    }
    return new Response(`object ${this.ctx.id.name} got ${path}`);
  }
}

/** Records each run of its alarm; the first `failures` runs throw. */
export class Alarmed extends DurableObject {
  async schedule(inMs, failures) {
    await this.ctx.storage.put("failures", failures);
    await this.ctx.storage.setAlarm(Date.now() + inMs);
    return (await this.ctx.storage.getAlarm()) !== null;
  }

  async alarm(info) {
    const runs = (await this.ctx.storage.get("runs")) ?? [];
    runs.push(info);
    await this.ctx.storage.put("runs", runs);
    if (runs.length <= ((await this.ctx.storage.get("failures")) ?? 0)) {
      throw new Error(`failing run ${runs.length}`);
    }
  }

  async runs() {
    return {
      runs: (await this.ctx.storage.get("runs")) ?? [],
      pending: (await this.ctx.storage.getAlarm()) !== null,
    };
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const name = url.searchParams.get("name") ?? "default";
    const stub = env.COUNTER.getByName(name);
    switch (url.pathname) {
      case "/alarm/schedule": {
        const alarmed = env.ALARMS.getByName(name);
        const inMs = Number(url.searchParams.get("in") ?? 0);
        const failures = Number(url.searchParams.get("failures") ?? 0);
        return Response.json({ pending: await alarmed.schedule(inMs, failures) });
      }
      case "/alarm/runs":
        return Response.json(await env.ALARMS.getByName(name).runs());
      case "/alarm/refused":
        try {
          await stub.setAlarmWithoutHandler();
          return Response.json({ refused: false });
        } catch (error) {
          return Response.json({ refused: error.message });
        }
      case "/reset":
        return Response.json({
          broken: await stub.breakIt().then(
            (value) => value,
            (error) => `${error.name}: ${error.message}`,
          ),
          // A broken object's stub stays broken on workerd: each call
          // takes a new one, as Cloudflare advises after an exception.
          aborted: await env.COUNTER.getByName(name).abortAfterPut().then(
            (value) => value,
            (error) => `${error.name}: ${error.message}`,
          ),
          kept: await env.COUNTER.getByName(name).aborted(),
        });
      case "/constructions":
        return Response.json({ constructions: await stub.constructions() });
      case "/increment":
        return Response.json({ value: await stub.increment() });
      case "/state":
        return Response.json(await stub.state());
      case "/kv":
        return Response.json(await stub.kv());
      case "/edges":
        return Response.json({
          ...(await stub.edges()),
          idJson: JSON.stringify(env.COUNTER.idFromName("n")),
          fetchThrows: await stub.fetch("https://object/throw").then(
            (response) => response.status,
            (error) => `${error.name}: ${error.message} (remote ${error.remote})`,
          ),
          stubKeys: Object.keys(stub),
        });
      case "/fetch":
        return stub.fetch("https://object/hello");
      case "/ids": {
        const id = env.COUNTER.idFromName("a");
        const parsed = env.COUNTER.idFromString(id.toString());
        const errors = [];
        for (const bad of ["zz", "0".repeat(64)]) {
          try {
            env.COUNTER.idFromString(bad);
          } catch (error) {
            errors.push(`${error.name}: ${error.message}`);
          }
        }
        return Response.json({
          id: id.toString(),
          equal: id.equals(parsed),
          name: id.name,
          parsedName: parsed.name ?? null,
          unique: env.COUNTER.newUniqueId().toString().length,
          errors,
        });
      }
    }
    return new Response("no route", { status: 404 });
  },
};
