// Reports the shape of the global scope, to compare with workerd's.

// What global functions do when called as methods of another object
// (workerd: a TypeError), and bare or on `globalThis` (they work).
function receivers() {
  const seen = {};
  for (const name of ["fetch", "setTimeout", "atob", "btoa", "structuredClone", "queueMicrotask"]) {
    const holder = { f: globalThis[name] };
    try {
      holder.f("aGk=");
      seen[name] = "called";
    } catch (error) {
      seen[name] = `${error.name}: ${error.message}`;
    }
  }
  const bare = atob;
  seen.bare = bare("aGk=");
  seen.onGlobal = globalThis.btoa("hi") + self.atob("aGk=");
  seen.lengths = [fetch.length, setTimeout.length, fetch.name, globalThis.clearImmediate?.name ?? null];
  return seen;
}
export default {
  async fetch() {
    const used = new Response("once");
    await used.text();
    const readTwice = await used.text().then(
      () => "read again",
      (error) => `${error.name}: ${error.message}`,
    );
    const protoChain = [];
    for (
      let proto = Object.getPrototypeOf(globalThis);
      proto !== null && proto !== Object.prototype;
      proto = Object.getPrototypeOf(proto)
    ) {
      protoChain.push({
        ctor: proto.constructor?.name,
        names: Object.getOwnPropertyNames(proto).sort(),
      });
    }
    return Response.json({
      globalThisCtor: globalThis.constructor.name,
      own: Object.getOwnPropertyNames(globalThis).sort(),
      protoChain,
      navigator: {
        userAgent: navigator.userAgent,
        hardwareConcurrency: navigator.hardwareConcurrency,
        language: navigator.language,
      },
      hasDeno: typeof Deno !== "undefined",
      compatibilityFlags: Cloudflare.compatibilityFlags,
      selfIsGlobal: self === globalThis,
      uuid: crypto.randomUUID(),
      btoa: btoa("isola"),
      structuredClone: structuredClone({ a: [1, 2] }),
      // DOMExceptions that host ops throw, by name.
      domExceptions: [
        () => atob("a"),
        () => crypto.getRandomValues(new Uint8Array(70000)),
        () => crypto.getRandomValues(new Float32Array(2)),
      ].map((f) => {
        try {
          f();
          return "returned";
        } catch (error) {
          return error instanceof DOMException ? `${error.name}: ${error.message}` : String(error);
        }
      }),
      methods: ["patch", "get", "msearch", "query", "m-search", "patchy", "CONNECT"].map((method) => {
        try {
          return new Request("https://example.com/", { method }).method;
        } catch (error) {
          return `${error.name}: ${error.message}`;
        }
      }),
      clock: [performance.timeOrigin, Math.abs(performance.now() - Date.now()) < 1000],
      setCookies: new Headers([["set-cookie", "a=1"], ["set-cookie", "b=2"]]).getAll("Set-Cookie"),
      cacheModes: ["no-store", "reload"].map((cache) => {
        try {
          return new Request("https://example.com/", { cache }).cache;
        } catch (error) {
          return `${error.name}: ${error.message}`;
        }
      }),
      fetchErrors: [
        () => new Response("x", { status: 99 }),
        () => new Response("x", { status: 204 }),
        () => Response.redirect("https://example.com/", 200),
        () => Response.redirect("/relative", 301),
        () => new Request("https://example.com/", { body: "x" }),
      ].map((f) => {
        try {
          f();
          return "made";
        } catch (error) {
          return `${error.name}: ${error.message}`;
        }
      }),
      readTwice,
      clonedErrors: (() => {
        const { e, nested } = structuredClone({ e: new RangeError("boom"), nested: [new DOMException("m", "AbortError")] });
        return [e instanceof RangeError, e.message, nested[0] instanceof DOMException, nested[0].name];
      })(),
      uncloneable: [() => 1, Symbol("s"), { deep: [function named() {}] }].map((value) => {
        try {
          structuredClone(value);
          return "cloned";
        } catch (error) {
          return `${error.name}: ${error.message}`;
        }
      }),
      receivers: receivers(),
    });
  },
};
