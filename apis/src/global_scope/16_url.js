// The global `URL`: Deno's class, constructed through its parsing op.
//
// Deno's constructor first tries a JavaScript parser for simple `http:` and
// `https:` URLs, a loop over each character that V8 compiles. QuickJS
// interprets it, and a Worker's `new URL(request.url)` took about 12 µs
// where the op Deno's `URL.parse` calls takes 3 µs for the same result. The
// constructor here converts its arguments as Deno's does and parses through
// that op; the instances, the prototype and the static methods are Deno's,
// and a subclass is constructed by Deno's constructor itself.

import { primordials, url, webidl } from "ext:isola_global_scope/00_infra.js";

const {
  FunctionPrototypeCall,
  ObjectDefineProperty,
  ObjectGetOwnPropertyDescriptors,
  ReflectConstruct,
  ReflectOwnKeys,
  TypeError,
} = primordials;

const DenoURL = url.URL;
const parse = DenoURL.parse;

export function URL(href, base = undefined) {
  if (new.target === undefined) {
    throw new TypeError(
      "Failed to construct 'URL': Please use the 'new' operator, this object constructor cannot be called as a function.",
    );
  }
  // A subclass, and Deno's `URL.parse` (which constructs `this` with a
  // private symbol, then sets the parts itself), take Deno's constructor;
  // so does any other symbol, which it refuses.
  if (new.target !== URL || typeof href === "symbol") {
    return ReflectConstruct(DenoURL, arguments, new.target);
  }
  const prefix = "Failed to construct 'URL'";
  webidl.requiredArguments(arguments.length, 1, prefix);
  href = webidl.converters.DOMString(href, prefix, "Argument 1");
  if (base !== undefined) {
    base = webidl.converters.DOMString(base, prefix, "Argument 2");
  }
  const parsed = FunctionPrototypeCall(parse, DenoURL, href, base);
  if (parsed === null) {
    throw new TypeError(`Invalid URL: '${href}'` + (base ? ` with base '${base}'` : ""));
  }
  return parsed;
}

// Deno's statics (`parse`, `canParse`, the object URLs) and prototype, whose
// `constructor` is this one; `prototype` is read-only, as a class's is.
const statics = ObjectGetOwnPropertyDescriptors(DenoURL);
for (const key of ReflectOwnKeys(statics)) {
  if (key !== "length" && key !== "name" && key !== "prototype") {
    ObjectDefineProperty(URL, key, statics[key]);
  }
}
ObjectDefineProperty(URL, "prototype", { value: DenoURL.prototype, writable: false });
ObjectDefineProperty(DenoURL.prototype, "constructor", {
  value: URL,
  writable: true,
  enumerable: false,
  configurable: true,
});
