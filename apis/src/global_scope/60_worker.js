// Runs a loaded Worker: finds its handlers, then serves the host's requests.
//
// Both syntaxes end in one `fetch(request, invocation)` function:
// - ES modules: `export default { fetch(request, env, ctx) }`, or a class
//   (`export default class extends WorkerEntrypoint`) built per request;
// - service worker: listeners added with `addEventListener("fetch", ...)`,
//   given a `FetchEvent`, with bindings as globals.
// Errors keep workerd's wording, since developers search for it.

import {
  op_worker_abandoned,
  op_worker_call_args,
  op_worker_next_requests,
  op_worker_respond,
  op_worker_respond_error,
  op_worker_respond_rpc,
} from "ext:core/ops";
import {
  core,
  describeError,
  event as eventNs,
  primordials,
  reportUncaught,
} from "ext:isola_global_scope/00_infra.js";
import {
  isResponse,
  requestFromHost,
  sendResponse,
  setIncomingCf,
} from "ext:isola_global_scope/20_http.js";
import {
  ExecutionContext,
  Invocation,
  newExecutionContext,
  newFetchEvent,
  newScheduledController,
  newScheduledEvent,
  respondedWith,
} from "ext:isola_global_scope/30_events.js";
import { makeEnv } from "ext:isola_global_scope/40_env.js";
import { extras } from "ext:isola_global_scope/45_rpc_values.js";
import {
  releaseExport,
  serveEntrypoint,
  serveExport,
  thrown,
} from "ext:isola_global_scope/46_rpc_calls.js";
import { publish } from "ext:isola_global_scope/50_cloudflare_workers.js";
import {
  defineCloudflareGlobal,
  defineNodeGlobals,
} from "ext:isola_global_scope/90_global_scope.js";
import { requireNode, setNodeCompat } from "ext:isola_node/node.js";
import { newMessageBatch, setQueueDefaults } from "ext:isola_queues/queue.js";
import {
  disallowCodeGeneration,
  evalAllowedDuringStartup,
} from "ext:isola_global_scope/92_code_generation.js";

const {
  ArrayPrototypeSlice,
  Error,
  FunctionPrototypeCall,
  JSONParse,
  JSONStringify,
  ObjectFreeze,
  ObjectKeys,
  MapPrototypeDelete,
  MapPrototypeGet,
  MapPrototypeSet,
  ObjectDefineProperty,
  ObjectEntries,
  PromisePrototypeCatch,
  PromisePrototypeThen,
  PromiseResolve,
  SafeMap,
  TypeError,
} = primordials;
const { eventTargetData, setTarget } = eventNs;

const NOT_A_RESPONSE =
  "Incorrect type for Promise: the Promise did not resolve to 'Response'.";
const NO_HANDLERS = "No event handlers were registered. This script does nothing.";

/** Listeners of `type` registered on the global scope, in order. */
function globalListeners(type) {
  const listeners = globalThis[eventTargetData]?.listeners[type];
  return listeners === undefined ? [] : ArrayPrototypeSlice(listeners);
}

/**
 * Calls the global listeners of `event.type` the way workerd does: in order,
 * with an exception from one of them failing the whole invocation (DOM
 * dispatch would only report it).
 */
function invokeGlobalListeners(event) {
  setTarget(event, globalThis);
  for (const listener of globalListeners(event.type)) {
    const callback = listener.callback;
    if (typeof callback === "function") {
      FunctionPrototypeCall(callback, globalThis, event);
    } else if (typeof callback?.handleEvent === "function") {
      callback.handleEvent(event);
    }
  }
}

/**
 * The `method` handler ("fetch", "scheduled") of an ES module Worker's
 * default export: an object's method, or a class's (WorkerEntrypoint
 * style, constructed per invocation).
 */
function moduleHandler(exported, env, method) {
  if (
    typeof exported === "function" &&
    typeof exported.prototype?.[method] === "function"
  ) {
    return (argument, invocation) =>
      new exported(newExecutionContext(invocation), env)[method](argument);
  }
  if (typeof exported?.[method] === "function") {
    return (argument, invocation) =>
      exported[method](argument, env, newExecutionContext(invocation));
  }
  return () => {
    throw new Error(`Handler does not export a ${method}() function.`);
  };
}

/** The class another Worker's call names: the default export, or a named one. */
function exportedEntrypoint(entrypoint) {
  const exported = entrypoint === null
    ? workerNamespace?.default
    : workerNamespace?.[entrypoint];
  if (exported === undefined) {
    throw new TypeError(
      `This Worker has no entrypoint named "${entrypoint}"; a service binding names an exported WorkerEntrypoint class.`,
    );
  }
  return exported;
}

