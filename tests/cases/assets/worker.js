// The Worker beside the assets: it answers what they do not, and reaches
// them through `env.ASSETS` under `/via-binding/`.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/via-binding/")) {
      const path = url.pathname.slice("/via-binding".length);
      const response = await env.ASSETS.fetch(new URL(path + url.search, request.url), {
        method: request.method,
        headers: request.headers,
      });
      return Response.json({
        status: response.status,
        location: response.headers.get("location"),
        type: response.headers.get("content-type"),
        body: await response.text(),
      });
    }
    return new Response(`worker: ${request.method} ${url.pathname}`, {
      headers: { "x-from": "worker" },
    });
  },
};
