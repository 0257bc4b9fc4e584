// Streams a body over time: `?chunks=N&interval=MS` chunks, one every MS
// milliseconds. The first chunk reaches the client before the last exists.
export default {
  fetch(request) {
    const url = new URL(request.url);
    const chunks = Number(url.searchParams.get("chunks") ?? 5);
    const interval = Number(url.searchParams.get("interval") ?? 100);
    const encoder = new TextEncoder();
    let sent = 0;
    const body = new ReadableStream({
      async pull(controller) {
        if (sent > 0) {
          await scheduler.wait(interval);
        }
        controller.enqueue(encoder.encode(`chunk ${sent} at ${Date.now()}\n`));
        sent += 1;
        if (sent === chunks) {
          controller.close();
        }
      },
    });
    return new Response(body, {
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  },
};
