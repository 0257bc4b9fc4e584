// Reached only through service bindings: answers who the caller is.
export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/stream") {
      const encoder = new TextEncoder();
      const body = new ReadableStream({
        async start(controller) {
          for (const part of ["one ", "two ", "three"]) {
            controller.enqueue(encoder.encode(part));
            await scheduler.wait(5);
          }
          controller.close();
        },
      });
      return new Response(body, { headers: { "content-type": "text/plain" } });
    }
    const token = request.headers.get("authorization");
    const user = token === "Bearer s3cret" ? "ada" : null;
    return Response.json(
      { user, method: request.method, url: request.url, body: await request.json() },
      { status: user ? 200 : 401, headers: { "x-auth": "checked" } },
    );
  },
};
