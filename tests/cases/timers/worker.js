// Timers belong to the request that set them: they run while it is live
// (unanswered, waiting on waitUntil, streaming its body, holding a
// WebSocket open) and stop with it.

let ticks = 0;
let waited = false;

export default {
  fetch(request, env, ctx) {
    switch (new URL(request.url).pathname) {
      case "/spin":
        // Busy work every few milliseconds, left behind by the response.
        setInterval(() => {
          ticks++;
          const until = Date.now() + 2;
          while (Date.now() < until);
        }, 5);
        setTimeout(() => ticks++, 10);
        return new Response("spinning");
      case "/ticks":
        return new Response(String(ticks));
      case "/stream": {
        const { readable, writable } = new TransformStream();
        const writer = writable.getWriter();
        const encoder = new TextEncoder();
        let n = 0;
        const id = setInterval(() => {
          writer.write(encoder.encode(`chunk ${n}\n`));
          if (++n === 5) {
            clearInterval(id);
            writer.close();
          }
        }, 10);
        return new Response(readable);
      }
      case "/wait":
        ctx.waitUntil(
          new Promise((resolve) =>
            setTimeout(() => {
              waited = true;
              resolve();
            }, 50)
          ),
        );
        return new Response("waiting");
      case "/waited":
        return new Response(String(waited));
      case "/socket": {
        const [client, server] = Object.values(new WebSocketPair());
        server.accept();
        let n = 0;
        const id = setInterval(() => {
          server.send(`tick ${++n}`);
          if (n === 3) {
            clearInterval(id);
            server.close(1000, "done");
          }
        }, 10);
        return new Response(null, { status: 101, webSocket: client });
      }
      default:
        return new Response("not found", { status: 404 });
    }
  },
};
