// The smallest Worker: one response, the same for every request.
export default {
  async fetch(request, env, ctx) {
    return new Response(`Hello from ${env.WORKER_NAME}!\n`);
  },
};
