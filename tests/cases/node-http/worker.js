// A node:http server served as the Worker's fetch handler through
// cloudflare:node's httpServerHandler; workerd.json holds workerd's
// answers (scripts/record-node).
import { createServer } from "node:http";
import { httpServerHandler } from "cloudflare:node";

const routes = {
  "/text": (req, res) => {
    res.writeHead(200, { "Content-Type": "text/plain" });
    res.end(`hello from ${req.method} ${req.url}`);
  },
  "/json": (req, res) => {
    res.statusCode = 201;
    res.setHeader("Content-Type", "application/json");
    res.setHeader("Set-Cookie", ["a=1", "b=2"]);
    res.end(JSON.stringify({ headers: req.headers["x-test"] ?? null, httpVersion: req.httpVersion }));
  },
  "/stream": (req, res) => {
    res.setHeader("Content-Type", "text/plain");
    let n = 0;
    const tick = () => {
      if (n === 3) return res.end("done");
      res.write(`chunk ${n++}\n`);
      setTimeout(tick, 1);
    };
    tick();
  },
  "/missing": (req, res) => {
    res.statusCode = 404;
    res.statusMessage = "Nothing Here";
    res.end();
  },
};

const server = createServer((req, res) => {
  const path = req.url.split("?")[0];
  if (path === "/") {
    res.setHeader("Content-Type", "application/json");
    return res.end(JSON.stringify(Object.keys(routes)));
  }
  (routes[path] ?? routes["/missing"])(req, res);
});
server.listen(8080);

export default httpServerHandler({ port: 8080 });
