// A Worker that asks another Worker of the same host, through the service
// binding AUTH, who is calling; and passes a streamed answer through.
export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname === "/stream") {
      return env.AUTH.fetch("https://auth.internal/stream");
    }
    if (pathname === "/nobody") {
      try {
        await env.NOBODY.fetch("https://nobody.internal/");
        return new Response("answered");
      } catch (error) {
        return new Response(`${error.constructor.name}: ${error.message}`, { status: 502 });
      }
    }
    const answer = await env.AUTH.fetch("https://auth.internal/check?from=front", {
      method: "POST",
      headers: { authorization: request.headers.get("authorization") ?? "" },
      body: JSON.stringify({ path: pathname }),
    });
    return Response.json({
      status: answer.status,
      header: answer.headers.get("x-auth"),
      answer: await answer.json(),
    });
  },
};
