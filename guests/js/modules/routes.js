// Routing for the two-module example: imported by ./index.js.
const greetings = new Map([
  ["en", "Hello"],
  ["fr", "Bonjour"],
  ["de", "Hallo"],
]);

export function route(url, env) {
  if (url.pathname === "/") {
    return new Response(`Routes: /greet/:lang (one of ${[...greetings.keys()].join(", ")})\n`);
  }
  const match = url.pathname.match(/^\/greet\/(\w+)$/);
  if (match && greetings.has(match[1])) {
    return new Response(`${greetings.get(match[1])}, ${env.AUDIENCE}!\n`);
  }
  return new Response("Not found\n", { status: 404 });
}
