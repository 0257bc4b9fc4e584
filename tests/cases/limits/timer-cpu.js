// /burn computes in its timers' callbacks: 20 of them, one after another,
// each for 10 ms, and answers once they have all run. Anything else waits
// a second on a timer, computing nothing, and answers.
function compute(ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {}
}

export default {
  async fetch(request) {
    if (new URL(request.url).pathname === "/burn") {
      for (let i = 0; i < 20; i++) {
        await new Promise((resolve) =>
          setTimeout(() => {
            compute(10);
            resolve();
          }, 1)
        );
      }
      return new Response("burnt");
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    return new Response("waited");
  },
};
