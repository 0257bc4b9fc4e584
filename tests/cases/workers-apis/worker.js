// Workers-only APIs beyond the Web standards, one route each; every route
// answers JSON of what it observed.

async function read(stream) {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function hex(buffer) {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function caught(f) {
  try {
    await f();
    return "no error";
  } catch (error) {
    return `${error.constructor.name}: ${error.message}`;
  }
}

const routes = {
  // What put() keeps and refuses, by Cloudflare's rules.
  async "/cache-rules"() {
    const cache = await caches.open("rules");
    const url = "https://example.com/thing";
    const results = {};
    await cache.put(url, new Response("with a cookie", { headers: { "set-cookie": "a=1" } }));
    results.setCookie = (await cache.match(url)) === undefined ? "not stored" : "stored";
    await cache.put(url, new Response("no store", { headers: { "cache-control": "no-store" } }));
    results.noStore = (await cache.match(url)) === undefined ? "not stored" : "stored";
    await cache.put(url, new Response("error", { status: 500 }));
    results.status500 = (await cache.match(url)) === undefined ? "not stored" : "stored";
    await cache.put(url, new Response("fr", { headers: { vary: "Accept-Language" } }));
    const fr = await cache.match(new Request(url, { headers: { "accept-language": "fr" } }));
    results.varyOther = fr === undefined ? "miss" : "hit";
    results.varySame = (await cache.match(url)) === undefined ? "miss" : await (await cache.match(url)).text();
    results.otherCache = (await caches.default.match(url)) === undefined ? "miss" : "hit";
    results.post = await caught(() => cache.put(new Request(url, { method: "POST" }), new Response("x")));
    results.partial = await caught(() => cache.put(url, new Response("x", { status: 206 })));
    results.varyStar = await caught(() => cache.put(url, new Response("x", { headers: { vary: "*" } })));
    results.deleted = await cache.delete(url);
    results.deletedAgain = await cache.delete(url);
    results.illegal = await caught(() => new Cache());
    return results;
  },

  // match() answering conditional and Range requests from what is stored.
  async "/cache-conditional"() {
    const cache = await caches.open("conditional");
    const url = "https://example.com/page";
    await cache.put(url, new Response("0123456789", {
      headers: { etag: '"v1"', "last-modified": "Sun, 01 Nov 2026 00:00:00 GMT", "content-type": "text/plain" },
    }));
    const ask = async (headers) => {
      const response = await cache.match(new Request(url, { headers }));
      return `${response.status} ${response.headers.get("content-range") ?? ""} ${await response.text()}`.trim();
    };
    return {
      etag: await ask({ "if-none-match": '"v1"' }),
      otherEtag: await ask({ "if-none-match": '"v2"' }),
      since: await ask({ "if-modified-since": "Mon, 02 Nov 2026 00:00:00 GMT" }),
      range: await ask({ range: "bytes=2-4" }),
      suffix: await ask({ range: "bytes=-2" }),
      outside: await ask({ range: "bytes=50-60" }),
    };
  },

  // fetch(?url) with ?redirect: what came back, or what it threw.
  async "/fetch"(params) {
    try {
      const response = await fetch(params.get("url"), { redirect: params.get("redirect") });
      return {
        status: response.status,
        redirected: response.redirected,
        url: response.url,
        location: response.headers.get("location"),
        body: await response.text(),
      };
    } catch (error) {
      return { error: `${error.constructor.name}` };
    }
  },

  async "/identity"() {
    const { readable, writable } = new IdentityTransformStream();
    const writer = writable.getWriter();
    writer.write(new TextEncoder().encode("hello "));
    writer.write(new Uint8Array([119, 111, 114, 108, 100]).buffer);
    writer.close();
    const text = new TextDecoder().decode(await read(readable));
    const second = new IdentityTransformStream();
    const reading = read(second.readable).catch(() => {});
    const stringError = await caught(() => second.writable.getWriter().write("a string"));
    await reading;
    return { text, stringError };
  },

  async "/fixed-too-long"() {
    const { readable, writable } = new FixedLengthStream(3);
    const writer = writable.getWriter();
    const tooMany = caught(() => writer.write(new Uint8Array(4)));
    readable.getReader().read().catch(() => {});
    return { tooMany: await tooMany };
  },

  async "/fixed-too-short"() {
    const { readable, writable } = new FixedLengthStream(5);
    const writer = writable.getWriter();
    writer.write(new Uint8Array(2));
    const closed = caught(() => writer.close());
    const reading = caught(() => read(readable));
    return { close: await closed, read: await reading };
  },

  async "/digest"() {
    const results = {};
    for (const algorithm of ["SHA-256", "sha-1", "MD5", { name: "SHA-512" }]) {
      const stream = new crypto.DigestStream(algorithm);
      const writer = stream.getWriter();
      writer.write(new TextEncoder().encode("hello "));
      writer.write(new TextEncoder().encode("world"));
      writer.close();
      results[algorithm.name ?? algorithm] = hex(await stream.digest);
    }
    results.unknown = await caught(() => new crypto.DigestStream("SHA-3"));
    return results;
  },

  async "/subtle-digest"() {
    const small = new TextEncoder().encode("hello world");
    const large = new Uint8Array(100 * 1024).fill(7);
    const results = {};
    for (const algorithm of ["SHA-256", "sha-1", "MD5", { name: "SHA-512" }]) {
      const name = algorithm.name ?? algorithm;
      results[name] = hex(await crypto.subtle.digest(algorithm, small));
      results[`${name} of 100 KiB`] = hex(await crypto.subtle.digest(algorithm, large));
    }
    results.view = hex(await crypto.subtle.digest("SHA-256", new DataView(small.buffer)));
    results.unknown = await caught(() => crypto.subtle.digest("SHA-3", small));
    results.notData = await caught(() => crypto.subtle.digest("SHA-256", "text"));
    results.detached = await caught(() => crypto.subtle.digest.call({}, "SHA-256", small));
    return results;
  },

  async "/timing-safe-equal"() {
    const enc = new TextEncoder();
    return {
      equal: crypto.subtle.timingSafeEqual(enc.encode("secret"), enc.encode("secret")),
      different: crypto.subtle.timingSafeEqual(enc.encode("secret"), enc.encode("secreT")),
      buffers: crypto.subtle.timingSafeEqual(new ArrayBuffer(4), new DataView(new ArrayBuffer(4))),
      lengths: await caught(() => crypto.subtle.timingSafeEqual(enc.encode("a"), enc.encode("ab"))),
    };
  },
};

export default {
  async fetch(request) {
    const { pathname, searchParams } = new URL(request.url);
    if (pathname === "/fixed") {
      // A FixedLengthStream body goes out with its Content-Length.
      const { readable, writable } = new FixedLengthStream(11);
      const writer = writable.getWriter();
      (async () => {
        await writer.write(new TextEncoder().encode("hello "));
        await scheduler.wait(5);
        await writer.write(new TextEncoder().encode("world"));
        await writer.close();
      })();
      return new Response(readable);
    }
    const route = routes[pathname];
    if (route === undefined) {
      return new Response("not found", { status: 404 });
    }
    return Response.json(await route(searchParams));
  },
};
