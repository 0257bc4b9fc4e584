// The called Worker: a default entrypoint and a named one, with RPC
// methods beside `fetch`.
import { RpcTarget, WorkerEntrypoint } from "cloudflare:workers";

// What happened to the objects this Worker passed by reference.
const seen = { disposed: 0, kept: null };

/** Passed by reference: the caller gets a stub whose calls come back here. */
class Counter extends RpcTarget {
  #count;

  constructor(start) {
    super();
    this.#count = start;
    this.secret = "own properties stay here";
  }

  increment(by = 1) {
    this.#count += by;
    return this.#count;
  }

  get value() {
    return this.#count;
  }

  [Symbol.dispose]() {
    seen.disposed += 1;
  }
}

export class Admin extends WorkerEntrypoint {
  fetch(request) {
    return new Response(`admin fetch ${new URL(request.url).pathname}`);
  }

  whoami() {
    return "admin";
  }
}

export default class extends WorkerEntrypoint {
  fetch(request) {
    // The request body, streamed back as it arrives.
    if (new URL(request.url).pathname === "/echo") {
      return new Response(request.body);
    }
    return new Response("back: fetch");
  }

  add(a, b) {
    return a + b;
  }

  async echo(value) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    return value;
  }

  greet(name) {
    return `${this.env.GREETING}, ${name}`;
  }

  fail() {
    throw new RangeError("out of range");
  }

  async loopback() {
    // `ctx.exports`: bindings to this Worker's own entrypoints.
    return {
      admin: await this.ctx.exports.Admin.whoami(),
      sum: await this.ctx.exports.default.add(1, 1),
      names: Object.keys(this.ctx.exports).sort(),
    };
  }

  async recurse(depth) {
    try {
      return await this.ctx.exports.default.recurse(depth + 1);
    } catch (error) {
      return { depth, message: error.message };
    }
  }

  notCloneable() {
    return new (class Local {})();
  }

  counter(start) {
    return new Counter(start);
  }

  get nested() {
    return { inner: { value: 42 }, list: [1, 2] };
  }

  ownData = "instance fields are not reachable";

  tools() {
    // Functions in a plain object cross as stubs.
    return { add: (a, b) => a + b, label: "tools" };
  }

  async useTarget(target) {
    return `${await target.greet("back")} from ${await target.name}`;
  }

  async callBack(callback, value) {
    return { answer: await callback(value) };
  }

  keep(callback) {
    // Stubs passed as arguments are disposed of once the call returns,
    // unless duplicated; both are tried once it has.
    const duped = callback.dup();
    seen.kept = new Promise((resolve) => {
      this.ctx.waitUntil((async () => {
        await new Promise((wait) => setTimeout(wait, 10));
        const results = {};
        for (const [name, stub] of [["kept", callback], ["duped", duped]]) {
          try {
            results[name] = await stub("later");
          } catch (error) {
            results[name] = `${error.name}: ${error.message}`;
          }
        }
        duped[Symbol.dispose]();
        resolve(results);
      })());
    });
  }

  async callKept() {
    return await seen.kept;
  }

  disposals() {
    return seen.disposed;
  }

  async read(stream) {
    return await new Response(stream).text();
  }

  produce() {
    return new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("made "));
        controller.enqueue(new TextEncoder().encode("in back"));
        controller.close();
      },
    });
  }

  async inspect(request) {
    return {
      method: request.method,
      url: request.url,
      header: request.headers.get("x-test"),
      body: await request.text(),
    };
  }

  respond(text) {
    return new Response(text, { status: 201, headers: { "x-from": "back" } });
  }

  async write(writable) {
    const writer = writable.getWriter();
    const encoder = new TextEncoder();
    await writer.write(encoder.encode("written "));
    await writer.write(encoder.encode("from back"));
    await writer.close();
  }
}
