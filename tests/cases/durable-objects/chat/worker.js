// A chat room per name: the object accepts each client's socket with the
// hibernation API and broadcasts what one says to all; "ping" is answered
// without waking it. Each message says how many times a room object was
// made, which shows when it hibernated and woke.
import { DurableObject } from "cloudflare:workers";

let made = 0;

export class Room extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    made++;
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  fetch(request) {
    const user = new URL(request.url).searchParams.get("user") ?? "anonymous";
    const [client, server] = Object.values(new WebSocketPair());
    this.ctx.acceptWebSocket(server, [user]);
    server.serializeAttachment({ user });
    this.broadcast(`${user} joined (${this.ctx.getWebSockets().length} here)`);
    return new Response(null, { status: 101, webSocket: client });
  }

  async webSocketMessage(socket, message) {
    const { user } = socket.deserializeAttachment();
    const said = ((await this.ctx.storage.get("said")) ?? 0) + 1;
    await this.ctx.storage.put("said", said);
    this.broadcast(`${user}: ${message} (#${said}, tags ${this.ctx.getTags(socket).join(",")}, made ${made})`);
  }

  webSocketClose(socket, code, reason) {
    this.broadcast(`${socket.deserializeAttachment().user} left (${code} ${reason})`);
  }

  broadcast(text) {
    for (const socket of this.ctx.getWebSockets()) {
      if (socket.readyState === WebSocket.OPEN) {
        socket.send(text);
      }
    }
  }
}

export default {
  fetch(request, env) {
    const url = new URL(request.url);
    const room = url.pathname.slice(1) || "lobby";
    if (request.headers.get("upgrade") !== "websocket") {
      return new Response("connect with a WebSocket", { status: 426 });
    }
    return env.ROOMS.getByName(room).fetch(request);
  },
};
