// Worker B looks for A's marks.
let count = 0;
export default {
  fetch() {
    count += 1;
    globalThis.secretOfB = "b-secret";
    return Response.json({ worker: "b", count, seesA: typeof globalThis.secretOfA });
  },
};
