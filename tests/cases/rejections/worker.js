// A rejection nobody handles reaches `unhandledrejection` listeners, which
// may cancel its report; a handler added later makes `rejectionhandled`.
const seen = [];

addEventListener("unhandledrejection", (event) => {
  seen.push(`unhandled: ${event.reason.message}`);
  event.preventDefault();
});

addEventListener("rejectionhandled", (event) => {
  seen.push(`handled: ${event.promise instanceof Promise}`);
});

const tick = () => new Promise((resolve) => setTimeout(resolve, 10));

export default {
  async fetch() {
    const rejected = Promise.reject(new Error("nobody caught this"));
    await tick();
    rejected.catch(() => {});
    await tick();
    return Response.json(seen.splice(0));
  },
};
