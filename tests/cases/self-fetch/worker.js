// A request that fetches its own Worker's URL, which does the same, without
// end: only its client leaving stops the chain. `/scatter` starts such a
// chain and answers at once, waiting for nothing: the chain is leftover work
// of a request that ended; `/stream-scatter` starts a slower chain and
// answers with a body it streams for 50 ms, so that its request ends when
// the stream does. `/fan` fetches itself three times at every level, and
// answers how many of them answered.
export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/chain") {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const next = await fetch(new URL("/chain", url));
      return new Response(await next.text());
    }
    if (url.pathname === "/slow-chain") {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const next = await fetch(new URL("/slow-chain", url));
      return new Response(await next.text());
    }
    if (url.pathname === "/stream-scatter") {
      fetch(new URL("/slow-chain", url)).catch(() => {});
      const body = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("started"));
          setTimeout(() => controller.close(), 50);
        },
      });
      return new Response(body);
    }
    if (url.pathname === "/fan") {
      const links = await Promise.allSettled(
        [0, 1, 2].map(() => fetch(new URL("/fan", url)).then((r) => r.text())),
      );
      return new Response(String(links.filter((l) => l.status === "fulfilled").length));
    }
    if (url.pathname === "/scatter") {
      fetch(new URL("/chain", url)).catch(() => {});
      return new Response("started");
    }
    return new Response("ok");
  },
};
