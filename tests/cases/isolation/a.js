// Worker A leaves marks in its global scope and module state.
let count = 0;
export default {
  fetch() {
    count += 1;
    globalThis.secretOfA = "a-secret";
    return Response.json({ worker: "a", count, seesB: typeof globalThis.secretOfB });
  },
};
