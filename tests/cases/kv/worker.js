// Drives env.KV the way Workers code does, for apis/src/kv/tests.rs.
//
// GET  /get?key=K            → {value, metadata} or 404
// POST /put?key=K&meta=JSON  → stores the body (and metadata)
// GET  /scenario/NAME        → runs a scenario, returns what it saw as JSON

async function caught(work) {
  try {
    return { ok: await work() };
  } catch (error) {
    return { error: { name: error.name, message: error.message } };
  }
}

const scenarios = {
  async types(env) {
    await env.KV.put("text", "héllo");
    await env.KV.put("json", JSON.stringify({ a: [1, 2] }));
    await env.KV.put("bytes", new Uint8Array([1, 2, 3]).buffer);
    await env.KV.put("view", new Uint8Array([9, 8, 7, 6]).subarray(1, 3));
    await env.KV.put("stream", new Blob(["from a ", "stream"]).stream());
    await env.KV.put("number", 42);
    const buffer = await env.KV.get("bytes", "arrayBuffer");
    const stream = await env.KV.get("stream", { type: "stream" });
    return {
      text: await env.KV.get("text"),
      textExplicit: await env.KV.get("text", { type: "text", cacheTtl: 60 }),
      json: await env.KV.get("json", "json"),
      bytes: [...new Uint8Array(buffer)],
      bytesIsArrayBuffer: buffer instanceof ArrayBuffer,
      view: [...new Uint8Array(await env.KV.get("view", "arrayBuffer"))],
      stream: await new Response(stream).text(),
      number: await env.KV.get("number"),
      missing: await env.KV.get("missing"),
      missingBadType: await env.KV.get("missing", "banana"),
      otherNamespace: await env.OTHER.get("text"),
    };
  },
  async metadata(env) {
    await env.KV.put("with", "v", { metadata: { owner: "ada", n: 1 } });
    await env.KV.put("without", "w");
    const withMeta = await env.KV.getWithMetadata("with");
    const withoutMeta = await env.KV.getWithMetadata("without", "text");
    const missing = await env.KV.getWithMetadata("nope");
    return { withMeta, withoutMeta, missing };
  },
  async expiration(env) {
    const now = Math.floor(Date.now() / 1000);
    await env.KV.put("ttl", "t", { expirationTtl: 300 });
    await env.KV.put("abs", "a", { expiration: now + 600 });
    await env.KV.put("both", "b", { expiration: now + 100000, expirationTtl: 120 });
    const { keys } = await env.KV.list({ prefix: "" });
    const byName = Object.fromEntries(keys.map((k) => [k.name, k.expiration]));
    return {
      ttl: byName.ttl - now,
      abs: byName.abs - now,
      both: byName.both - now,
      ttlValue: await env.KV.get("ttl"),
    };
  },
  async list(env) {
    for (const name of ["b/2", "a/1", "a/3", "a/2", "c"]) {
      await env.KV.put(name, name, name === "a/2" ? { metadata: { x: true } } : {});
    }
    const all = await env.KV.list();
    const first = await env.KV.list({ prefix: "a/", limit: 2 });
    const second = await env.KV.list({ prefix: "a/", limit: 2, cursor: first.cursor });
    return { all, first, second };
  },
  async bulk(env) {
    await env.KV.put("k1", JSON.stringify({ one: 1 }), { metadata: { m: 1 } });
    await env.KV.put("k2", JSON.stringify("two"));
    const text = await env.KV.get(["k1", "k2", "gone"]);
    const json = await env.KV.get(["k1", "k2"], "json");
    const withMeta = await env.KV.getWithMetadata(["k1", "gone"], "json");
    return {
      isMap: text instanceof Map,
      text: Object.fromEntries(text),
      json: Object.fromEntries(json),
      withMeta: Object.fromEntries(withMeta),
    };
  },
  async deletion(env) {
    await env.KV.put("doomed", "x");
    const before = await env.KV.get("doomed");
    const result = await env.KV.delete("doomed");
    const again = await env.KV.delete("never-there");
    return { before, after: await env.KV.get("doomed"), result: result ?? null, again: again ?? null };
  },
  async errors(env) {
    const now = Math.floor(Date.now() / 1000);
    return {
      emptyKey: await caught(() => env.KV.get("")),
      dotKey: await caught(() => env.KV.put(".", "v")),
      dotDotKey: await caught(() => env.KV.delete("..")),
      longKey: await caught(() => env.KV.get("k".repeat(513))),
      maxKey: await caught(() => env.KV.put("k".repeat(512), "fits")),
      bigValue: await caught(() => env.KV.put("big", new Uint8Array(25 * 1024 * 1024 + 1))),
      bigMetadata: await caught(() => env.KV.put("m", "v", { metadata: { pad: "x".repeat(1100) } })),
      shortTtl: await caught(() => env.KV.put("t", "v", { expirationTtl: 30 })),
      zeroTtl: await caught(() => env.KV.put("t", "v", { expirationTtl: 0 })),
      pastExpiration: await caught(() => env.KV.put("t", "v", { expiration: 1000 })),
      soonExpiration: await caught(() => env.KV.put("t", "v", { expiration: now + 10 })),
      shortCacheTtl: await caught(() => env.KV.get("t", { cacheTtl: 10 })),
      bigListLimit: await caught(() => env.KV.list({ limit: 1001 })),
      badValue: await caught(() => env.KV.put("obj", { an: "object" })),
      badType: await caught(async () => {
        await env.KV.put("exists", "v");
        return env.KV.get("exists", "banana");
      }),
      bulkTooMany: await caught(() => env.KV.get(Array.from({ length: 101 }, (_, i) => `k${i}`))),
      bulkBadType: await caught(() => env.KV.get(["a"], "arrayBuffer")),
      bulkNotJson: await caught(async () => {
        await env.KV.put("plain", "not json");
        return env.KV.get(["plain"], "json");
      }),
    };
  },
};

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const key = url.searchParams.get("key");
    if (url.pathname === "/get") {
      const { value, metadata } = await env.KV.getWithMetadata(key);
      if (value === null) {
        return new Response("not found", { status: 404 });
      }
      return Response.json({ value, metadata });
    }
    if (url.pathname === "/put") {
      const meta = url.searchParams.get("meta");
      await env.KV.put(key, await request.text(), meta ? { metadata: JSON.parse(meta) } : {});
      return new Response("stored");
    }
    const name = url.pathname.replace("/scenario/", "");
    return Response.json(await scenarios[name](env));
  },
};
