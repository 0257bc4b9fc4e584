// node:net over cloudflare:sockets: a client that writes the request's
// body to 127.0.0.1:<port>, ends its side, and answers with what came
// back and the events it saw.
import net from "node:net";

export default {
  async fetch(request) {
    const port = Number(new URL(request.url).searchParams.get("port"));
    const body = await request.text();
    const events = [];
    const answer = await new Promise((resolve, reject) => {
      const chunks = [];
      const socket = net.connect({ host: "127.0.0.1", port }, () => {
        events.push("connect");
        socket.end(body);
      });
      socket.setEncoding("utf8");
      socket.on("data", (chunk) => chunks.push(chunk));
      socket.on("end", () => events.push("end"));
      socket.on("close", () => {
        events.push("close");
        resolve(chunks.join(""));
      });
      socket.on("error", reject);
    });
    return Response.json({
      answer,
      events,
      isIP: [net.isIP("127.0.0.1"), net.isIP("::1"), net.isIP("nope")],
    });
  },
};
