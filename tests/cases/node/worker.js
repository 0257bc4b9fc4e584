// Node.js built-in modules, one route each; every answer is JSON that
// workerd gives too (`workerd.json` holds workerd's, recorded by
// scripts/record-node).
import { Buffer as ImportedBuffer, constants, kMaxLength } from "node:buffer";
import events, { EventEmitter, once, errorMonitor } from "events";
import { AsyncLocalStorage, AsyncResource } from "node:async_hooks";
import crypto, { createHash, createHmac } from "node:crypto";
import process from "node:process";
import * as timers from "node:timers";
import { setTimeout as sleep } from "node:timers/promises";
import path, { posix, win32 } from "node:path";
import util, { format, inspect, promisify, types } from "node:util";
import assert, { AssertionError } from "node:assert";
import strict from "node:assert/strict";
import url, { fileURLToPath, pathToFileURL } from "node:url";
import querystring from "node:querystring";
import { StringDecoder } from "node:string_decoder";
import punycode from "node:punycode";
import diagnostics from "node:diagnostics_channel";

/** An error as `Name [code]: message`, the same on both runtimes. */
function described(error) {
  return `${error.name}${error.code ? ` [${error.code}]` : ""}: ${error.message}`;
}
function attempt(fn) {
  try {
    return fn();
  } catch (error) {
    return described(error);
  }
}

