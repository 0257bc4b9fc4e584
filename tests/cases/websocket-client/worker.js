// Connects out to the WebSocket server at ?url= and reports what it said
// back to "ping": /fetch with fetch() and Upgrade: websocket, /constructor
// with new WebSocket(url).

function firstMessage(socket) {
  return new Promise((resolve, reject) => {
    socket.addEventListener("message", (event) => resolve(event.data), { once: true });
    socket.addEventListener("error", (event) => reject(event.error), { once: true });
  });
}

export default {
  async fetch(request) {
    const { pathname, searchParams } = new URL(request.url);
    const url = searchParams.get("url");
    if (pathname === "/fetch") {
      const response = await fetch(url, { headers: { upgrade: "websocket" } });
      const socket = response.webSocket;
      socket.accept();
      const reply = firstMessage(socket);
      socket.send("ping");
      const text = await reply;
      socket.close(1000, "done");
      return Response.json({ status: response.status, reply: text });
    }
    if (pathname === "/constructor") {
      const socket = new WebSocket(url.replace(/^http/, "ws"));
      await new Promise((resolve) => socket.addEventListener("open", resolve, { once: true }));
      const reply = firstMessage(socket);
      socket.send("ping");
      const text = await reply;
      socket.close();
      return Response.json({ readyState: socket.readyState, reply: text });
    }
    return new Response("not found", { status: 404 });
  },
};
