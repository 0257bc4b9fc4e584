// Stands in for Deno's OpenTelemetry module, which `deno_fetch` consults on
// every `fetch()`. Tracing is off in Workers; `fetch` only reads these names.
(function () {
const { internals, primordials } = __bootstrap;
const { ObjectFreeze, Symbol } = primordials;

const DID_NOT_ENTER = Symbol("did not enter");

internals.__telemetry = ObjectFreeze({
  TRACING_ENABLED: false,
  PROPAGATORS: [],
  DID_NOT_ENTER,
  builtinTracer() {
    return undefined;
  },
  ContextManager: ObjectFreeze({
    active() {
      return undefined;
    },
  }),
  enterSpan() {
    return DID_NOT_ENTER;
  },
  exitSpan() {},
});

return internals.__telemetry;
})();
