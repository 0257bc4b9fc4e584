// Drives env.BUCKET the way Workers code does, for apis/src/r2/tests.rs.
//
// PUT    /objects/KEY       → stores the request body as it streams
// GET    /objects/KEY       → the object's body, streamed, with its metadata
// GET    /scenario/NAME     → runs a scenario, returns what it saw as JSON

async function caught(work) {
  try {
    return { ok: await work() };
  } catch (error) {
    return { error: { name: error.name, message: error.message } };
  }
}

function describe(object) {
  if (object === null) return null;
  return {
    key: object.key,
    size: object.size,
    etag: object.etag,
    httpEtag: object.httpEtag,
    version: typeof object.version,
    uploadedIsDate: object.uploaded instanceof Date,
    httpMetadata: object.httpMetadata,
    customMetadata: object.customMetadata,
    range: object.range,
    checksums: object.checksums.toJSON(),
    storageClass: object.storageClass,
    hasBody: "body" in object,
  };
}

const KIB = 1024;
const MIB = 1024 * KIB;

const scenarios = {
  async basics(env) {
    const put = await env.BUCKET.put("a.txt", "value");
    const head = await env.BUCKET.head("a.txt");
    const got = await env.BUCKET.get("a.txt");
    const text = await got.text();
    const reread = await caught(() => got.text());
    await env.BUCKET.put("buffer", new Uint8Array([1, 2, 3]).buffer);
    await env.BUCKET.put("view", new Uint8Array([9, 8, 7, 6]).subarray(1, 3));
    await env.BUCKET.put("blob", new Blob(["from ", "a blob"]));
    await env.BUCKET.put("stream", new Blob(["from a ", "stream"]).stream());
    await env.BUCKET.put("json", JSON.stringify({ a: [1, 2] }));
    await env.BUCKET.put("empty", null);
    const buffer = await (await env.BUCKET.get("buffer")).arrayBuffer();
    const blob = await (await env.BUCKET.get("blob")).blob();
    const streamed = await new Response((await env.BUCKET.get("stream")).body).text();
    const empty = await env.BUCKET.get("empty");
    await env.BUCKET.delete("view");
    await env.BUCKET.delete(["buffer", "blob", "never-there"]);
    return {
      put: describe(put),
      head: describe(head),
      got: describe(got),
      text,
      bodyUsed: got.bodyUsed,
      reread,
      buffer: [...new Uint8Array(buffer)],
      bufferIsArrayBuffer: buffer instanceof ArrayBuffer,
      blob: await blob.text(),
      streamed,
      json: await (await env.BUCKET.get("json")).json(),
      empty: { size: empty.size, text: await empty.text() },
      missing: await env.BUCKET.get("missing"),
      missingHead: await env.BUCKET.head("missing"),
      deleted: [
        await env.BUCKET.head("view"),
        await env.BUCKET.head("buffer"),
        await env.BUCKET.head("blob"),
      ],
      otherBucket: await env.OTHER.head("a.txt"),
      serialised: JSON.parse(JSON.stringify(head)).key,
    };
  },

  async metadata(env) {
    const expiry = new Date("2030-01-02T03:04:05Z");
    await env.BUCKET.put("meta", "x", {
      httpMetadata: {
        contentType: "text/plain",
        contentLanguage: "en",
        cacheControl: "max-age=60",
        cacheExpiry: expiry,
      },
      customMetadata: { owner: "ada", n: 1 },
    });
    const fromHeaders = await env.BUCKET.put("meta-headers", "x", {
      httpMetadata: new Headers({ "content-type": "image/png", "content-encoding": "gzip" }),
    });
    const object = await env.BUCKET.head("meta");
    const headers = new Headers();
    object.writeHttpMetadata(headers);
    const tooBig = await caught(() =>
      env.BUCKET.put("big-meta", "x", { customMetadata: { key: "x".repeat(2046) } }),
    );
    const justFits = await caught(async () =>
      (await env.BUCKET.put("fits", "x", { customMetadata: { key: "x".repeat(2045) } })).key,
    );
    return {
      httpMetadata: object.httpMetadata,
      expiryIsDate: object.httpMetadata.cacheExpiry instanceof Date,
      expiry: object.httpMetadata.cacheExpiry.toISOString(),
      customMetadata: object.customMetadata,
      fromHeaders: fromHeaders.httpMetadata,
      written: Object.fromEntries(headers),
      tooBig,
      justFits,
    };
  },

  async conditional(env) {
    const first = await env.BUCKET.put("cond", "one");
    const etag = first.etag;
    const ifMatch = await env.BUCKET.get("cond", { onlyIf: { etagMatches: etag } });
    const ifNotMatch = await env.BUCKET.get("cond", { onlyIf: { etagDoesNotMatch: etag } });
    const wildcard = await env.BUCKET.get("cond", { onlyIf: { etagDoesNotMatch: "*" } });
    const before = await env.BUCKET.get("cond", {
      onlyIf: { uploadedBefore: new Date(first.uploaded.getTime() - 10_000) },
    });
    const after = await env.BUCKET.get("cond", {
      onlyIf: { uploadedAfter: new Date(first.uploaded.getTime() - 10_000) },
    });
    const headers304 = await env.BUCKET.get("cond", {
      onlyIf: new Headers({ "if-none-match": `"${etag}"` }),
    });
    const weakMatch = await env.BUCKET.get("cond", {
      onlyIf: new Headers({ "if-match": `W/"${etag}"` }),
    });
    const quoted = await caught(() =>
      env.BUCKET.get("cond", { onlyIf: { etagMatches: `"${etag}"` } }),
    );
    const badHeader = await caught(() =>
      env.BUCKET.get("cond", { onlyIf: new Headers({ "if-match": "nope" }) }),
    );
    const putUnless = await env.BUCKET.put("cond", "two", { onlyIf: { etagDoesNotMatch: etag } });
    const putIf = await env.BUCKET.put("cond", "three", { onlyIf: { etagMatches: etag } });
    const putNew = await env.BUCKET.put("cond-new", "x", { onlyIf: { etagMatches: "abc" } });
    return {
      ifMatch: ifMatch.hasOwnProperty("key") && "body" in ifMatch,
      ifNotMatch: describe(ifNotMatch),
      wildcardHasBody: "body" in wildcard,
      beforeHasBody: "body" in before,
      afterHasBody: "body" in after,
      headers304HasBody: "body" in headers304,
      weakMatchHasBody: "body" in weakMatch,
      quoted,
      badHeader,
      putUnless,
      putIf: putIf === null ? null : putIf.size,
      now: await (await env.BUCKET.get("cond")).text(),
      putNew,
    };
  },

  async ranges(env) {
    await env.BUCKET.put("digits", "0123456789");
    const read = async (range) => {
      const object = await env.BUCKET.get("digits", { range });
      return { text: await object.text(), range: object.range };
    };
    return {
      whole: (await env.BUCKET.get("digits")).range,
      offsetLength: await read({ offset: 2, length: 3 }),
      offset: await read({ offset: 7 }),
      length: await read({ length: 4 }),
      suffix: await read({ suffix: 3 }),
      longSuffix: await read({ suffix: 30 }),
      pastEnd: await read({ offset: 8, length: 10 }),
      header: await read(new Headers({ range: "bytes=1-3" })),
      headerSuffix: await read(new Headers({ range: "bytes=-2" })),
      headerMulti: await read(new Headers({ range: "bytes=0-1,4-5" })),
      outside: await caught(() => env.BUCKET.get("digits", { range: { offset: 42 } })),
      zero: await caught(() => env.BUCKET.get("digits", { range: { length: 0 } })),
      negative: await caught(() => env.BUCKET.get("digits", { range: { offset: -1 } })),
      fraction: await caught(() => env.BUCKET.get("digits", { range: { offset: 1.5 } })),
      mixed: await caught(() => env.BUCKET.get("digits", { range: { suffix: 1, offset: 1 } })),
    };
  },

  async checksums(env) {
    // MD5 and SHA-256 of "value".
    const md5 = "2063c1608d6e0baf80249c42e2be5804";
    const sha256 = "cd42404d52ad55ccfa9aca4adc828aa5800ad9d385a0671fbcbf724118320619";
    const withMd5 = await env.BUCKET.put("sum", "value", { md5 });
    const withSha = await env.BUCKET.put("sum", "value", { sha256: sha256.toUpperCase() });
    const bytes = new Uint8Array(md5.match(/../g).map((h) => parseInt(h, 16)));
    const withBuffer = await env.BUCKET.put("sum", "value", { md5: bytes.buffer });
    const got = await env.BUCKET.get("sum");
    return {
      withMd5: withMd5.checksums.toJSON(),
      withSha: withSha.checksums.toJSON(),
      withBuffer: withBuffer.checksums.toJSON(),
      md5Bytes: got.checksums.md5 instanceof ArrayBuffer ? got.checksums.md5.byteLength : null,
      wrong: await caught(() => env.BUCKET.put("bad-sum", "value", { sha1: "00".repeat(20) })),
      wrongLeftNothing: await env.BUCKET.head("bad-sum"),
      two: await caught(() => env.BUCKET.put("sum", "value", { md5, sha256 })),
      short: await caught(() => env.BUCKET.put("sum", "value", { md5: "abc" })),
    };
  },

  async list(env) {
    for (const key of ["l/a", "l/dir/1", "l/dir/2", "l/dir/sub/3", "l/e", "l/f"]) {
      await env.BUCKET.put(key, key, { customMetadata: { k: key }, httpMetadata: { contentType: "t" } });
    }
    const first = await env.BUCKET.list({ prefix: "l/", delimiter: "/", limit: 2 });
    const rest = await env.BUCKET.list({ prefix: "l/", delimiter: "/", cursor: first.cursor });
    const all = [];
    let cursor;
    do {
      const page = await env.BUCKET.list({ prefix: "l/", limit: 2, cursor });
      all.push(...page.objects.map((o) => o.key));
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor);
    const plain = await env.BUCKET.list({ prefix: "l/dir/", limit: 1 });
    const included = await env.BUCKET.list({
      prefix: "l/e",
      include: ["httpMetadata", "customMetadata"],
    });
    return {
      first: { keys: first.objects.map((o) => o.key), prefixes: first.delimitedPrefixes, truncated: first.truncated, hasCursor: typeof first.cursor },
      rest: { keys: rest.objects.map((o) => o.key), prefixes: rest.delimitedPrefixes, truncated: rest.truncated, cursor: rest.cursor },
      all,
      startAfter: (await env.BUCKET.list({ prefix: "l/", startAfter: "l/dir/2" })).objects.map((o) => o.key),
      plain: { metadata: plain.objects[0].customMetadata, http: plain.objects[0].httpMetadata, range: plain.objects[0].range },
      included: { metadata: included.objects[0].customMetadata, http: included.objects[0].httpMetadata },
      tooMany: await caught(() => env.BUCKET.list({ limit: 1001 })),
      badInclude: await caught(() => env.BUCKET.list({ include: ["nope"] })),
    };
  },

  async multipart(env) {
    const upload = await env.BUCKET.createMultipartUpload("parts", {
      httpMetadata: { contentType: "application/octet-stream" },
      customMetadata: { made: "in parts" },
    });
    const part = (fill, size) => new Uint8Array(size).fill(fill);
    // Part 2 arrives first, as a stream; parts can come in any order.
    const second = await upload.uploadPart(2, new Blob([part(2, 5 * MIB)]).stream());
    const resumed = env.BUCKET.resumeMultipartUpload("parts", upload.uploadId);
    const first = await resumed.uploadPart(1, part(1, 5 * MIB));
    const third = await upload.uploadPart(3, part(3, 5 * MIB));
    const badPart = await caught(() =>
      upload.complete([first, second, { partNumber: 3, etag: "nope" }]),
    );
    const badNumber = await caught(() => upload.uploadPart(0, "x"));
    const object = await upload.complete([first, second, third]);
    const got = await env.BUCKET.get("parts");
    const bytes = new Uint8Array(await got.arrayBuffer());
    const late = await caught(() => upload.uploadPart(4, "x"));

    const small = await env.BUCKET.createMultipartUpload("small");
    const a = await small.uploadPart(1, "aaa");
    const b = await small.uploadPart(2, "bbb");
    const tooSmall = await caught(() => small.complete([a, b]));
    await small.abort();
    const afterAbort = await caught(() => small.uploadPart(3, "x"));
    const unknown = await caught(() =>
      env.BUCKET.resumeMultipartUpload("small", "no-such-upload").abort(),
    );
    return {
      object: describe(object),
      uploadIdType: typeof upload.uploadId,
      partNumbers: [first.partNumber, second.partNumber, third.partNumber],
      size: bytes.length,
      samples: [bytes[0], bytes[5 * MIB], bytes[10 * MIB], bytes[15 * MIB - 1]],
      gotMetadata: [got.httpMetadata.contentType, got.customMetadata.made],
      badPart,
      badNumber,
      late,
      tooSmall,
      afterAbort,
      unknown,
      smallExists: await env.BUCKET.head("small"),
    };
  },

  async errors(env) {
    const long = "k".repeat(1025);
    const huge = new FixedLengthStream(5 * 1024 * MIB);
    return {
      longKeyGet: await caught(() => env.BUCKET.get(long)),
      longKeyPut: await caught(() => env.BUCKET.put(long, "x")),
      longKeyDelete: await caught(() => env.BUCKET.delete(["ok", long])),
      tooLarge: await caught(() => env.BUCKET.put("huge", huge.readable)),
      limitZero: await caught(() => env.BUCKET.list({ limit: 0 })),
    };
  },
};

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/scenario/")) {
      const scenario = scenarios[url.pathname.slice("/scenario/".length)];
      return Response.json(await scenario(env));
    }
    const key = decodeURIComponent(url.pathname.slice("/objects/".length));
    if (request.method === "PUT") {
      const object = await env.BUCKET.put(key, request.body, {
        httpMetadata: request.headers,
      });
      return Response.json(describe(object));
    }
    const object = await env.BUCKET.get(key, { range: request.headers, onlyIf: request.headers });
    if (object === null) return new Response("not found", { status: 404 });
    const headers = new Headers({ etag: object.httpEtag });
    object.writeHttpMetadata(headers);
    if (!("body" in object)) return new Response(null, { status: 304, headers });
    return new Response(object.body, { headers });
  },
};
