// Stands in for Deno's telemetry helpers; see telemetry.js beside this file.
(function () {
const { internals, primordials } = __bootstrap;
const { ObjectFreeze } = primordials;

internals.__telemetryUtil = ObjectFreeze({
  updateSpanFromClientResponse() {},
  updateSpanFromError() {},
  updateSpanFromRequest() {},
});

return internals.__telemetryUtil;
})();
