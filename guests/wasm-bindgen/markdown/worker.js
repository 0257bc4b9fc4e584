// The ES module entry of the Worker, as workers-rs's build writes it: the
// wasm-bindgen glue (`pkg/markdown_bg.js`) is the Wasm module's import
// object, the module is instantiated once per isolate, and every request
// goes to the Rust `fetch`.
import * as glue from "./pkg/markdown_bg.js";
import wasm from "./pkg/markdown_bg.wasm";

const instance = new WebAssembly.Instance(wasm, { "./markdown_bg.js": glue });
glue.__wbg_set_wasm(instance.exports);
instance.exports.__wbindgen_start?.();

export default {
  fetch(request) {
    return glue.fetch(request);
  },
};
