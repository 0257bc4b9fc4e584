// The JS API of WebAssembly, as V8 gives it to Workers: objects made in JS
// and passed to Wasm, Wasm's back to JS, with the identities JS expects.
import module from "./api.wasm";

const memory = new WebAssembly.Memory({ initial: 1, maximum: 2 });
const counter = new WebAssembly.Global({ value: "i32", mutable: true }, 41);
const refs = new WebAssembly.Table({ element: "externref", initial: 4 });
const thrown = new Error("thrown by JS");
let wasm;
const instance = new WebAssembly.Instance(module, {
  env: {
    memory,
    counter,
    refs,
    reenter: (x) => wasm.add(x, 1) * 2,
    fail() {
      throw thrown;
    },
  },
});
wasm = instance.exports;

// Compiled while top-level code runs: Workers may not compile bytes later.
const streaming = WebAssembly.instantiateStreaming(
  new Response(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])),
  {},
);

async function check() {
  const streamed = await streaming;
  const object = { name: "kept by Wasm" };
  wasm.keep(0, object);
  wasm.keep(1, null);
  wasm.bump();
  const view = new Uint8Array(memory.buffer);
  wasm.store(10, 200);
  const viewByte = view[10];
  const before = memory.buffer;
  const grownFrom = memory.grow(1);
  let caught;
  try {
    wasm.callFail();
  } catch (error) {
    caught = error;
  }
  const other = new WebAssembly.Instance(module, {
    env: { memory, counter, refs, reenter: (x) => x, fail() {} },
  });
  wasm.fns.set(1, other.exports.add);
  return {
    externref: wasm.kept(0) === object,
    tableGet: refs.get(0) === object,
    nullRef: wasm.kept(1) === null && wasm.isNull(null) === 1 && wasm.isNull(undefined) === 0,
    defaultRef: wasm.kept(2) === undefined,
    counter: counter.value,
    big: wasm.big.value === 9007199254740993n,
    mul64: String(wasm.mul64(3n, 1234567890123n)),
    fromObjects: [String(wasm.mul64({ valueOf: () => 3n }, 2n)), wasm.add({ valueOf: () => 40 }, "2")],
    divmod: wasm.divmod(17, 5),
    sameFunction: wasm.fns.get(0) === wasm.add,
    tableCall: wasm.fns.get(0)(2, 3),
    callIndirect: [wasm.callAt(0, 4, 5), wasm.callAt(1, 6, 7)],
    fnsLength: wasm.fns.length,
    reentered: wasm.outer(5),
    viewByte,
    grownFrom,
    detached: before.byteLength === 0 && view.length === 0,
    byteLength: memory.buffer.byteLength,
    sameException: caught === thrown,
    tags: [
      Object.prototype.toString.call(module),
      Object.prototype.toString.call(memory),
      String(WebAssembly),
    ],
    customSections: WebAssembly.Module.customSections(module, "note")
      .map((section) => new TextDecoder().decode(section)),
    streamed: [
      streamed.module instanceof WebAssembly.Module,
      streamed.instance instanceof WebAssembly.Instance,
      Object.keys(streamed.instance.exports).length,
    ],
    validate: [WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])), WebAssembly.validate(new Uint8Array([1]))],
  };
}

function errors() {
  const results = {};
  const attempt = (name, f) => {
    try {
      f();
      results[name] = "no error";
    } catch (error) {
      results[name] = `${error.name}: ${error.message}`;
    }
  };
  attempt("growPastMaximum", () => memory.grow(5));
  attempt("immutable", () => {
    wasm.big.value = 1n;
  });
  attempt("numberForI64", () => wasm.mul64(1, 2));
  attempt("plainFunctionInTable", () => wasm.fns.set(0, () => 1));
  attempt("tableOutOfBounds", () => wasm.fns.get(10));
  attempt("nullCall", () => wasm.callAt(wasm.fns.grow(1), 0, 0));
  attempt("callOutOfBounds", () => wasm.callAt(1000, 0, 0));
  attempt("mutableGlobalAsNumber", () =>
    new WebAssembly.Instance(module, {
      env: { memory, counter: 1, refs, reenter() {}, fail() {} },
    }));
  attempt("wrongMemory", () =>
    new WebAssembly.Instance(module, {
      env: {
        memory: new WebAssembly.Memory({ initial: 1, maximum: 8 }),
        counter,
        refs,
        reenter() {},
        fail() {},
      },
    }));
  attempt("throwingValueOf", () =>
    wasm.add({
      valueOf() {
        throw new RangeError("from valueOf");
      },
    }, 1));
  attempt("callFromValueOf", () => wasm.add({ valueOf: () => wasm.add(1, 2) }, 1));
  attempt("recursion", () => wasm.recurse(0));
  attempt("hugeMemory", () => new WebAssembly.Memory({ initial: 1 }).grow(60000));
  // Last: the memories of one isolate share one budget (--memory-mb).
  attempt("memoryBudget", () => {
    const hoard = [];
    for (let i = 0; i < 1000; i++) hoard.push(new WebAssembly.Memory({ initial: 16 }));
  });
  return results;
}

export default {
  async fetch(request) {
    switch (new URL(request.url).pathname) {
      case "/check":
        return Response.json(await check());
      case "/errors":
        return Response.json(errors());
      case "/spin":
        wasm.spin();
        return new Response("returned");
      case "/add":
        return Response.json(wasm.add(20, 22));
    }
    return new Response("not found", { status: 404 });
  },
};
