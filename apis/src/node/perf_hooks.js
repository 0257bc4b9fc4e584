// node:perf_hooks — the Worker's own `performance` and Performance* classes,
// with workerd's stand-ins for the rest: event-loop utilisation is all
// zeros, timerify hands the function back unwrapped, and histograms and
// event-loop delay monitoring throw ERR_METHOD_NOT_IMPLEMENTED. A class
// the runtime's globals lack is undefined here.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("perf_hooks");
const { codes: { ERR_METHOD_NOT_IMPLEMENTED } } = require("internal/errors");

const constants = Object.freeze({
  // Garbage collection kinds and flags.
  NODE_PERFORMANCE_GC_MAJOR: 4,
  NODE_PERFORMANCE_GC_MINOR: 1,
  NODE_PERFORMANCE_GC_INCREMENTAL: 8,
  NODE_PERFORMANCE_GC_WEAKCB: 16,
  NODE_PERFORMANCE_GC_FLAGS_NO: 0,
  NODE_PERFORMANCE_GC_FLAGS_CONSTRUCT_RETAINED: 2,
  NODE_PERFORMANCE_GC_FLAGS_FORCED: 4,
  NODE_PERFORMANCE_GC_FLAGS_SYNCHRONOUS_PHANTOM_PROCESSING: 8,
  NODE_PERFORMANCE_GC_FLAGS_ALL_AVAILABLE_GARBAGE: 16,
  NODE_PERFORMANCE_GC_FLAGS_ALL_EXTERNAL_MEMORY: 32,
  NODE_PERFORMANCE_GC_FLAGS_SCHEDULE_IDLE: 64,
  // Entry types.
  NODE_PERFORMANCE_ENTRY_TYPE_GC: 0,
  NODE_PERFORMANCE_ENTRY_TYPE_HTTP: 1,
  NODE_PERFORMANCE_ENTRY_TYPE_HTTP2: 2,
  NODE_PERFORMANCE_ENTRY_TYPE_NET: 3,
  NODE_PERFORMANCE_ENTRY_TYPE_DNS: 4,
  // Milestones.
  NODE_PERFORMANCE_MILESTONE_TIME_ORIGIN_TIMESTAMP: 0,
  NODE_PERFORMANCE_MILESTONE_TIME_ORIGIN: 1,
  NODE_PERFORMANCE_MILESTONE_ENVIRONMENT: 2,
  NODE_PERFORMANCE_MILESTONE_NODE_START: 3,
  NODE_PERFORMANCE_MILESTONE_V8_START: 4,
  NODE_PERFORMANCE_MILESTONE_LOOP_START: 5,
  NODE_PERFORMANCE_MILESTONE_LOOP_EXIT: 6,
  NODE_PERFORMANCE_MILESTONE_BOOTSTRAP_COMPLETE: 7,
});

return {
  Performance: globalThis.Performance,
  PerformanceEntry: globalThis.PerformanceEntry,
  PerformanceMark: globalThis.PerformanceMark,
  PerformanceMeasure: globalThis.PerformanceMeasure,
  PerformanceObserver: globalThis.PerformanceObserver,
  PerformanceObserverEntryList: globalThis.PerformanceObserverEntryList,
  PerformanceResourceTiming: globalThis.PerformanceResourceTiming,
  monitorEventLoopDelay() {
    throw new ERR_METHOD_NOT_IMPLEMENTED("monitorEventLoopDelay");
  },
  createHistogram() {
    throw new ERR_METHOD_NOT_IMPLEMENTED("createHistogram");
  },
  eventLoopUtilization() {
    return { idle: 0, active: 0, utilization: 0 };
  },
  timerify(fn) {
    return fn;
  },
  performance: globalThis.performance,
  constants,
};
})();