const routes = {
  buffer() {
    const b = Buffer.alloc(10);
    b.writeUInt32BE(0xdeadbeef, 0);
    b.writeInt16LE(-2, 4);
    b.writeFloatBE(1.5, 6);
    return {
      global: ImportedBuffer === Buffer,
      kMaxLength: kMaxLength === constants.MAX_LENGTH,
      utf8: Buffer.from("héllo wörld €").toString("hex"),
      base64: Buffer.from("aGVsbG8gd29ybGQ", "base64").toString(),
      base64url: Buffer.from([251, 255, 191]).toString("base64url"),
      lenientBase64: Buffer.from("aGVs\nbG8=!!", "base64").toString(),
      hexStops: Buffer.from("abcdzz", "hex").toString("hex"),
      latin1: Buffer.from("ÿé", "latin1").toString("hex"),
      ascii: Buffer.from([0xe9, 0x41]).toString("ascii"),
      utf16le: Buffer.from("hé", "utf16le").toString("hex"),
      invalidUtf8: Buffer.from([0x61, 0xff, 0x62]).toString(),
      numbers: [b.toString("hex"), b.readUInt32BE(0), b.readInt16LE(4), b.readFloatBE(6), b.readUIntLE(0, 3)],
      bigint: (() => {
        const c = Buffer.alloc(8);
        c.writeBigInt64LE(-5n);
        return [c.toString("hex"), String(c.readBigUInt64BE())];
      })(),
      concat: Buffer.concat([Buffer.from("ab"), new Uint8Array([99]), Buffer.from("de")], 4).toString(),
      compare: [Buffer.compare(Buffer.from("a"), Buffer.from("b")), Buffer.from("b").compare(Buffer.from("a"))],
      search: [Buffer.from("hello world").indexOf("o"), Buffer.from("hello world").lastIndexOf("o"), Buffer.from("abc").includes("bc")],
      slice: Buffer.from("hello").slice(1, -1).toString(),
      subarrayIsBuffer: Buffer.from("hello").subarray(1) instanceof Buffer,
      fill: Buffer.alloc(5, "ab").toString(),
      write: (() => {
        const c = Buffer.alloc(4);
        return [c.write("héé", 1), c.toString("hex")];
      })(),
      json: JSON.stringify(Buffer.from([1, 2])),
      byteLength: [Buffer.byteLength("héllo"), Buffer.byteLength("aGVsbG8=", "base64"), Buffer.byteLength("abcd", "hex")],
      isEncoding: [Buffer.isEncoding("UTF-8"), Buffer.isEncoding("nope")],
      equals: Buffer.from("abc").equals(Buffer.from("abc")),
      swap: Buffer.from([1, 2, 3, 4]).swap16().toString("hex"),
      errors: [
        attempt(() => Buffer.alloc(2).readUInt32LE(0)),
        attempt(() => Buffer.alloc(4).readUInt8(7)),
        attempt(() => Buffer.alloc(4).writeUInt8(300)),
        attempt(() => Buffer.from({})),
        attempt(() => Buffer.from("a", "nope")),
        attempt(() => Buffer.alloc(-1)),
      ],
    };
  },

  async events() {
    const emitter = new EventEmitter();
    const seen = [];
    emitter.on("x", (v) => seen.push(`on ${v}`));
    emitter.prependListener("x", (v) => seen.push(`first ${v}`));
    emitter.once("x", (v) => seen.push(`once ${v}`));
    emitter.emit("x", 1);
    emitter.emit("x", 2);
    emitter.on(errorMonitor, (e) => seen.push(`monitor ${e.message}`));
    const unhandled = attempt(() => emitter.emit("error", new Error("boom")));
    setTimeout(() => emitter.emit("later", "a", "b"), 1);
    const waited = await once(emitter, "later");
    class Sub extends EventEmitter {}
    return {
      seen,
      unhandled,
      waited,
      counts: [emitter.listenerCount("x"), emitter.eventNames().length],
      defaultIsClass: events === EventEmitter && events.EventEmitter === EventEmitter,
      subclass: new Sub() instanceof EventEmitter,
      badListener: attempt(() => emitter.on("x", 42)),
      nonError: attempt(() => new EventEmitter().emit("error", "text")),
    };
  },

  async "async-hooks"() {
    const storage = new AsyncLocalStorage();
    const stages = await storage.run({ id: 1 }, async () => {
      const seen = [storage.getStore().id];
      await null;
      seen.push(storage.getStore().id);
      await sleep(2);
      seen.push(storage.getStore().id);
      seen.push(await new Promise((resolve) => setTimeout(() => resolve(storage.getStore()?.id), 1)));
      const stream = new ReadableStream({
        pull(controller) {
          controller.enqueue(storage.getStore()?.id);
          controller.close();
        },
      });
      const reader = stream.getReader();
      seen.push((await reader.read()).value);
      return seen;
    });
    const nested = storage.run(1, () => storage.run(2, () => storage.getStore()) + storage.getStore());
    const resource = storage.run("captured", () => new AsyncResource("test"));
    const bound = storage.run("bound", () => AsyncLocalStorage.bind(() => storage.getStore()));
    return {
      stages,
      nested,
      outside: storage.getStore() === undefined,
      resource: resource.runInAsyncScope(() => storage.getStore()),
      bound: bound(),
      exit: storage.run("in", () => storage.exit(() => storage.getStore() === undefined)),
    };
  },

  crypto() {
    const hash = createHash("sha256").update("abc");
    const copy = hash.copy().update("def");
    return {
      sha256: hash.digest("hex"),
      copied: copy.digest("hex"),
      md5: createHash("md5").update("a").update(Buffer.from("b")).digest("base64"),
      sha512: createHash("SHA512").update("").digest("hex").slice(0, 32),
      sha1Bytes: createHash("sha1").update(new Uint8Array([1, 2, 3])).digest().length,
      hmac: createHmac("sha256", "key").update("The quick brown fox").digest("hex"),
      hmacBufferKey: createHmac("sha1", Buffer.from("k")).update("x").digest("base64"),
      randomBytes: crypto.randomBytes(16).length,
      randomUUID: /^[0-9a-f-]{36}$/.test(crypto.randomUUID()),
      randomInt: (() => {
        const n = crypto.randomInt(3, 7);
        return n >= 3 && n < 7;
      })(),
      timingSafeEqual: [
        crypto.timingSafeEqual(Buffer.from("ab"), Buffer.from("ab")),
        attempt(() => crypto.timingSafeEqual(Buffer.from("a"), Buffer.from("ab"))),
      ],
      webcrypto: crypto.webcrypto === globalThis.crypto,
      errors: [
        attempt(() => createHash("nope")),
        attempt(() => createHmac("nope", "k")),
        attempt(() => createHash("sha256").update(42)),
        attempt(() => {
          const done = createHash("sha256");
          done.digest();
          done.digest();
        }),
      ],
    };
  },

  async "crypto-kdf"() {
    const viaCallback = await new Promise((resolve, reject) =>
      crypto.pbkdf2("pw", "salt", 10, 16, "sha1", (error, key) => (error ? reject(error) : resolve(key.toString("hex"))))
    );
    return {
      pbkdf2: crypto.pbkdf2Sync("password", "salt", 1000, 32, "sha256").toString("hex"),
      pbkdf2Sha512: crypto.pbkdf2Sync(Buffer.from("pw"), new Uint8Array([1, 2]), 3, 20, "sha512").toString("base64"),
      viaCallback,
      hkdf: Buffer.from(crypto.hkdfSync("sha256", "key", "salt", "info", 42)).toString("hex"),
      hkdfType: crypto.hkdfSync("sha256", "key", "salt", "info", 8) instanceof ArrayBuffer,
      scrypt: crypto.scryptSync("password", "salt", 24, { N: 1024 }).toString("hex"),
      errors: [
        attempt(() => crypto.pbkdf2Sync("p", "s", 1, 8, "nope")),
        attempt(() => crypto.pbkdf2Sync("p", "s", 0, 8, "sha1")),
        attempt(() => crypto.hkdfSync("nope", "k", "s", "i", 8)),
        attempt(() => crypto.scryptSync("p", "s", 8, { N: 2 ** 20, r: 8 })),
      ],
    };
  },

  cipher() {
    const key = Buffer.alloc(32, 7);
    const iv = Buffer.alloc(16, 1);
    const roundTrip = (name, keyBytes, ivBytes) => {
      const c = crypto.createCipheriv(name, keyBytes, ivBytes);
      const sealed = Buffer.concat([c.update("attack at dawn, twice over", "utf8"), c.final()]);
      const d = crypto.createDecipheriv(name, keyBytes, ivBytes);
      return [sealed.toString("hex"), d.update(sealed, undefined, "utf8") + d.final("utf8")];
    };
    const gcm = crypto.createCipheriv("aes-256-gcm", key, iv.subarray(0, 12));
    gcm.setAAD(Buffer.from("header"));
    const sealed = Buffer.concat([gcm.update("secret", "utf8"), gcm.final()]);
    const tag = gcm.getAuthTag();
    const open = (tagBytes) => {
      const d = crypto.createDecipheriv("aes-256-gcm", key, iv.subarray(0, 12));
      d.setAAD(Buffer.from("header"));
      d.setAuthTag(tagBytes);
      return d.update(sealed, undefined, "utf8") + d.final("utf8");
    };
    const noPadding = crypto.createCipheriv("aes-128-ecb", key.subarray(0, 16), Buffer.alloc(0)).setAutoPadding(false);
    return {
      cbc: roundTrip("aes-256-cbc", key, iv),
      cbc128: roundTrip("aes-128-cbc", key.subarray(0, 16), iv),
      ctr: roundTrip("aes-192-ctr", key.subarray(0, 24), iv),
      ecb: roundTrip("aes-128-ecb", key.subarray(0, 16), Buffer.alloc(0)),
      gcm: [sealed.toString("hex"), tag.toString("hex"), open(tag)],
      hexOut: crypto.createCipheriv("aes-128-cbc", key.subarray(0, 16), iv).update("x".repeat(20), "utf8", "hex"),
      errors: [
        attempt(() => crypto.createCipheriv("aes-256-cbc", key.subarray(0, 5), iv)),
        attempt(() => crypto.createCipheriv("aes-256-cbc", key, iv.subarray(0, 3))),
        attempt(() => crypto.createCipheriv("nope-cipher", key, iv)),
        attempt(() => crypto.createCipheriv("aes-256-cbc", key, iv).update("text")),
        attempt(() => open(Buffer.alloc(16))),
        attempt(() => {
          const d = crypto.createDecipheriv("aes-256-cbc", key, iv);
          d.update(Buffer.alloc(16, 3));
          return d.final();
        }),
        attempt(() => {
          noPadding.update(Buffer.alloc(5));
          return noPadding.final();
        }),
      ],
    };
  },

  process() {
    return {
      global: globalThis.process === process,
      env: process.env.GREETING,
      jsonVar: process.env.LIMITS,
      platform: process.platform,
      nextTick: typeof process.nextTick,
      cwd: process.cwd(),
      emitter: typeof process.on,
      hrtime: process.hrtime().length,
    };
  },

  async timers() {
    const order = [];
    await new Promise((resolve) => {
      timers.setTimeout(() => order.push("timeout"), 1);
      timers.setImmediate(() => order.push("immediate"));
      setTimeout(resolve, 10);
    });
    const handle = timers.setTimeout(() => order.push("cancelled"), 1);
    timers.clearTimeout(handle);
    await sleep(5);
    const global = setTimeout(() => order.push("global cancelled"), 1);
    clearTimeout(global);
    return {
      globalTimeout: [typeof global, typeof global.unref, typeof +global],
      order: order.sort(),
      unref: typeof handle.unref,
      hasRef: handle.hasRef(),
      value: await sleep(1, "value"),
    };
  },
};

