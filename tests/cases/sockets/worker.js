// connect() from cloudflare:sockets: writes what the request's body says
// to 127.0.0.1:<port>, half-closes, and answers with what came back.
import { connect } from "cloudflare:sockets";

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const port = Number(url.searchParams.get("port"));
    const socket = connect({ hostname: "127.0.0.1", port }, {
      secureTransport: url.searchParams.get("tls") ?? "off",
    });
    try {
      const { remoteAddress } = await socket.opened;
      const writer = socket.writable.getWriter();
      await writer.write(new Uint8Array(await request.arrayBuffer()));
      await writer.close();
      const answer = await new Response(socket.readable).text();
      await socket.closed;
      return Response.json({ answer, remoteAddress });
    } catch (error) {
      return Response.json({ error: `${error.name}: ${error.message}` }, { status: 502 });
    }
  },
};
