// Formats a thousand errors' stacks for each request.
export default {
  fetch() {
    let length = 0;
    for (let i = 0; i < 1000; i++) length += new Error(`error ${i}`).stack.length;
    return new Response(String(length));
  },
};
