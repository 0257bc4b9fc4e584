// /loop spins forever; anything else answers at once.
export default {
  fetch(request) {
    if (new URL(request.url).pathname.endsWith("/spin")) {
      for (;;) {}
    }
    return new Response("still here\n");
  },
};