/** The fetch handler of a named entrypoint another Worker calls. */
function entrypointFetchHandler(entrypoint) {
  return (request, invocation) =>
    moduleHandler(exportedEntrypoint(entrypoint), env, "fetch")(request, invocation);
}

/**
 * Runs the Durable Objects of the Worker's classes (`durable_objects/
 * objects.js` sets it): `withObject(object, env, namespace, use)`.
 */
let objectHost = null;

export function setObjectHost(host) {
  objectHost = host;
}

/** Runs `use` on Durable Object `object` of this Worker. */
function withObject(object, use) {
  return objectHost(object, env, workerNamespace, use);
}

/** The fetch handler of a Durable Object: its class's `fetch()`. */
function objectFetchHandler(object) {
  return (request) =>
    withObject(object, (instance) => {
      if (typeof instance.fetch !== "function") {
        throw new TypeError("Handler does not export a fetch() function.");
      }
      return instance.fetch(request);
    });
}

/** The `WorkerEntrypoint` an RPC call is made on, built for this call. */
function entrypointReceiver(entrypoint, invocation) {
  const exported = exportedEntrypoint(entrypoint);
  if (typeof exported !== "function" || exported.prototype === undefined) {
    throw new TypeError(
      "The RPC receiver does not support RPC: export a class that extends WorkerEntrypoint.",
    );
  }
  return new exported(newExecutionContext(invocation), env);
}

/**
 * `ctx.exports`: a service binding to each of the main module's exported
 * classes with handlers or methods (entrypoints), and to the default
 * export, calling back into this Worker.
 */
function loopbackExports(namespace) {
  const described = {};
  for (const [name, value] of ObjectEntries(namespace ?? {})) {
    const entrypoint = name === "default" ? "" : name;
    const isClass = typeof value === "function" && value.prototype !== undefined;
    if (isClass || (name === "default" && typeof value?.fetch === "function")) {
      described[name] = { type: "service", assets: false, loopback: true, entrypoint };
    }
  }
  return ObjectFreeze(makeEnv(described));
}

/** The scheduled handler of a service-worker script: its listeners. */
function serviceWorkerScheduledHandler(controller, invocation) {
  const event = newScheduledEvent(
    controller.scheduledTime,
    controller.cron,
    invocation,
  );
  if (globalListeners("scheduled").length === 0) {
    throw new Error("No scheduled event listener was registered.");
  }
  invokeGlobalListeners(event);
}

/** The fetch handler of a service-worker script: its `fetch` listeners. */
function serviceWorkerFetchHandler(request, invocation) {
  const event = newFetchEvent(request, invocation);
  invokeGlobalListeners(event);
  const response = respondedWith(event);
  if (response === null) {
    throw new Error(
      "No fetch handler responded and no upstream to proxy to specified.",
    );
  }
  return response;
}

