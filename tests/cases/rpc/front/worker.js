// The calling Worker: RPC and fetch() over the same service bindings.
import { env as moduleEnv } from "cloudflare:workers";

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
      return { name: error.name };
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
    const fetched = await env.GHOST.fetch("https://back.internal/");
    try {
      await env.GHOST.whoami();
      return { thrown: false };
    } catch (error) {
      return { status: fetched.status, name: error.name, message: error.message };
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
  async "/forge"(env) {
    // A binding made by hand reaches only what the config binds.
    const Fetcher = env.BACK.constructor;
    const forged = new Fetcher("VICTIM", false, false, "");
    try {
      await forged.fetch("https://victim.internal/");
      return { reached: true };
    } catch (error) {
      return { message: error.message };
    }
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
