// What a call across the JS/Wasm boundary costs: `GET /?n=200000` times n
// calls of a JS function, of a Wasm export from JS, and of a Wasm export
// that calls a JS import, and n reads of `memory.buffer`, and answers
// nanoseconds per call (scripts/bench-wasm runs it).
//
// The module, compiled from this text (its bytes are inlined below):
//
//   (module
//     (import "env" "identity" (func $identity (param i32) (result i32)))
//     (memory (export "memory") 1)
//     (func (export "add") (param i32 i32) (result i32)
//       local.get 0 local.get 1 i32.add)
//     (func (export "callOut") (param i32) (result i32)
//       local.get 0 call $identity))

const bytes = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 12, 2, 96, 1, 127, 1, 127, 96, 2, 127, 127,
  1, 127, 2, 16, 1, 3, 101, 110, 118, 8, 105, 100, 101, 110, 116, 105, 116,
  121, 0, 0, 3, 3, 2, 1, 0, 5, 3, 1, 0, 1, 7, 26, 3, 6, 109, 101, 109, 111,
  114, 121, 2, 0, 3, 97, 100, 100, 0, 1, 7, 99, 97, 108, 108, 79, 117, 116,
  0, 2, 10, 16, 2, 7, 0, 32, 0, 32, 1, 106, 11, 6, 0, 32, 0, 16, 0, 11,
]);

const identity = (x) => x;
const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
  env: { identity },
});

/** Nanoseconds per run of `body` over `n` runs. */
function time(n, body) {
  const start = performance.now();
  body(n);
  return Math.round(((performance.now() - start) * 1e6) / n);
}

export default {
  fetch(request) {
    const n = Number(new URL(request.url).searchParams.get("n") ?? 100000);
    let sink = 0;
    const result = {
      jsCall: time(n, (n) => {
        for (let i = 0; i < n; i++) sink += identity(i);
      }),
      wasmCall: time(n, (n) => {
        for (let i = 0; i < n; i++) sink += exports.add(i, 1);
      }),
      wasmCallingJs: time(n, (n) => {
        for (let i = 0; i < n; i++) sink += exports.callOut(i);
      }),
      memoryBuffer: time(n, (n) => {
        for (let i = 0; i < n; i++) sink += exports.memory.buffer.byteLength;
      }),
    };
    return Response.json({ ...result, sink });
  },
};
