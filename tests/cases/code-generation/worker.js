// Code generation from strings: allowed while top-level code runs (by
// compatibility date), refused afterwards, and always there through the
// `unsafe_eval` binding.

function attempt(work) {
  try {
    const value = work();
    return typeof value === "function" ? `function ${value.name}` : value;
  } catch (error) {
    return `${error.name}: ${error.message}`;
  }
}

const localValue = 41;
const emptyModule = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
const atStartup = {
  directEval: attempt(() => eval("localValue + 1")),
  newFunction: attempt(() => new Function("a", "return a * 2")(21)),
  wasm: attempt(() => new WebAssembly.Module(emptyModule) instanceof WebAssembly.Module),
};
const compiledAtStartup = attempt(() => new WebAssembly.Module(emptyModule));

async function rejection(promise) {
  return promise.then(
    () => "resolved",
    (error) => `${error.name}: ${error.message}`,
  );
}

export default {
  async fetch(request, env) {
    const AsyncFunction = (async () => {}).constructor;
    const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
    class Extended extends Function {
      constructor() {
        super();
      }
    }
    return Response.json({
      atStartup,
      atRequest: {
        eval: attempt(() => eval("1 + 1")),
        indirectEval: attempt(() => (0, eval)("1 + 1")),
        evalOfNonString: attempt(() => eval(7)),
        newFunction: attempt(() => new Function("return 1")),
        callFunction: attempt(() => Function("return 1")),
        viaConstructor: attempt(() => (function () {}).constructor("return 1")),
        asyncFunction: attempt(() => new AsyncFunction("return 1")),
        emptyFunction: attempt(() => typeof new Function()),
        extended: attempt(() => typeof new Extended()),
        instanceOf: (() => {}) instanceof Function,
        wasmModule: attempt(() => new WebAssembly.Module(bytes)),
        wasmCompile: await rejection(WebAssembly.compile(bytes)),
        wasmInstantiateBytes: await rejection(WebAssembly.instantiate(bytes)),
        wasmInstantiateModule: await rejection(WebAssembly.instantiate(compiledAtStartup)),
        wasmStreaming: await rejection(WebAssembly.instantiateStreaming(new Response(bytes))),
        moduleIsModule: compiledAtStartup instanceof WebAssembly.Module,
        moduleExports: attempt(() => WebAssembly.Module.exports(compiledAtStartup).length),
      },
      unsafe: {
        eval: env.UNSAFE_EVAL.eval("1 + 2"),
        newFunction: attempt(() => env.UNSAFE_EVAL.newFunction("return a + b", "sum", "a", "b")),
        sum: env.UNSAFE_EVAL.newFunction("return a + b", "sum", "a", "b")(1, 2),
        async: await env.UNSAFE_EVAL.newAsyncFunction("return await x", "later", "x")(5),
        wasm: env.UNSAFE_EVAL.newWasmModule(bytes) instanceof WebAssembly.Module,
      },
    });
  },
};