Object.assign(routes, {
  path() {
    return {
      join: path.join("/a/b", "../c", "./d.txt"),
      resolve: path.resolve("x", "../y"),
      relative: path.relative("/a/b/c", "/a/d"),
      parse: path.parse("/home/u/file.tar.gz"),
      format: path.format({ dir: "/x", name: "y", ext: ".z" }),
      parts: [path.dirname("/a/b/"), path.basename("/a/b.js", ".js"), path.extname("x.md")],
      normalize: path.normalize("/a//b/../c/."),
      posixIsDefault: path.posix === posix && path.sep === "/",
      win32: [win32.join("C:\\a", "..", "b"), win32.resolve("C:\\x", "y"), win32.parse("C:\\dir\\f.txt")],
      error: attempt(() => path.join("a", 1)),
    };
  },

  util() {
    class Point {
      constructor() {
        this.x = 1;
        this.y = [1, 2, { z: new Map([["k", new Set([1])]]) }];
      }
    }
    const circular = { name: "loop" };
    circular.self = circular;
    return {
      format: [format("%s=%d %j %o", "a", 42, { b: 1 }, [1]), format("%%s", 1, "extra"), format(1, 2)],
      inspect: [
        inspect(new Point()),
        inspect({ a: { b: { c: { d: 1 } } } }),
        inspect(circular),
        inspect("str"),
        inspect([1, "two", null, undefined, 3n, Symbol("s")]),
        inspect(Buffer.from("hi")),
        inspect(new Error("oops")).split("\n")[0],
        inspect({ long: "x".repeat(30), other: "y".repeat(30), more: [1, 2, 3] }),
        inspect(Object.create(null)),
        inspect(function named() {}),
        inspect(new Uint8Array([1, 2])),
        inspect([Promise.resolve(3), new Promise(() => {})]),
        inspect(new Map([[1, { a: [1, 2, { b: 3 }] }]])),
      ],
      types: [types.isPromise(Promise.resolve()), types.isDate(new Date()), types.isUint8Array(Buffer.alloc(1)), types.isRegExp({})],
      inherits: (() => {
        function Base() {}
        Base.prototype.hello = () => "hi";
        function Child() {}
        util.inherits(Child, Base);
        return [new Child().hello(), Child.super_ === Base];
      })(),
      deepEqual: util.isDeepStrictEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }),
      promisified: typeof promisify((x, cb) => cb(null, x)),
      errors: [attempt(() => util.inherits(null, Object)), attempt(() => promisify(1))],
    };
  },

  async assert() {
    const thrown = (fn) => {
      try {
        fn();
        return "no error";
      } catch (error) {
        return [error.name, error.code, error.message, error.operator, error instanceof AssertionError];
      }
    };
    return {
      ok: thrown(() => assert(1)),
      strictEqual: thrown(() => assert.strictEqual(1, 2)),
      deepStrictEqual: thrown(() => strict.deepStrictEqual({ a: 1 }, { a: 1 })),
      notDeep: thrown(() => assert.deepStrictEqual([1, 2], [1, 3])),
      looseEqual: thrown(() => assert.equal(1, "1")),
      message: thrown(() => assert.ok(false, "custom")),
      throws: thrown(() => assert.throws(() => { throw new TypeError("x"); }, TypeError)),
      throwsWrong: thrown(() => assert.throws(() => {}, TypeError)),
      match: thrown(() => assert.match("abc", /d/)),
      rejects: await assert.rejects(Promise.reject(new Error("no"))).then(() => "rejected"),
      strictIsStrict: strict.equal === strict.strictEqual,
    };
  },

  url() {
    const legacy = url.parse("https://user:pw@example.com:8080/p/a?x=1&y=2#h", true);
    return {
      legacy: {
        protocol: legacy.protocol,
        auth: legacy.auth,
        host: legacy.host,
        port: legacy.port,
        pathname: legacy.pathname,
        query: legacy.query,
        hash: legacy.hash,
      },
      format: url.format({ protocol: "http", host: "a.com", pathname: "/x", query: { q: "1 2" } }),
      resolve: [url.resolve("http://a.com/b/c", "../d"), url.resolve("/one/two", "three")],
      fileURLToPath: fileURLToPath("file:///tmp/a%20b.txt"),
      pathToFileURL: pathToFileURL("/tmp/a b#.txt").href,
      domainToASCII: url.domainToASCII("español.com"),
      domainToUnicode: url.domainToUnicode("xn--espaol-zwa.com"),
      whatwg: url.URL === URL,
      errors: [attempt(() => fileURLToPath("http://x/")), attempt(() => fileURLToPath("file:///a%2Fb"))],
    };
  },

  querystring() {
    return {
      parse: querystring.parse("a=1&b=2&a=3&c=x%20y&d"),
      stringify: querystring.stringify({ a: [1, 2], b: "x y", c: true, d: null }),
      escape: querystring.escape("a b&c/é"),
      unescape: querystring.unescape("a%20b%zz"),
      custom: querystring.parse("a:1;b:2", ";", ":"),
    };
  },

  "string-decoder"() {
    const decoder = new StringDecoder("utf8");
    const euro = Buffer.from("€");
    const parts = [decoder.write(euro.subarray(0, 1)), decoder.write(euro.subarray(1)), decoder.end()];
    const base64 = new StringDecoder("base64");
    return {
      parts,
      base64: [base64.write(Buffer.from("ab")), base64.end(Buffer.from("c"))],
      utf16: new StringDecoder("utf16le").write(Buffer.from("hé", "utf16le")),
      encoding: new StringDecoder("UCS2").encoding,
      unknown: attempt(() => new StringDecoder("nope")),
    };
  },

  punycode() {
    return {
      encode: punycode.encode("mañana"),
      decode: punycode.decode("maana-pta"),
      toASCII: punycode.toASCII("mañana.com"),
      toUnicode: punycode.toUnicode("xn--maana-pta.com"),
      ucs2: punycode.ucs2.decode("\u{1F600}"),
    };
  },

  "diagnostics-channel"() {
    const seen = [];
    const channel = diagnostics.channel("isola:test");
    const before = channel.hasSubscribers;
    const listener = (message, name) => seen.push([message, name]);
    diagnostics.subscribe("isola:test", listener);
    channel.publish({ n: 1 });
    diagnostics.unsubscribe("isola:test", listener);
    channel.publish({ n: 2 });
    return { seen, before, after: channel.hasSubscribers, same: diagnostics.channel("isola:test") === channel };
  },
});

