// Allocates without bound until the isolate runs out of memory.
export default {
  fetch() {
    const hoard = [];
    for (;;) {
      hoard.push(new Array(100_000).fill(hoard.length));
    }
  },
};
