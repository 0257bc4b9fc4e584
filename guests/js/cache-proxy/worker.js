// A cache-first proxy: GET requests are answered from `caches.default`
// when it holds them (with `cf-cache-status: HIT`), else from the origin,
// and the origin's answer is stored (if Cloudflare's rules allow: no
// Set-Cookie, a cacheable status or Cache-Control) before it is returned,
// so the next request for the URL is a hit. DELETE purges the URL.

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const upstream = new URL(url.pathname + url.search, env.ORIGIN);
    const cache = caches.default;
    const key = new Request(upstream);

    if (request.method === "DELETE") {
      const purged = await cache.delete(key);
      return new Response(purged ? "purged\n" : "not cached\n");
    }
    if (request.method !== "GET") {
      return fetch(upstream, request);
    }

    const cached = await cache.match(key);
    if (cached) {
      return cached;
    }
    const response = await fetch(upstream);
    await cache.put(key, response.clone());
    const answer = new Response(response.body, response);
    answer.headers.set("cf-cache-status", "MISS");
    return answer;
  },
};