// The modules whose export names are compared.
const MODULES = [
  "_stream_duplex", "_stream_passthrough", "_stream_readable", "_stream_transform",
  "_stream_writable", "http", "https", "stream", "stream/consumers", "stream/promises",
  "stream/web", "zlib", "net", "tls", "_tls_common", "_tls_wrap", "fs", "fs/promises",
  "assert", "assert/strict", "async_hooks", "buffer", "child_process", "cluster", "console",
  "constants", "crypto", "dgram", "diagnostics_channel", "dns", "dns/promises", "domain", "events",
  "http2", "inspector", "inspector/promises", "module", "os", "path", "path/posix", "path/win32",
  "perf_hooks", "process", "punycode", "querystring", "readline", "readline/promises", "repl",
  "sqlite", "string_decoder", "sys", "timers", "timers/promises", "trace_events", "tty", "url",
  "util", "util/types", "v8", "vm", "wasi", "worker_threads",
];

routes.zlib = async () => {
  const zlib = await import("node:zlib");
  const { Readable, Writable, pipeline } = await import("node:stream");
  const text = "Workers compress well. ".repeat(200);
  const gzipped = zlib.gzipSync(text, { level: 9 });
  const viaCallback = await new Promise((resolve, reject) =>
    zlib.deflate(text, (error, out) => (error ? reject(error) : resolve(zlib.inflateSync(out).toString())))
  );
  const streamed = await new Promise((resolve, reject) => {
    const chunks = [];
    pipeline(
      Readable.from([Buffer.from(text.slice(0, 1000)), Buffer.from(text.slice(1000))]),
      zlib.createGzip(),
      zlib.createGunzip(),
      new Writable({
        write(chunk, _encoding, callback) {
          chunks.push(chunk);
          callback();
        },
      }),
      (error) => (error ? reject(error) : resolve(Buffer.concat(chunks).toString() === text)),
    );
  });
  return {
    gunzip: zlib.gunzipSync(gzipped).toString() === text,
    unzipBoth: [zlib.unzipSync(gzipped).length, zlib.unzipSync(zlib.deflateSync(text)).length],
    raw: zlib.inflateRawSync(zlib.deflateRawSync("raw")).toString(),
    brotli: zlib.brotliDecompressSync(zlib.brotliCompressSync(text)).toString() === text,
    zstd: zlib.zstdDecompressSync(zlib.zstdCompressSync(text)).toString() === text,
    viaCallback: viaCallback === text,
    streamed,
    crc32: [zlib.crc32("hello"), zlib.crc32("world", zlib.crc32("hello "))],
    constants: [zlib.constants.Z_BEST_COMPRESSION, zlib.constants.BROTLI_PARAM_QUALITY, zlib.Z_SYNC_FLUSH],
    errors: [
      attempt(() => zlib.gunzipSync(Buffer.from("not gzip at all"))),
      attempt(() => zlib.inflateSync(zlib.deflateSync(text).subarray(0, 20))),
      attempt(() => zlib.gunzipSync(gzipped, { maxOutputLength: 100 })),
    ],
  };
};

