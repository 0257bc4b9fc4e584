// /loop spins forever; anything else answers at once, with how many
// requests this isolate has answered so far.
let answered = 0;
export default {
  fetch(request) {
    if (new URL(request.url).pathname.endsWith("/spin")) {
      for (;;) {}
    }
    answered++;
    return new Response(`still here (${answered})\n`);
  },
};
