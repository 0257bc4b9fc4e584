// Calls itself through its service binding, one level deeper each time;
// the deepest call that gets an answer says how it was stopped.
export default {
  async fetch(request, env) {
    const depth = Number(new URL(request.url).searchParams.get("depth") ?? "0");
    const next = await env.SELF.fetch(`https://loop.internal/?depth=${depth + 1}`);
    if (next.status === 200) {
      return next;
    }
    return Response.json({
      depth,
      via: request.headers.get("cf-ew-via"),
      stoppedWith: next.status,
      loopLimit: (await next.text()).includes("Error 1019"),
    });
  },
};