routes.stream = async () => {
  const { Readable, Writable, Transform, PassThrough, pipeline, finished } = await import("node:stream");
  const { pipeline: pipelinePromise } = await import("node:stream/promises");
  const { text, json } = await import("node:stream/consumers");
  const events = [];
  const upper = new Transform({
    transform(chunk, _encoding, callback) {
      callback(null, chunk.toString().toUpperCase());
    },
  });
  const collected = [];
  await pipelinePromise(
    Readable.from(["a", "b", "c"]),
    upper,
    new Writable({
      write(chunk, _encoding, callback) {
        collected.push(chunk.toString());
        callback();
      },
    }),
  );
  const readable = new Readable({ read() {} });
  readable.on("data", (d) => events.push(`data ${d}`));
  readable.on("end", () => events.push("end"));
  readable.push("x");
  readable.push(null);
  await new Promise((resolve) => finished(readable, resolve));
  const objects = [];
  for await (const item of Readable.from([{ n: 1 }, { n: 2 }])) objects.push(item.n);
  const writable = new Writable({ highWaterMark: 2, write(_c, _e, cb) { setTimeout(cb, 1); } });
  const backpressure = [writable.write("ab"), writable.write("cd")];
  const drained = await new Promise((resolve) => writable.once("drain", () => resolve(true)));
  const failure = await new Promise((resolve) =>
    pipeline(
      new Readable({ read() { this.destroy(new Error("source failed")); } }),
      new PassThrough(),
      (error) => resolve(error?.message),
    )
  );
  const fromWeb = Readable.fromWeb(new Response("from the web").body);
  return {
    collected,
    events,
    objects,
    backpressure,
    drained,
    failure,
    consumers: [await text(Readable.from(["t", "x"])), await json(Readable.from(['{"a":', "1}"]))],
    fromWeb: await text(fromWeb),
    writeAfterEnd: await new Promise((resolve) => {
      const w = new Writable({ write(_c, _e, cb) { cb(); } });
      w.on("error", (error) => resolve(described(error)));
      w.end();
      w.write("late");
    }),
  };
};

