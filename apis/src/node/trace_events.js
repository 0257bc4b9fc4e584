// node:trace_events — a Worker records no traces: as in workerd, a Tracing
// object only remembers its categories and whether it was enabled, and no
// categories are ever enabled globally.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("trace_events");
const {
  codes: { ERR_TRACE_EVENTS_CATEGORY_REQUIRED },
  validateObject,
  validateStringArray,
} = require("internal/errors");

class Tracing {
  #categories;
  #enabled = false;

  constructor(categories) {
    this.#categories = categories;
  }
  enable() {
    this.#enabled = true;
  }
  disable() {
    this.#enabled = false;
  }
  get enabled() {
    return this.#enabled;
  }
  get categories() {
    return this.#categories.join(",");
  }
  [Symbol.for("nodejs.util.inspect.custom")](depth) {
    if (typeof depth === "number" && depth < 0) return this;
    const shown = require("util").format({ enabled: this.enabled, categories: this.categories });
    return `Tracing ${shown}`;
  }
}

function createTracing(options) {
  validateObject(options, "options");
  validateStringArray(options.categories, "options.categories");
  if (options.categories.length === 0) throw new ERR_TRACE_EVENTS_CATEGORY_REQUIRED();
  return new Tracing(options.categories);
}

return {
  createTracing,
  getEnabledCategories: () => undefined,
};
})();
