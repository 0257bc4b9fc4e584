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
    if (pathname === "/microtask") {
      // Runs before the response below; what it throws fails this request.
      return new Promise((resolve) => {
        queueMicrotask(() => {
          throw new RangeError("thrown in a microtask");
        });
        setTimeout(() => resolve(new Response("too late")), 50);
      });
    }
    if (pathname === "/timer") {
      // Never resolves: the timer's exception is the request's answer.
      return new Promise(() => {
        setTimeout(() => explode(), 1);
      });
    }
    if (pathname === "/microtask-order") {
      const order = [];
      queueMicrotask(() => order.push("microtask"));
      order.push("sync");
      await null;
      order.push("after await");
      return Response.json(order);
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
