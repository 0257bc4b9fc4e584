// Where Deno's Web API classes differ from the standards that workerd
// follows, set right in place, once, before any Worker runs. Each fix is
// one a web-platform-test checks (tests/wpt.rs).

import { adjustGetter, event, primordials, streams } from "ext:isola_global_scope/00_infra.js";

const { ArrayFrom, FunctionPrototypeCall, ObjectDefineProperty, ObjectGetOwnPropertyDescriptor } =
  primordials;

export function installStandards() {
  // A CustomEvent made without a detail has null (DOM Standard), where
  // Deno's has undefined.
  adjustGetter(event.CustomEvent.prototype, "detail", (detail) => detail === undefined ? null : detail);

  // ReadableStream.from() takes any iterable, strings included (Streams
  // Standard); Deno's argument conversion refuses primitives.
  const from = streams.ReadableStream.from;
  ObjectDefineProperty(streams.ReadableStream, "from", {
    ...ObjectGetOwnPropertyDescriptor(streams.ReadableStream, "from"),
    value: {
      from(asyncIterable) {
        const source = typeof asyncIterable === "string" ? ArrayFrom(asyncIterable) : asyncIterable;
        return FunctionPrototypeCall(from, this, source);
      },
    }.from,
  });
}