routes.fs = async () => {
  const fs = await import("node:fs");
  const fsp = await import("node:fs/promises");
  fs.mkdirSync("/tmp/a/b", { recursive: true });
  fs.writeFileSync("/tmp/a/b/note.txt", "first line\n");
  fs.appendFileSync("/tmp/a/b/note.txt", "second line\n");
  await fsp.writeFile("/tmp/a/data.bin", new Uint8Array([1, 2, 3]));
  const stat = fs.statSync("/tmp/a/b/note.txt");
  const bundled = fs.readFileSync("/bundle/worker.js", "utf8");
  return {
    read: fs.readFileSync("/tmp/a/b/note.txt", "utf8"),
    promises: [...(await fsp.readFile("/tmp/a/data.bin"))],
    list: fs.readdirSync("/tmp/a").sort(),
    types: fs.readdirSync("/tmp/a", { withFileTypes: true }).map((d) => [d.name, d.isDirectory()]).sort(),
    stat: [stat.isFile(), stat.isDirectory(), stat.size],
    exists: [fs.existsSync("/tmp/a"), fs.existsSync("/tmp/nope"), fs.existsSync("/bundle/worker.js")],
    bundle: bundled.startsWith("// Node.js built-in modules"),
    root: fs.readdirSync("/").sort(),
    devNull: fs.readFileSync("/dev/null").length,
    errors: [
      attempt(() => fs.readFileSync("/tmp/missing.txt")),
      attempt(() => fs.writeFileSync("/bundle/new.txt", "x")),
      attempt(() => fs.readdirSync("/tmp/a/b/note.txt")),
      attempt(() => fs.rmdirSync("/tmp/a")),
    ],
  };
};

routes["fs-per-request"] = async () => {
  const fs = await import("node:fs");
  const before = fs.existsSync("/tmp/a");
  return { before };
};