/** Service-worker Workers see their bindings as globals. */
function defineGlobalBindings(env) {
  for (const [name, value] of ObjectEntries(env)) {
    ObjectDefineProperty(globalThis, name, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
}

let fetchHandler = null;
let scheduledHandler = null;
let queueHandler = null;

/** The invocations of requests not answered yet, by exchange id. */
const unanswered = new SafeMap();

function fail(id, invocation, error) {
  if (invocation.answered) {
    if (!invocation.abandoned) {
      reportUncaught("Uncaught", error);
    }
    return;
  }
  invocation.answered = true;
  MapPrototypeDelete(unanswered, id);
  const thrownObject = error !== null && typeof error === "object";
  op_worker_respond_error(
    id,
    describeError(error),
    invocation.passThroughOnException,
    thrownObject ? String(error.name ?? "Error") : "Error",
    thrownObject ? String(error.message ?? "") : String(error),
  );
  invocation.endIfDone();
}

function finish(id, invocation, response) {
  if (invocation.answered) {
    return;
  }
  if (!isResponse(response)) {
    fail(id, invocation, new TypeError(NOT_A_RESPONSE));
    return;
  }
  try {
    invocation.producing = sendResponse(id, response, () => invocation.endIfDone());
    invocation.answered = true;
    MapPrototypeDelete(unanswered, id);
  } catch (error) {
    fail(id, invocation, error);
    return;
  }
  invocation.endIfDone();
}

/**
 * A new invocation for request or call `id`, among those not answered yet;
 * its `headers` hold what the calls it makes carry on: `CF-EW-Via`, what is
 * left of the loop limit, and its chain's token.
 */
function beginInvocation(id, headers) {
  const invocation = new Invocation();
  invocation.id = id;
  invocation.failRequest = (error) => fail(id, invocation, error);
  invocation.takeHeaders(headers);
  MapPrototypeSet(unanswered, id, invocation);
  return invocation;
}

/** `run()`, with everything it starts (promises, timers) carrying `invocation`. */
function within(invocation, run) {
  const outer = core.getAsyncContext();
  core.setAsyncContext(invocation);
  try {
    return run();
  } finally {
    core.setAsyncContext(outer);
  }
}

function onRequest(id, method, url, headers, hasBody, entrypoint, object) {
  const handler = object !== null
    ? objectFetchHandler(object)
    : entrypoint === null
    ? fetchHandler
    : entrypointFetchHandler(entrypoint);
  const invocation = beginInvocation(id, headers);
  invocation.dropsLeftovers = object === null;
  let result;
  try {
    result = within(
      invocation,
      () => handler(requestFromHost(id, method, url, headers, hasBody), invocation),
    );
  } catch (error) {
    fail(id, invocation, error);
    return;
  }
  if (isResponse(result)) {
    finish(id, invocation, result);
    return;
  }
  PromisePrototypeThen(
    PromiseResolve(result),
    (response) => finish(id, invocation, response),
    (error) => fail(id, invocation, error),
  );
}

/**
 * Answers an RPC call from another Worker (or this one): on `entrypoint`
 * (or the default), or on an object this isolate exported.
 */
function onCall(id, headers, entrypoint, { 0: exportId, 1: path, 2: apply }, object) {
  const invocation = beginInvocation(id, headers);
  const answer = within(invocation, () => {
    const args = op_worker_call_args(id);
    if (exportId !== null) {
      return serveExport(exportId, path, apply, args);
    }
    if (object !== null) {
      return PromisePrototypeCatch(
        withObject(object, (instance) => serveEntrypoint(() => instance, path, apply, args)),
        thrown,
      );
    }
    return serveEntrypoint(() => entrypointReceiver(entrypoint, invocation), path, apply, args);
  });
  PromisePrototypeThen(answer, ({ ok, encoded }) =>
    answerOnce(id, invocation, () => op_worker_respond_rpc(id, ok, encoded.bytes, extras(encoded)))
  );
}

/** Sends an answer with `respond()`, unless the invocation has one already. */
function answerOnce(id, invocation, respond) {
  if (invocation.answered) {
    return;
  }
  invocation.answered = true;
  MapPrototypeDelete(unanswered, id);
  respond();
}

/**
 * Runs a Durable Object's `alarm()`: the host retries it when it throws
 * (`host/alarms.rs`).
 */
function onAlarm(id, headers, object, retryCount) {
  const invocation = beginInvocation(id, headers);
  const ran = within(invocation, () =>
    withObject(object, (instance) => {
      if (typeof instance.alarm !== "function") {
        throw new TypeError("This Durable Object class has no alarm() handler.");
      }
      return instance.alarm({ retryCount, isRetry: retryCount > 0 });
    })
  );
  PromisePrototypeThen(
    ran,
    () => answerOnce(id, invocation, () => op_worker_respond(id, 200, [], null)),
    (error) => fail(id, invocation, error),
  );
}

/**
 * Runs the scheduled handler; succeeds once it and its `waitUntil` work
 * have, as a cron trigger's outcome does on Cloudflare.
 */
function onScheduled(id, cron, scheduledTime) {
  const invocation = new Invocation();
  invocation.id = id;
  invocation.failRequest = (error) => fail(id, invocation, error);
  let result;
  try {
    result = within(
      invocation,
      () => scheduledHandler(newScheduledController(scheduledTime, cron), invocation),
    );
  } catch (error) {
    fail(id, invocation, error);
    return;
  }
  PromisePrototypeThen(
    PromisePrototypeThen(PromiseResolve(result), () => invocation.settled()),
    () => {
      invocation.answered = true;
      op_worker_respond(id, 200, [], null);
    },
    (error) => fail(id, invocation, error),
  );
}

/**
 * Runs the queue handler on a batch; once it and its `waitUntil` work are
 * done, reports whether it succeeded and what it decided for each message
 * (the host's consumer loop acks, retries or dead-letters them).
 */
function onQueue(id, queue, messages) {
  const invocation = new Invocation();
  invocation.id = id;
  const { batch, report } = newMessageBatch(queue, messages);
  const answer = (ok) => {
    invocation.answered = true;
    op_worker_respond(id, 200, [], JSONStringify({ ok, decisions: report() }));
  };
  invocation.failRequest = (error) => {
    reportUncaught("Uncaught", error);
    answer(false);
  };
  let result;
  try {
    result = within(invocation, () => queueHandler(batch, invocation));
  } catch (error) {
    invocation.failRequest(error);
    return;
  }
  PromisePrototypeThen(
    PromisePrototypeThen(PromiseResolve(result), () => invocation.settled()),
    () => answer(true),
    (error) => invocation.failRequest(error),
  );
}

/**
 * Which run of the two loops below is current. JS stopped at the CPU limit
 * unwinds whatever was on the stack, which may be either loop, or the
 * engine's own code resolving what a loop waits for; `resumeWorker` then
 * starts both again, and a loop of an older run ends at its next turn.
 */
let loops = 0;

/** Cancels the work of requests whose clients went away. */
async function watchAbandoned(run = loops) {
  while (run === loops) {
    const ids = await op_worker_abandoned();
    for (let i = 0; i < ids.length; i++) {
      const invocation = MapPrototypeGet(unanswered, ids[i]);
      if (invocation !== undefined) {
        MapPrototypeDelete(unanswered, ids[i]);
        invocation.abandon();
      }
    }
  }
}

async function serveLoop(run = loops) {
  while (run === loops) {
    const batch = await op_worker_next_requests();
    if (batch.length === 0) {
      return;
    }
    for (let i = 0; i < batch.length; i++) {
      const next = batch[i];
      if (typeof next === "number") {
        releaseExport(next);
      } else if (next.queue !== undefined) {
        onQueue(next.id, next.queue, next.messages);
      } else if (next.length === 3) {
        onScheduled(next[0], next[1], next[2]);
      } else {
        if (next[8] !== null) {
          onAlarm(next[0], next[3], next[7], next[8]);
        } else if (next[6] !== null) {
          onCall(next[0], next[3], next[5], next[6], next[7]);
        } else {
          onRequest(next[0], next[1], next[2], next[3], next[4], next[5], next[7]);
        }
      }
    }
  }
}

/**
 * Called by the host after it stopped a turn of JS at the CPU limit, which
 * keeps the isolate serving: starts both loops again.
 */
export function resumeWorker() {
  loops++;
  serveLoop();
  watchAbandoned();
}

let env = null;
/** The main module's namespace (undefined for a service-worker script). */
let workerNamespace;

/**
 * What `process.env` holds under `nodejs_compat_populate_process_env`: the
 * vars and secrets, text as it is and other JSON values as JSON text.
 */
function processVariables(bindings) {
  const variables = {};
  for (const name of ObjectKeys(bindings)) {
    const binding = bindings[name];
    if (binding.type === "var") {
      variables[name] = typeof binding.value === "string"
        ? binding.value
        : JSONStringify(binding.value);
    }
  }
  return variables;
}

/**
 * Called by the host before the Worker's code runs, with the JSON
 * description of the Worker (`isola::worker::WorkerVersion::description`).
 * Service-worker scripts see their bindings as globals.
 */
export function prepareWorker(isModule, description, subrequestLimit) {
  const { bindings, compatibilityDate, compatibilityFlags, nodeCompat, cf } =
    JSONParse(description);
  setIncomingCf(cf);
  if (setNodeCompat(nodeCompat, processVariables(bindings))) {
    defineNodeGlobals(requireNode, nodeCompat.globalTimers);
  }
  Invocation.subrequestLimit = subrequestLimit;
  defineCloudflareGlobal(compatibilityFlags);
  setQueueDefaults(compatibilityDate, compatibilityFlags);
  if (!evalAllowedDuringStartup(compatibilityDate, compatibilityFlags)) {
    disallowCodeGeneration();
  }
  env = makeEnv(bindings);
  publish(env);
  if (!isModule) {
    defineGlobalBindings(env);
  }
}

/**
 * Called by the host once the Worker's code has run: `namespace` is the main
 * module's namespace (undefined for a service-worker script). Throws when the
 * Worker has no handler. From here on, code is not generated from strings.
 */
export function startWorker(namespace) {
  disallowCodeGeneration();
  workerNamespace = namespace;
  ExecutionContext.exports = loopbackExports(namespace);
  if (namespace === undefined) {
    if (
      globalListeners("fetch").length === 0 &&
      globalListeners("scheduled").length === 0
    ) {
      throw new Error(NO_HANDLERS);
    }
    fetchHandler = serviceWorkerFetchHandler;
    scheduledHandler = serviceWorkerScheduledHandler;
    queueHandler = () => {
      throw new Error("No event listener registered for queue messages.");
    };
  } else {
    if (namespace.default === undefined) {
      throw new Error(NO_HANDLERS);
    }
    fetchHandler = moduleHandler(namespace.default, env, "fetch");
    scheduledHandler = moduleHandler(namespace.default, env, "scheduled");
    queueHandler = moduleHandler(namespace.default, env, "queue");
  }
  serveLoop();
  watchAbandoned();
}
