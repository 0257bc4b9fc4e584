// The called Worker: a default entrypoint and a named one, with RPC
// methods beside `fetch`.
import { WorkerEntrypoint } from "cloudflare:workers";

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
    return { callback() {} };
  }
}
