// /start answers at once and finishes its work in ctx.waitUntil();
// /status tells whether that work has run. One isolate shares the state.
let finished = 0;

export default {
  fetch(request, env, ctx) {
    const { pathname } = new URL(request.url);
    if (pathname === "/start") {
      ctx.waitUntil(
        scheduler.wait(50).then(() => {
          finished += 1;
        }),
      );
      return new Response("started\n");
    }
    return new Response(`finished ${finished}\n`);
  },
};
