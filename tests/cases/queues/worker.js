// Produces and consumes queue messages, for apis/src/queues/tests.rs.
//
// POST /send?tag=T&mode=M          → sends {tag, mode} to the "jobs" queue
// POST /batch?tags=A,B&modes=M,N  → sends them in one sendBatch
// GET  /scenario/NAME              → runs a scenario, returns what it saw
// GET  /seen                       → every delivery the consumer recorded
//
// The consumer records each delivery in KV under
// `seen/<queue>/<tag>/<attempts>`, then does what the message's mode says:
// "ack" (nothing: the batch succeeds), "retry" (message.retry()),
// "explicit-ack" (message.ack()), or "throw" (the handler throws after
// handling every message).

async function caught(work) {
  try {
    return { ok: await work() };
  } catch (error) {
    return { error: { name: error.name, message: error.message } };
  }
}

function describeBody(body) {
  if (body instanceof Uint8Array) return { kind: "Uint8Array", bytes: [...body] };
  if (body instanceof Map) return { kind: "Map", entries: [...body] };
  return { kind: typeof body, value: body };
}

const scenarios = {
  async types(env) {
    await env.JOBS.send({ tag: "json", mode: "ack" });
    await env.JOBS.send("plain text", { contentType: "text" });
    await env.JOBS.send(new Uint8Array([1, 2, 3]), { contentType: "bytes" });
    await env.JOBS.send(new Map([["tag", "v8"]]), { contentType: "v8" });
    return { sent: 4 };
  },

  async errors(env) {
    return {
      tooLarge: await caught(() => env.JOBS.send("x".repeat(128_001), { contentType: "text" })),
      tooMany: await caught(() =>
        env.JOBS.sendBatch(Array.from({ length: 101 }, () => ({ body: "x", contentType: "text" }))),
      ),
      batchTooLarge: await caught(() =>
        env.JOBS.sendBatch(
          Array.from({ length: 3 }, () => ({ body: "x".repeat(100_000), contentType: "text" })),
        ),
      ),
      undefinedBody: await caught(() => env.JOBS.send(undefined)),
      emptyBatch: await caught(() => env.JOBS.sendBatch([])),
      badType: await caught(() => env.JOBS.send("x", { contentType: "xml" })),
      textNotString: await caught(() => env.JOBS.send(42, { contentType: "text" })),
      bytesNotView: await caught(() => env.JOBS.send("x", { contentType: "bytes" })),
      badDelay: await caught(() => env.JOBS.send("x", { delaySeconds: 100_000 })),
      metrics: await caught(async () => {
        const sent = await env.JOBS.send({ tag: "metrics", mode: "ack" });
        const m = sent.metadata.metrics;
        return {
          count: typeof m.backlogCount,
          bytes: typeof m.backlogBytes,
          oldest: m.oldestMessageTimestamp instanceof Date,
          direct: typeof (await env.JOBS.metrics()).backlogCount,
        };
      }),
    };
  },

  async delays(env) {
    await env.JOBS.send({ tag: "delay-1", mode: "ack" }, { delaySeconds: 1 });
    await env.LATER.send({ tag: "delay-2", mode: "ack" });
    await env.JOBS.sendBatch([{ body: { tag: "delay-batch", mode: "ack" } }], { delaySeconds: 1 });
    return { sent: 3 };
  },
};

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/scenario/")) {
      const scenario = scenarios[url.pathname.slice("/scenario/".length)];
      return Response.json(await scenario(env));
    }
    const mode = url.searchParams.get("mode") ?? "ack";
    if (url.pathname === "/send") {
      await env.JOBS.send({ tag: url.searchParams.get("tag"), mode });
      return new Response("sent");
    }
    if (url.pathname === "/batch") {
      const tags = url.searchParams.get("tags").split(",");
      const modes = (url.searchParams.get("modes") ?? "").split(",");
      await env.JOBS.sendBatch(tags.map((tag, i) => ({ body: { tag, mode: modes[i] || mode } })));
      return new Response("sent");
    }
    if (url.pathname === "/seen") {
      const seen = {};
      let cursor;
      do {
        const page = await env.SEEN.list({ prefix: "seen/", cursor });
        for (const key of page.keys) seen[key.name] = key.metadata;
        cursor = page.list_complete ? undefined : page.cursor;
      } while (cursor);
      return Response.json(seen);
    }
    return new Response("not found", { status: 404 });
  },

  async queue(batch, env) {
    let fail = false;
    for (const message of batch.messages) {
      const body = message.body;
      const tag = body?.tag ?? (body instanceof Map ? body.get("tag") : null) ??
        (typeof body === "string" ? "text" : "bytes");
      await env.SEEN.put(`seen/${batch.queue}/${tag}/${message.attempts}`, "", {
        metadata: {
          batchSize: batch.messages.length,
          attempts: message.attempts,
          idType: typeof message.id,
          delayMs: Date.now() - message.timestamp.getTime(),
          body: describeBody(body),
        },
      });
      switch (body?.mode) {
        case "retry":
          message.retry();
          break;
        case "explicit-ack":
          message.ack();
          break;
        case "throw":
          fail = true;
          break;
      }
    }
    if (fail) throw new Error("the batch failed on purpose");
  },
};
