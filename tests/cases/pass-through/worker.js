// A Worker in front of an origin. /…/throw throws; /…/pass asks to be passed
// through first; anything else is answered by the Worker.
export default {
  async fetch(request, env, ctx) {
    const { pathname } = new URL(request.url);
    if (pathname.endsWith("/pass")) {
      ctx.passThroughOnException();
      throw new Error("failing after passThroughOnException()");
    }
    if (pathname.endsWith("/throw")) {
      throw new Error("failing without passThroughOnException()");
    }
    return new Response(`worker: ${request.method} ${pathname}\n`);
  },
};
