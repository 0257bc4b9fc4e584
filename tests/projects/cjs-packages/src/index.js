import { parse, serialize } from "cookie";
import ms from "ms";
import qs from "qs";
import legacy, { greet, limit } from "./legacy.cjs";

export default {
  async fetch(request) {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/cookies":
        return Response.json(parse(request.headers.get("Cookie") ?? ""));
      case "/set":
        return new Response("set", {
          headers: { "Set-Cookie": serialize("session", "a b", { httpOnly: true, maxAge: 60 }) },
        });
      case "/ms":
        return Response.json({ day: ms("1d"), text: ms(90000), long: ms(90000, { long: true }) });
      case "/qs":
        return Response.json({
          parsed: qs.parse(url.search.slice(1)),
          built: qs.stringify({ a: [1, 2], b: { c: "d" } }),
        });
      case "/legacy":
        return Response.json({
          greeting: greet("ada"),
          limit,
          timeout: legacy.timeout,
          shouted: legacy.shouted,
          formatDefault: legacy.formatDefault,
          formatIsModule: legacy.formatIsModule,
          cycle: legacy.cycle,
        });
      default:
        return new Response("not found", { status: 404 });
    }
  },
};