// Fixed keys (made with Node's crypto), so that signatures can be compared.
const KEYS = {
  "rsaPrivate": "-----BEGIN PRIVATE KEY-----\nMIICdwIBADANBgkqhkiG9w0BAQEFAASCAmEwggJdAgEAAoGBALhXJEFU3kZtnc2O\nWNSWF60kzzu881p5/DHCH5dBW8BKPIcLUKHAKYnZiAxkivOu5cG244Kc15EYLoQs\nOZyLcN343V61TSndEzk+By6LsYkG9isXxt+8y745O0XVTVQm864522f6+D/GHKbs\nVdYId3FKIHKDq4aRU7yEbyLFy1xrAgMBAAECgYAlNFk54lIWLst5kDA3f695n4M/\n0EvhR9txg3dyxJsq/RCoRM1aR/laPBAsSCKPOg5fAXV7iAIt446H2JEsGiyGGJHy\n3jPlAUbvKcy101SZtrmXvxc6eYodUOF3TwHW2HHDrV+boKZzP8wvKo5dvMgMzX87\nifR7VVrNnRI1r4fysQJBAOHgqR6HXOQ9OJ5F7Z42pgol2vArAyBnisQmisv2z1w/\n2jp3KbzNbnQNHZ9B0UP6pYuriaWOqc4sPRkAA+thw8kCQQDQ7GyBBeEAHUanOmZW\nvXb75ew7/UzLEA0T6DFNP+CBr6A42WAqgHF5Fwvoxg25yeRt9hRzMuu1AOzVDd6f\nAHCTAkEAm4a6S9f+gPUad/hEPYz5VMFt97JWC8jfhmHXbcs6ShV5KIqGRYbZx7SE\nMfT6pyj9NadeNo19pAVX6E/XYwpE6QJAeqwntcaO67NE9hIrXwkWoSfLAxpjCeSd\n2S+AK1yzZVKLIHY6qhoLBs/KdV49Vva9wvc34MBoeDpX1W20ZuYqMwJBAIDrMz6z\nyd9+3b9OOfGq21hJ6qWxe5C6LbeufratCLMQkAI5Xu724Nh80/ylv5GzB8y0Xc5i\nqXPM9EY7q4ujwG4=\n-----END PRIVATE KEY-----\n",
  "rsaPkcs1": "-----BEGIN RSA PRIVATE KEY-----\nMIICXQIBAAKBgQC4VyRBVN5GbZ3NjljUlhetJM87vPNaefwxwh+XQVvASjyHC1Ch\nwCmJ2YgMZIrzruXBtuOCnNeRGC6ELDmci3Dd+N1etU0p3RM5Pgcui7GJBvYrF8bf\nvMu+OTtF1U1UJvOuOdtn+vg/xhym7FXWCHdxSiByg6uGkVO8hG8ixctcawIDAQAB\nAoGAJTRZOeJSFi7LeZAwN3+veZ+DP9BL4UfbcYN3csSbKv0QqETNWkf5WjwQLEgi\njzoOXwF1e4gCLeOOh9iRLBoshhiR8t4z5QFG7ynMtdNUmba5l78XOnmKHVDhd08B\n1thxw61fm6Cmcz/MLyqOXbzIDM1/O4n0e1VazZ0SNa+H8rECQQDh4Kkeh1zkPTie\nRe2eNqYKJdrwKwMgZ4rEJorL9s9cP9o6dym8zW50DR2fQdFD+qWLq4mljqnOLD0Z\nAAPrYcPJAkEA0OxsgQXhAB1GpzpmVr12++XsO/1MyxANE+gxTT/gga+gONlgKoBx\neRcL6MYNucnkbfYUczLrtQDs1Q3enwBwkwJBAJuGukvX/oD1Gnf4RD2M+VTBbfey\nVgvI34Zh123LOkoVeSiKhkWG2ce0hDH0+qco/TWnXjaNfaQFV+hP12MKROkCQHqs\nJ7XGjuuzRPYSK18JFqEnywMaYwnkndkvgCtcs2VSiyB2OqoaCwbPynVePVb2vcL3\nN+DAaHg6V9VttGbmKjMCQQCA6zM+s8nfft2/TjnxqttYSeqlsXuQui23rn62rQiz\nEJACOV7u9uDYfNP8pb+RswfMtF3OYqlzzPRGO6uLo8Bu\n-----END RSA PRIVATE KEY-----\n",
  "rsaPublic": "-----BEGIN PUBLIC KEY-----\nMIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC4VyRBVN5GbZ3NjljUlhetJM87\nvPNaefwxwh+XQVvASjyHC1ChwCmJ2YgMZIrzruXBtuOCnNeRGC6ELDmci3Dd+N1e\ntU0p3RM5Pgcui7GJBvYrF8bfvMu+OTtF1U1UJvOuOdtn+vg/xhym7FXWCHdxSiBy\ng6uGkVO8hG8ixctcawIDAQAB\n-----END PUBLIC KEY-----\n",
  "ecPrivate": "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEICQb2xMOOHGNdRPDcdFCiIKzK63BeLuQ8e123gJP/M2ioAoGCCqGSM49\nAwEHoUQDQgAEhhiaqXGh+nJLAunF8BL/C4af6f9oEj2o0VqSrzQ+uaj7kkVKbX0l\nMpcf/IrtS6OW1xIzIsVSjAXIp1TQcDv25Q==\n-----END EC PRIVATE KEY-----\n",
  "ecPublic": "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEhhiaqXGh+nJLAunF8BL/C4af6f9o\nEj2o0VqSrzQ+uaj7kkVKbX0lMpcf/IrtS6OW1xIzIsVSjAXIp1TQcDv25Q==\n-----END PUBLIC KEY-----\n",
  "edPrivate": "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIDVYzFqnjvY/0NsHnRBJK06gA7SyWIGohvhwrdwt/iZs\n-----END PRIVATE KEY-----\n",
  "edPublic": "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEACnGi3haFkjB3cJmQmS7FvehZY+baboVPrwq2qcQlxZ4=\n-----END PUBLIC KEY-----\n"
};

