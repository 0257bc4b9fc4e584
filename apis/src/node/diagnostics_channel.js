// node:diagnostics_channel — named channels and tracing channels. Differences
// from Node: a subscriber's (or store transform's) exception is logged with
// console.error instead of being rethrown as an uncaught exception; channels
// are kept for the life of the isolate instead of weakly; a channel is a
// single class (Node swaps in an "ActiveChannel" prototype while it has
// subscribers); tracingChannel() rejects malformed channel objects with
// ERR_INVALID_ARG_TYPE.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("diagnostics_channel");
const { codes: { ERR_INVALID_ARG_TYPE }, validateFunction } = require("internal/errors");

const channels = new Map();

/** What Node would raise as an uncaught exception: logged, publishing goes on. */
function report(err) {
  console.error(err);
}

const defaultTransform = (data) => data;

class Channel {
  constructor(name) {
    // Both undefined while nobody listens, like Node's inactive channels.
    this._subscribers = undefined;
    this._stores = undefined;
    this.name = name;
    channels.set(name, this);
  }

  get hasSubscribers() {
    return this._subscribers !== undefined;
  }

  subscribe(subscription) {
    validateFunction(subscription, "subscription");
    this.#activate();
    // Replaced, never changed in place: a publish under way keeps its list.
    this._subscribers = [...this._subscribers, subscription];
  }

  unsubscribe(subscription) {
    const index = this._subscribers?.indexOf(subscription) ?? -1;
    if (index === -1) return false;
    this._subscribers = this._subscribers.filter((_, i) => i !== index);
    this.#deactivateIfIdle();
    return true;
  }

  bindStore(store, transform) {
    this.#activate();
    this._stores.set(store, transform);
  }

  unbindStore(store) {
    if (!this._stores?.has(store)) return false;
    this._stores.delete(store);
    this.#deactivateIfIdle();
    return true;
  }

  publish(data) {
    const subscribers = this._subscribers;
    if (subscribers === undefined) return;
    for (const onMessage of subscribers) {
      try {
        onMessage(data, this.name);
      } catch (err) {
        report(err);
      }
    }
  }

  /** Runs `fn` inside every bound store (entered with the transformed `data`),
   * publishing `data` first. */
  runStores(data, fn, thisArg, ...args) {
    if (this._stores === undefined) return Reflect.apply(fn, thisArg, args);
    let run = () => {
      this.publish(data);
      return Reflect.apply(fn, thisArg, args);
    };
    for (const [store, transform = defaultTransform] of this._stores) {
      const next = run;
      run = () => {
        let context;
        try {
          context = transform(data);
        } catch (err) {
          report(err);
          return next();
        }
        return store.run(context, next);
      };
    }
    return run();
  }

  #activate() {
    if (this._subscribers === undefined) {
      this._subscribers = [];
      this._stores = new Map();
    }
  }

  #deactivateIfIdle() {
    if (this._subscribers.length === 0 && this._stores.size === 0) {
      this._subscribers = undefined;
      this._stores = undefined;
    }
  }
}

function channel(name) {
  const existing = channels.get(name);
  if (existing !== undefined) return existing;
  if (typeof name !== "string" && typeof name !== "symbol") {
    throw new ERR_INVALID_ARG_TYPE("channel", ["string", "symbol"], name);
  }
  return new Channel(name);
}

function hasSubscribers(name) {
  return channels.get(name)?.hasSubscribers ?? false;
}

function subscribe(name, subscription) {
  channel(name).subscribe(subscription);
}

function unsubscribe(name, subscription) {
  return channels.get(name)?.unsubscribe(subscription) ?? false;
}

const traceEvents = ["start", "end", "asyncStart", "asyncEnd", "error"];
const kCreate = Symbol("kCreate");

