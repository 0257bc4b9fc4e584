// A WebSocket echo: each text message comes back upper-cased with a
// count, each binary message comes back reversed; "close" closes from the
// Worker's side. Plain GETs get a page that says how to connect.

export default {
  fetch(request) {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("Connect with a WebSocket client to ws://<host>/\n", { status: 426 });
    }
    const [client, server] = Object.values(new WebSocketPair());
    server.accept();
    let count = 0;
    server.addEventListener("message", (event) => {
      if (typeof event.data === "string") {
        if (event.data === "close") {
          server.close(1000, "bye");
          return;
        }
        count++;
        server.send(`${count}: ${event.data.toUpperCase()}`);
      } else {
        server.send(new Uint8Array(event.data).reverse());
      }
    });
    server.addEventListener("close", (event) => {
      console.log(`closed with ${event.code} ${event.reason} after ${count} messages`);
    });
    return new Response(null, { status: 101, webSocket: client });
  },
};
