// JS calling Wasm and Wasm calling JS, with the module rules wrangler has:
// .wasm as a WebAssembly.Module, .txt/.md as text, .bin as an ArrayBuffer.
import math from "./math.wasm";
import greeting from "./greeting.txt";
import notes from "./notes.md";
import blob from "./blob.bin";
import settings from "./settings.json";

const reported = [];
const instance = new WebAssembly.Instance(math, {
  host: { report: (value) => reported.push(value) },
});
const wasm = instance.exports;

export default {
  async fetch(request) {
    const { pathname, searchParams } = new URL(request.url);
    switch (pathname) {
      case "/modules":
        return Response.json({
          isModule: math instanceof WebAssembly.Module,
          exports: WebAssembly.Module.exports(math).map((e) => `${e.name}:${e.kind}`),
          greeting,
          notes,
          blob: [blob instanceof ArrayBuffer, ...new Uint8Array(blob)],
          settings,
        });
      case "/add":
        return Response.json(wasm.add(Number(searchParams.get("a")), Number(searchParams.get("b"))));
      case "/callback":
        wasm.double_and_report(21);
        return Response.json(reported);
      case "/memory": {
        const bytes = new TextEncoder().encode(searchParams.get("text"));
        new Uint8Array(wasm.memory.buffer).set(bytes, 16);
        const before = wasm.memory.buffer.byteLength;
        const previous = wasm.grow(1);
        return Response.json({
          sum: wasm.sum(16, bytes.length),
          grown: wasm.memory.buffer.byteLength - before,
          previous: previous > 0,
          pastMaximum: wasm.grow(100),
        });
      }
      case "/trap-caught":
        try {
          wasm.crash();
          return new Response("no trap");
        } catch (error) {
          return Response.json({
            runtimeError: error instanceof WebAssembly.RuntimeError,
            message: error.message,
          });
        }
      case "/trap":
        wasm.crash();
        return new Response("no trap");
      case "/missing-import":
        try {
          new WebAssembly.Instance(math, { host: {} });
          return new Response("linked");
        } catch (error) {
          return Response.json({
            linkError: error instanceof WebAssembly.LinkError,
            message: error.message,
          });
        }
      case "/instantiate": {
        const result = await WebAssembly.instantiate(math, { host: { report() {} } });
        const rejected = await WebAssembly.instantiate(math, {}).then(
          () => "resolved",
          (error) => `${error.name}: ${error.message}`,
        );
        return Response.json({ add: result.exports.add(2, 3), rejected });
      }
      case "/invalid":
        try {
          new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1]));
          return new Response("compiled");
        } catch (error) {
          return Response.json({ compileError: error instanceof WebAssembly.CompileError });
        }
    }
    return new Response("not found", { status: 404 });
  },
};