class TracingChannel {
  constructor(nameOrChannels, token) {
    // Exported, as workerd does, but made only by tracingChannel().
    if (token !== kCreate) throw new Error("Use diagnostic_channel.tracingChannels() to create TracingChannel");
    let found;
    if (typeof nameOrChannels === "string") {
      found = traceEvents.map((event) => channel(`tracing:${nameOrChannels}:${event}`));
    } else if (typeof nameOrChannels === "object" && nameOrChannels !== null) {
      found = traceEvents.map((event) => {
        const ch = nameOrChannels[event];
        if (!(ch instanceof Channel)) throw new ERR_INVALID_ARG_TYPE(`nameOrChannels.${event}`, "Channel", ch);
        return ch;
      });
    } else {
      throw new ERR_INVALID_ARG_TYPE("nameOrChannels", ["string", "object", "TracingChannel"], nameOrChannels);
    }
    traceEvents.forEach((event, i) => Object.defineProperty(this, event, { value: found[i] }));
  }

  get hasSubscribers() {
    return traceEvents.some((event) => this[event].hasSubscribers);
  }

  subscribe(handlers) {
    for (const event of traceEvents) {
      if (handlers[event]) this[event].subscribe(handlers[event]);
    }
  }

  unsubscribe(handlers) {
    let done = true;
    for (const event of traceEvents) {
      if (handlers[event] && !this[event].unsubscribe(handlers[event])) done = false;
    }
    return done;
  }

  traceSync(fn, context = {}, thisArg, ...args) {
    if (!this.hasSubscribers) return Reflect.apply(fn, thisArg, args);
    const { start, end, error } = this;
    return start.runStores(context, () => {
      try {
        const result = Reflect.apply(fn, thisArg, args);
        context.result = result;
        return result;
      } catch (err) {
        context.error = err;
        error.publish(context);
        throw err;
      } finally {
        end.publish(context);
      }
    });
  }

  tracePromise(fn, context = {}, thisArg, ...args) {
    if (!this.hasSubscribers) return Reflect.apply(fn, thisArg, args);
    const { start, end, asyncStart, asyncEnd, error } = this;
    const resolve = (result) => {
      context.result = result;
      asyncStart.publish(context);
      asyncEnd.publish(context);
      return result;
    };
    const reject = (err) => {
      context.error = err;
      error.publish(context);
      asyncStart.publish(context);
      asyncEnd.publish(context);
      return Promise.reject(err);
    };
    return start.runStores(context, () => {
      try {
        let promise = Reflect.apply(fn, thisArg, args);
        if (!(promise instanceof Promise)) promise = Promise.resolve(promise);
        return promise.then(resolve, reject);
      } catch (err) {
        context.error = err;
        error.publish(context);
        throw err;
      } finally {
        end.publish(context);
      }
    });
  }

  traceCallback(fn, position = -1, context = {}, thisArg, ...args) {
    if (!this.hasSubscribers) return Reflect.apply(fn, thisArg, args);
    const { start, end, asyncStart, asyncEnd, error } = this;
    const callback = args.at(position);
    validateFunction(callback, "callback");
    function wrappedCallback(err, res) {
      if (err) {
        context.error = err;
        error.publish(context);
      } else {
        context.result = res;
      }
      // Through runStores, so bound stores see the callback's context.
      asyncStart.runStores(context, () => {
        try {
          return Reflect.apply(callback, this, arguments);
        } finally {
          asyncEnd.publish(context);
        }
      });
    }
    args.splice(position, 1, wrappedCallback);
    return start.runStores(context, () => {
      try {
        return Reflect.apply(fn, thisArg, args);
      } catch (err) {
        context.error = err;
        error.publish(context);
        throw err;
      } finally {
        end.publish(context);
      }
    });
  }
}

function tracingChannel(nameOrChannels) {
  return new TracingChannel(nameOrChannels, kCreate);
}

const api = { channel, hasSubscribers, subscribe, tracingChannel, unsubscribe, Channel };
return { ...api, TracingChannel, default: api };
})();
