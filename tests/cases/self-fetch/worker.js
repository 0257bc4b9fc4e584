// A request that fetches its own Worker's URL, which does the same, without
// end: only its client leaving stops the chain.
export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/chain") {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const next = await fetch(new URL("/chain", url));
      return new Response(await next.text());
    }
    return new Response("ok");
  },
};
