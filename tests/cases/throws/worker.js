// Fails in the ways a Worker can fail, next to a route that works.
function explode() {
  throw new Error("boom from the worker");
}

export default {
  async fetch(request) {
    const { pathname } = new URL(request.url);
    if (pathname === "/throw") {
      explode();
    }
    if (pathname === "/reject") {
      await null;
      throw new TypeError("rejected after an await");
    }
    if (pathname === "/not-a-response") {
      return "just a string";
    }
    if (pathname === "/used-body") {
      const response = new Response("once");
      await response.text();
      return response;
    }
    return new Response("ok");
  },
};
