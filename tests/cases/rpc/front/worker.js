// The calling Worker: RPC and fetch() over the same service bindings.
import { env as moduleEnv, RpcTarget } from "cloudflare:workers";

/** Sent to `back` by reference: its calls come back here. */
class Greeter extends RpcTarget {
  greet(who) {
    return `hi ${who}`;
  }

  get name() {
    return "greeter";
  }
}

const routes = {
  async "/add"(env) {
    return { sum: await env.BACK.add(2, 3) };
  },
  async "/echo"(env) {
    const sent = {
      date: new Date(0),
      map: new Map([["a", 1]]),
      set: new Set([1, 2]),
      bytes: new Uint8Array([1, 2, 3]),
      big: 10n,
      nested: [1, { nothing: null, missing: undefined }],
      error: new TypeError("carried"),
    };
    const back = await env.BACK.echo(sent);
    return {
      date: back.date instanceof Date && back.date.getTime(),
      map: back.map instanceof Map && [...back.map],
      set: back.set instanceof Set && [...back.set],
      bytes: back.bytes instanceof Uint8Array && [...back.bytes],
      big: typeof back.big === "bigint" && String(back.big),
      nested: back.nested[1],
      missingKept: "missing" in back.nested[1],
      error: back.error instanceof Error && `${back.error.name}: ${back.error.message}`,
    };
  },
  async "/loopback"(env) {
    return await env.BACK.loopback();
  },
  async "/greet"(env) {
    return { greeting: await env.BACK.greet("ada") };
  },
  async "/error"(env) {
    try {
      await env.BACK.fail();
      return { thrown: false };
    } catch (error) {
      return { name: error.name, message: error.message, isError: error instanceof Error };
    }
  },
  async "/missing-method"(env) {
    try {
      await env.BACK.nope(1);
      return { thrown: false };
    } catch (error) {
      return { name: error.name, message: error.message };
    }
  },
  async "/not-cloneable"(env) {
    try {
      await env.BACK.notCloneable();
      return { thrown: false };
    } catch (error) {
      return { name: error.name, message: error.message };
    }
  },
  async "/named"(env) {
    const fetched = await env.ADMIN.fetch("https://back.internal/page");
    return { whoami: await env.ADMIN.whoami(), fetched: await fetched.text() };
  },
  async "/fetch"(env) {
    const response = await env.BACK.fetch("https://back.internal/dynamic");
    const page = await env.BACK.fetch("https://back.internal/");
    return { text: await response.text(), page: await page.text(), thenable: typeof env.BACK.then };
  },
  async "/recurse"(env) {
    return await env.BACK.recurse(0);
  },
  async "/ghost"(env) {
    let fetched;
    try {
      await env.GHOST.fetch("https://back.internal/");
    } catch (error) {
      fetched = { name: error.name, message: error.message, remote: error.remote };
    }
    try {
      await env.GHOST.whoami();
      return { thrown: false };
    } catch (error) {
      return { fetched, name: error.name, message: error.message };
    }
  },
  async "/stream-both-ways"(env) {
    // The response's first chunk must arrive while the request body is
    // still open: a body read whole before the call would never finish.
    const { readable, writable } = new TransformStream();
    const writer = writable.getWriter();
    const encoder = new TextEncoder();
    const responding = env.BACK.fetch("https://back.internal/echo", { method: "POST", body: readable });
    await writer.write(encoder.encode("first "));
    const reader = (await responding).body.getReader();
    const timeout = new Promise((resolve) => setTimeout(() => resolve({ done: true, timedOut: true }), 2000));
    const first = await Promise.race([reader.read(), timeout]);
    if (first.timedOut) {
      return { streamed: false };
    }
    await writer.write(encoder.encode("second"));
    await writer.close();
    let text = new TextDecoder().decode(first.value);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    return { streamed: true, text };
  },
  async "/refused"(env) {
    // Names workerd keeps from RPC: reserved ones, what Object has, own
    // properties of a class (`env`, `ctx`, fields), and non-functions.
    const attempts = {
      constructor: () => env.BACK.constructor(),
      reserved: () => env.BACK.nested.dup(),
      tag: () => String(env.BACK),
      env: () => env.BACK.env,
      ctx: () => env.BACK.ctx(),
      toString: () => env.BACK.toString(),
      field: () => env.BACK.ownData,
      notFunction: () => env.BACK.nested(),
      nestedNotFunction: () => env.BACK.nested.inner.value(),
      counterField: async () => (await env.BACK.counter(0)).secret,
      counterPrivate: async () => (await env.BACK.counter(0))["#count"],
    };
    const out = {};
    for (const [name, attempt] of Object.entries(attempts)) {
      try {
        out[name] = { value: await attempt() };
      } catch (error) {
        out[name] = `${error.name}: ${error.message}`;
      }
    }
    return out;
  },
  async "/targets"(env) {
    // An RpcTarget comes back as a stub: its methods and getters run in
    // `back`, on the one object.
    using counter = await env.BACK.counter(10);
    const first = await counter.increment();
    const second = await counter.increment(5);
    return { first, second, value: await counter.value, type: typeof counter };
  },
  async "/disposed"(env) {
    const before = await env.BACK.disposals();
    {
      using counter = await env.BACK.counter(1);
      await counter.increment();
    }
    const counter = await env.BACK.counter(1);
    counter[Symbol.dispose]();
    let after;
    try {
      await counter.increment();
    } catch (error) {
      after = error.message;
    }
    // The release reaches `back` after the dispose: ask until it has.
    let disposed = 0;
    for (let i = 0; i < 50 && disposed < 2; i++) {
      disposed = (await env.BACK.disposals()) - before;
    }
    return { disposed, after };
  },
  async "/pipelined"(env) {
    // The middle results are never awaited here.
    const counter = env.BACK.counter(100);
    const incremented = await counter.increment(2);
    return {
      incremented,
      value: await counter.value,
      nested: await env.BACK.nested.inner.value,
      list: await env.BACK.nested.list,
      viaTools: await env.BACK.tools().add(20, 22),
    };
  },
  async "/callbacks"(env) {
    const calls = [];
    const callback = (value) => {
      calls.push(value);
      return `called with ${value}`;
    };
    const first = await env.BACK.callBack(callback, "one");
    const target = await env.BACK.useTarget(new Greeter());
    const tools = await env.BACK.tools();
    await env.BACK.keep(callback);
    const kept = await env.BACK.callKept();
    return { first, target, calls, tools: { label: tools.label, sum: await tools.add(1, 2) }, kept };
  },
  async "/streams"(env) {
    const sent = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("sent "));
        controller.enqueue(new TextEncoder().encode("from front"));
        controller.close();
      },
    });
    const read = await env.BACK.read(sent);
    const produced = await new Response(await env.BACK.produce()).text();
    const request = new Request("https://back.internal/path?q=1", {
      method: "PUT",
      headers: { "x-test": "yes" },
      body: "request body",
    });
    const inspected = await env.BACK.inspect(request);
    const response = await env.BACK.respond("made a response");
    let written = "";
    const decoder = new TextDecoder();
    await env.BACK.write(new WritableStream({
      write(chunk) {
        written += decoder.decode(chunk);
      },
    }));
    return {
      read,
      produced,
      inspected,
      response: {
        isResponse: response instanceof Response,
        status: response.status,
        header: response.headers.get("x-from"),
        text: await response.text(),
      },
      written,
    };
  },
  async "/env"(env) {
    return { same: moduleEnv === env, bound: typeof moduleEnv.BACK.add };
  },
};

export default {
  async fetch(request, env) {
    const route = routes[new URL(request.url).pathname];
    return route ? Response.json(await route(env)) : new Response("no route", { status: 404 });
  },
};
