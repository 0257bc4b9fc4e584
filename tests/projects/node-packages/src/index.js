import { sign, unsign } from "cookie-signature";
import NodeCache from "node-cache";
import { Buffer as SafeBuffer } from "safe-buffer";
import { AsyncLocalStorage } from "node:async_hooks";
import jwt from "jsonwebtoken";
import { KEYS } from "./keys.js";

const requests = new AsyncLocalStorage();

async function handle(url) {
  switch (url.pathname) {
    case "/sign": {
      const signed = sign("hello", "secret");
      return {
        signed,
        unsigned: unsign(signed, "secret"),
        tampered: unsign(`${signed}x`, "secret"),
        wrongSecret: unsign(signed, "other"),
      };
    }
    case "/buffer":
      return {
        base64: SafeBuffer.from("hello world").toString("base64"),
        hex: SafeBuffer.alloc(4, 0xab).toString("hex"),
        same: SafeBuffer === Buffer,
      };
    case "/cache": {
      const cache = new NodeCache({ stdTTL: 100, checkperiod: 0 });
      const events = [];
      cache.on("set", (key) => events.push(`set ${key}`));
      cache.on("del", (key) => events.push(`del ${key}`));
      cache.set("a", { n: 1 });
      cache.mset([{ key: "b", val: 2 }, { key: "c", val: 3 }]);
      const copy = cache.get("a");
      copy.n = 99;
      cache.del("b");
      const answer = {
        a: cache.get("a"),
        keys: cache.keys(),
        has: [cache.has("b"), cache.has("c")],
        events,
        stats: cache.getStats().keys,
      };
      cache.close();
      return answer;
    }
    case "/jwt": {
      const hs = jwt.sign({ sub: "ada" }, "secret", { noTimestamp: true });
      const rs = jwt.sign({ sub: "bob" }, KEYS.rsaPrivate, { algorithm: "RS256", noTimestamp: true });
      const es = jwt.sign({ sub: "eve" }, KEYS.ecPrivate, { algorithm: "ES256", noTimestamp: true });
      let tampered;
      try {
        jwt.verify(`${hs}x`, "secret");
      } catch (error) {
        tampered = `${error.name}: ${error.message}`;
      }
      return {
        hs,
        rs,
        verified: [jwt.verify(hs, "secret").sub, jwt.verify(rs, KEYS.rsaPublic).sub, jwt.verify(es, KEYS.ecPublic).sub],
        decoded: jwt.decode(es, { complete: true }).header,
        tampered,
      };
    }
    case "/context":
      return requests.run(url.searchParams.get("id"), async () => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        return { id: requests.getStore() };
      });
    default:
      return null;
  }
}

export default {
  async fetch(request) {
    const answer = await handle(new URL(request.url));
    return answer === null ? new Response("Not found", { status: 404 }) : Response.json(answer);
  },
};
