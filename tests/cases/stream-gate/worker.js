// GET /stream sends "start", then holds the body open until GET /release
// arrives; proves that the first bytes reach the client before the body is
// complete. Run with one isolate so both requests share this module state.
let release = null;
const released = new Promise((resolve) => {
  release = resolve;
});

export default {
  fetch(request) {
    const { pathname } = new URL(request.url);
    if (pathname === "/release") {
      release();
      return new Response("released\n");
    }
    const encoder = new TextEncoder();
    const body = new ReadableStream({
      async start(controller) {
        controller.enqueue(encoder.encode("start\n"));
        await released;
        controller.enqueue(encoder.encode("end\n"));
        controller.close();
      },
    });
    return new Response(body);
  },
};