routes["crypto-keys"] = async () => {
  const data = Buffer.from("sign me");
  const rsaPrivate = crypto.createPrivateKey(KEYS.rsaPrivate);
  const rsaPublic = crypto.createPublicKey(KEYS.rsaPublic);
  const ecPrivate = crypto.createPrivateKey(KEYS.ecPrivate);
  const edPrivate = crypto.createPrivateKey(KEYS.edPrivate);
  const ecSignature = crypto.sign("sha256", data, ecPrivate);
  const pair = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const secret = crypto.createSecretKey(Buffer.from("secret key"));
  return {
    types: [rsaPrivate.type, rsaPrivate.asymmetricKeyType, ecPrivate.asymmetricKeyType, edPrivate.asymmetricKeyType],
    details: [rsaPublic.asymmetricKeyDetails.modulusLength, ecPrivate.asymmetricKeyDetails.namedCurve],
    rsaSignature: crypto.createSign("RSA-SHA256").update(data).sign(KEYS.rsaPrivate, "base64"),
    pkcs1Signs: crypto.sign("sha256", data, KEYS.rsaPkcs1).toString("base64"),
    rsaVerifies: crypto.createVerify("sha256").update("sign me").verify(rsaPublic,
      crypto.sign("sha256", data, rsaPrivate)),
    rsaRejects: crypto.verify("sha256", Buffer.from("other"), rsaPublic, crypto.sign("sha256", data, rsaPrivate)),
    ecVerifies: crypto.verify("sha256", data, KEYS.ecPublic, ecSignature),
    ecP1363: crypto.sign("sha256", data, { key: KEYS.ecPrivate, dsaEncoding: "ieee-p1363" }).length,
    edSignature: crypto.sign(null, data, edPrivate).toString("hex"),
    edVerifies: crypto.verify(null, data, KEYS.edPublic, crypto.sign(null, data, edPrivate)),
    publicFromPrivate: crypto.createPublicKey(KEYS.rsaPrivate).export({ type: "spki", format: "pem" }) === KEYS.rsaPublic,
    pkcs1Export: rsaPrivate.export({ type: "pkcs1", format: "pem" }) === KEYS.rsaPkcs1,
    generated: [pair.publicKey.type, pair.privateKey.asymmetricKeyType,
      crypto.verify("sha256", data, pair.publicKey, crypto.sign("sha256", data, pair.privateKey))],
    secret: [secret.type, secret.symmetricKeySize, secret.export().toString(),
      crypto.createHmac("sha256", secret).update("x").digest("hex")],
    equals: rsaPublic.equals(crypto.createPublicKey(KEYS.rsaPublic)),
  };
};

routes.ecdh = () => {
  const a = crypto.createECDH("prime256v1");
  const b = crypto.createECDH("prime256v1");
  a.generateKeys();
  b.generateKeys();
  const fixed = crypto.createECDH("prime256v1");
  fixed.setPrivateKey(Buffer.alloc(32, 7));
  const other = crypto.createECDH("secp384r1");
  other.setPrivateKey(Buffer.alloc(48, 9));
  return {
    agree: a.computeSecret(b.getPublicKey()).equals(b.computeSecret(a.getPublicKey())),
    lengths: [a.getPublicKey().length, a.getPublicKey(null, "compressed").length, a.computeSecret(b.getPublicKey()).length],
    fixedPublic: fixed.getPublicKey("hex"),
    fixedPrivate: fixed.getPrivateKey("hex"),
    p384: other.getPublicKey("base64", "compressed"),
    converted: crypto.ECDH.convertKey(fixed.getPublicKey(), "prime256v1", null, "hex", "compressed"),
    errors: [attempt(() => crypto.createECDH("nope")), attempt(() => a.computeSecret(Buffer.from([4, 1, 2])))],
  };
};

routes.exports = async () => {
  const names = {};
  for (const name of MODULES) {
    names[name] = Object.keys(await import(`node:${name}`)).sort();
  }
  return names;
};

routes.os = async () => {
  const os = await import("node:os");
  return {
    values: [os.platform(), os.arch(), os.type(), os.hostname(), os.EOL, os.homedir(), os.tmpdir(), os.endianness()],
    cpus: os.cpus().length,
    memory: [os.totalmem(), os.freemem()],
    loadavg: os.loadavg(),
    constants: Object.keys(os.constants).sort(),
  };
};

routes.stubs = async () => {
  const calls = {
    "child_process.spawn": async () => (await import("node:child_process")).spawn("ls"),
    "cluster.fork": async () => (await import("node:cluster")).default.fork(),
    "dgram.createSocket": async () => (await import("node:dgram")).createSocket("udp4"),
    "vm.runInThisContext": async () => (await import("node:vm")).runInThisContext("1"),
    "v8.getHeapStatistics": async () => (await import("node:v8")).getHeapStatistics(),
    "worker_threads.Worker": async () => new (await import("node:worker_threads")).Worker("x"),
    "readline.createInterface": async () => (await import("node:readline")).createInterface({}),
    "module.createRequire": async () => (await import("node:module")).createRequire("/x.js")("node:path").sep,
    "perf_hooks.now": async () => typeof (await import("node:perf_hooks")).performance.now(),
  };
  const out = {};
  for (const [name, call] of Object.entries(calls)) {
    try {
      out[name] = ["returned", await call()];
    } catch (error) {
      out[name] = described(error);
    }
  }
  return out;
};

export default {
  async fetch(request) {
    const name = new URL(request.url).pathname.slice(1);
    if (name === "") return Response.json(Object.keys(routes));
    const route = routes[name];
    if (route === undefined) return new Response("no such route", { status: 404 });
    return Response.json(await route());
  },
};
