// RPC calls, from both ends, as workerd makes them.
//
// Calling: a service binding or a stub is a proxy on which any name is a
// method to call remotely (`env.SVC.add(1, 2)`), or a property to read
// (`await env.SVC.version`); a chain of names is one path the other side
// walks (`env.SVC.config.get()`). A call returns an RPC promise: awaited,
// the result; or used at once, as the result will be (`env.SVC.counter()
// .increment()` without awaiting the middle step). Each such step is sent
// once the result it follows has arrived.
//
// Stubs: a function or an RpcTarget sent over RPC stays where it is and is
// exported (`exported` below); the other side gets a stub, which it may
// `dup()` and must dispose of (`using`, `[Symbol.dispose]()`), or the
// engine's collector does it. Stubs received as arguments are disposed of
// when the call returns, as workerd does; those in a result belong to the
// caller, and disposing of the result disposes of them. Once no stub
// reaches an exported object, it is dropped here, and its own
// `[Symbol.dispose]()` runs.
//
// Serving: a call names an entrypoint or an exported object, and a path on
// it; `lookup()` walks it with workerd's rules: methods and getters of the
// class but not own properties (which hold `env` and `ctx`), own
// properties of plain objects, nothing inherited from `Object`, and names
// reserved by the runtime refused.

import { op_rpc_stub_call, op_rpc_stub_dup, op_rpc_stub_local } from "ext:core/ops";
import {
  core,
  DOMException,
  primordials,
  reportUncaught,
} from "ext:isola_global_scope/00_infra.js";
import {
  currentInvocation,
  takeSubrequest,
  TOO_MANY_SUBREQUESTS,
} from "ext:isola_global_scope/30_events.js";
import {
  extras,
  fromHost,
  isByReference,
  RpcTarget,
  rpcDecode,
  rpcEncode,
} from "ext:isola_global_scope/45_rpc_values.js";

const {
  ArrayPrototypeJoin,
  ArrayPrototypePush,
  ArrayPrototypeSlice,
  Error,
  FunctionPrototypeApply,
  FunctionPrototypeBind,
  ObjectDefineProperty,
  ObjectGetPrototypeOf,
  ObjectHasOwn,
  ObjectKeys,
  ObjectPrototype,
  ObjectPrototypeIsPrototypeOf,
  PromisePrototypeCatch,
  PromisePrototypeFinally,
  PromisePrototypeThen,
  PromiseResolve,
  Proxy,
  ReflectGetOwnPropertyDescriptor,
  ReflectOwnKeys,
  SafeMap,
  SafeFinalizationRegistry,
  SafeSet,
  SafeWeakMap,
  SymbolDispose,
  SymbolFor,
  SymbolToStringTag,
  TypeError,
} = primordials;

/** `Symbol.dispose`, where the engine has it. */
const DISPOSE = SymbolDispose ?? SymbolFor("nodejs.dispose");

const DISPOSED = "RPC stub used after being disposed.";

/** Names no call may reach: on entrypoints, and on other objects. */
const RESERVED_ON_ENTRYPOINTS = new SafeSet([
  "fetch",
  "connect",
  "alarm",
  "webSocketMessage",
  "webSocketClose",
  "webSocketError",
  "dup",
  "constructor",
]);
const RESERVED = new SafeSet(["dup", "constructor"]);

// --- Exported objects -------------------------------------------------

/** Objects this isolate exported, by id, and how many ids each has. */
const exported = new SafeMap();
const exportCounts = new SafeMap();
let nextExport = 1;

function exportObject(target) {
  const id = nextExport;
  nextExport = nextExport >= 0xffffffff ? 1 : nextExport + 1;
  exported.set(id, target);
  exportCounts.set(target, (exportCounts.get(target) ?? 0) + 1);
  return id;
}

/** No stub reaches export `id` any more (the host's release event). */
export function releaseExport(id) {
  const target = exported.get(id);
  if (target === undefined) {
    return;
  }
  exported.delete(id);
  const count = exportCounts.get(target) - 1;
  if (count > 0) {
    exportCounts.set(target, count);
    return;
  }
  exportCounts.delete(target);
  if (typeof target === "object" && typeof target[DISPOSE] === "function") {
    try {
      PromisePrototypeCatch(
        PromiseResolve(target[DISPOSE]()),
        (error) => reportUncaught("Uncaught (in RpcTarget dispose)", error),
      );
    } catch (error) {
      reportUncaught("Uncaught (in RpcTarget dispose)", error);
    }
  }
}

// --- Stubs --------------------------------------------------------------

/**
 * Where a stub's calls go: `send(path, apply, encoded)` makes one call;
 * `rid` is the stub's resource (null for a service binding, which is
 * never disposed).
 */
class Remote {
  constructor(send, rid) {
    this.send = send;
    this.rid = rid;
    this.disposed = false;
  }

  dispose() {
    if (this.disposed || this.rid === null) {
      return;
    }
    this.disposed = true;
    collected.unregister(this);
    core.tryClose(this.rid);
  }
}

/** The remote each stub (a proxy) calls. */
const remotes = new SafeWeakMap();

/** Stubs the collector found unreachable let go of what they reach. */
const collected = new SafeFinalizationRegistry((rid) => core.tryClose(rid));

/**
 * Headers a call to another Worker carries: one less hop for the loop
 * limit, and the chain whose subrequest budget it shares.
 */
export function hopHeaders() {
  const invocation = currentInvocation();
  return invocation === null ? [] : invocation.hopHeaders();
}

/** A stub of resource `rid`, a capability another isolate sent. */
function stubOf(rid) {
  const remote = new Remote(
    (path, apply, encoded) =>
      op_rpc_stub_call(rid, path, apply, hopHeaders(), encoded.bytes, extras(encoded)),
    rid,
  );
  const stub = makeStub(remote);
  collected.register(stub, rid, remote);
  return stub;
}

function illegalConstructor() {
  throw new TypeError("Illegal constructor");
}

/**
 * What a name means on every proxy here before it can be a remote member:
 * `constructor`, the class's tag, and what objects inherit from `Object`
 * (`toString()` and the like) stay local, as on workerd's stubs.
 */
function local(name, tag, constructor) {
  if (name === "constructor") {
    return { value: constructor };
  }
  if (name === SymbolToStringTag) {
    return { value: tag };
  }
  if (typeof name === "string" && name in ObjectPrototype) {
    return { value: name === "__proto__" ? null : ObjectPrototype[name] };
  }
  return null;
}

/**
 * A function-like proxy: `get` gets the names that are not `local()`,
 * `apply` the calls.
 */
function callable(tag, constructor, get, apply) {
  return new Proxy(() => {}, {
    get: (_, name) => (local(name, tag, constructor) ?? { value: get(name) }).value,
    apply: (_, _this, args) => apply(args),
    has: () => false,
  });
}

/** What a stub of `remote` shows: any name is a remote member. */
function makeStub(remote) {
  const stub = callable(
    "RpcStub",
    RpcStub,
    (name) => {
      if (name === DISPOSE) {
        return () => remote.dispose();
      }
      if (name === "dup") {
        return () => {
          if (remote.disposed) {
            throw new Error(DISPOSED);
          }
          return stubOf(op_rpc_stub_dup(remote.rid));
        };
      }
      return typeof name === "symbol" || name === "then" ? undefined : member(remote, [name]);
    },
    (args) => call(remote, [], true, args),
  );
  remotes.set(stub, remote);
  return stub;
}

/**
 * A service binding or a Durable Object's stub: `fetch()` and `connect()`
 * of `fetcher`, the properties of `own`, and any other name a member of
 * the Worker's entrypoint or the object, reached by `send(path, apply,
 * encoded)`.
 */
export function serviceStub(send, fetcher, own = undefined) {
  const remote = new Remote(send, null);
  const fetch = FunctionPrototypeBind(fetcher.fetch, fetcher);
  const connect = FunctionPrototypeBind(fetcher.connect, fetcher);
  // A binding's members are made once each: `env.SVC.method` is read on
  // every call.
  const members = new SafeMap();
  const stub = new Proxy(fetcher, {
    get(_, name) {
      switch (name) {
        case "fetch":
          return fetch;
        case "connect":
          return connect;
      }
      if (own !== undefined && ObjectHasOwn(own, name)) {
        return own[name];
      }
      const known = local(name, "Fetcher", illegalConstructor);
      if (known !== null) {
        return known.value;
      }
      if (typeof name === "symbol" || name === "then") {
        return undefined;
      }
      let made = members.get(name);
      if (made === undefined) {
        made = member(remote, [name]);
        members.set(name, made);
      }
      return made;
    },
    // `own`'s properties are the stub's own, as workerd's (`Object.keys`).
    ownKeys(target) {
      const keys = ReflectOwnKeys(target);
      return own === undefined ? keys : [...keys, ...ObjectKeys(own)];
    },
    getOwnPropertyDescriptor(target, name) {
      if (own !== undefined && ObjectHasOwn(own, name)) {
        return { value: own[name], writable: false, enumerable: true, configurable: true };
      }
      return ReflectGetOwnPropertyDescriptor(target, name);
    },
  });
  remotes.set(stub, remote);
  return stub;
}

/**
 * The member at `path` of `remote`: called, awaited (each `then()` reads
 * it anew), or gone further into.
 */
function member(remote, path) {
  return callable(
    "RpcProperty",
    illegalConstructor,
    (name) => {
      if (PROMISE_METHODS.has(name)) {
        return promiseMethod(name, () => send(remote, path, false, []));
      }
      return typeof name === "symbol" ? undefined : member(remote, [...path, name]);
    },
    (args) => call(remote, path, true, args),
  );
}

const PROMISE_METHODS = new SafeSet(["then", "catch", "finally"]);

/**
 * `then`, `catch` or `finally` (`name`) of the promise `settle()` makes
 * when the method is called: what makes members and RPC promises
 * awaitable.
 */
function promiseMethod(name, settle) {
  switch (name) {
    case "then":
      return (onFulfilled, onRejected) => PromisePrototypeThen(settle(), onFulfilled, onRejected);
    case "catch":
      return (onRejected) => PromisePrototypeCatch(settle(), onRejected);
    default:
      return (onFinally) => PromisePrototypeFinally(settle(), onFinally);
  }
}

/** Calls the method at `path` of `remote`: an RPC promise of the result. */
function call(remote, path, apply, args) {
  return pipelined(send(remote, path, apply, args), []);
}

/**
 * A promise of an RPC result that can be used as the result will be: a
 * member of it read, or called, waits for the result first.
 */
function pipelined(promise, path) {
  return callable(
    "RpcPromise",
    illegalConstructor,
    (name) => {
      const result = () =>
        path.length === 0
          ? promise
          : PromisePrototypeThen(promise, (value) => follow(value, path, false));
      if (PROMISE_METHODS.has(name)) {
        return promiseMethod(name, result);
      }
      if (name === DISPOSE) {
        return () => PromisePrototypeThen(promise, disposeValue, () => {});
      }
      return typeof name === "symbol" ? undefined : pipelined(promise, [...path, name]);
    },
    (args) =>
      pipelined(PromisePrototypeThen(promise, (value) => follow(value, path, true, args)), []),
  );
}

/** The member at `path` of `value`, or its call with `args`; stubs go remote. */
function follow(value, path, apply, args = []) {
  let receiver;
  let current = value;
  for (let i = 0; i < path.length; i++) {
    const remote = remotes.get(current);
    if (remote !== undefined) {
      const rest = ArrayPrototypeSlice(path, i);
      return apply ? call(remote, rest, true, args) : send(remote, rest, false, []);
    }
    if (current === null || current === undefined) {
      throw new TypeError(`Cannot read properties of ${current} (reading '${path[i]}')`);
    }
    receiver = current;
    current = current[path[i]];
  }
  if (!apply) {
    return current;
  }
  const remote = remotes.get(current);
  if (remote !== undefined) {
    return call(remote, [], true, args);
  }
  if (typeof current !== "function") {
    throw new TypeError(`"${ArrayPrototypeJoin(path, ".")}" is not a function.`);
  }
  return FunctionPrototypeApply(current, receiver, args);
}

/** Turns what crosses by reference into capabilities, for `rpcEncode`. */
function capture(value) {
  const remote = remotes.get(value);
  if (remote === undefined) {
    return [0, exportObject(value)];
  }
  if (remote.rid === null) {
    throw new DOMException(
      "A service binding cannot be sent over RPC.",
      "DataCloneError",
    );
  }
  if (remote.disposed) {
    throw new Error(DISPOSED);
  }
  return [1, remote.rid];
}

/** Decodes `incoming`, keeping the stubs made in `stubs`. */
function decode(incoming, stubs) {
  return rpcDecode(incoming, (rid) => {
    const stub = stubOf(rid);
    ArrayPrototypePush(stubs, stub);
    return stub;
  });
}

/** Sends one call and settles with its result, or rejects with what it threw. */
async function send(remote, path, apply, args) {
  if (remote.disposed) {
    throw new Error(DISPOSED);
  }
  if (!takeSubrequest()) {
    throw new Error(TOO_MANY_SUBREQUESTS);
  }
  const answer = fromHost(await remote.send(path, apply, rpcEncode(args, capture)));
  if (answer.kind === 2) {
    throw new Error(core.decode(answer.bytes));
  }
  const stubs = [];
  const value = decode(answer, stubs);
  if (answer.kind === 1) {
    disposeAll(stubs);
    throw value;
  }
  // Disposing of a result disposes of the stubs in it.
  if (
    stubs.length > 0 && value !== null && typeof value === "object" &&
    !remotes.has(value) && !ObjectHasOwn(value, DISPOSE)
  ) {
    ObjectDefineProperty(value, DISPOSE, {
      value: () => disposeAll(stubs),
      enumerable: false,
      configurable: true,
      writable: true,
    });
  }
  return value;
}

function disposeAll(stubs) {
  for (let i = 0; i < stubs.length; i++) {
    remotes.get(stubs[i]).dispose();
  }
}

/** Disposes of a settled result (an RPC promise's `[Symbol.dispose]`). */
function disposeValue(value) {
  if (value !== null && (typeof value === "object" || typeof value === "function")) {
    const dispose = value[DISPOSE];
    if (typeof dispose === "function") {
      FunctionPrototypeApply(dispose, value, []);
    }
  }
}

/**
 * `new RpcStub(target)`: a stub to a local object, whose calls cross as
 * another Worker's would.
 */
export function RpcStub(target) {
  if (new.target === undefined) {
    throw new TypeError("Class constructor RpcStub cannot be invoked without 'new'");
  }
  if (!isByReference(target) && !isPlainObject(target)) {
    throw new TypeError(
      "RpcStubs can only wrap plain objects, functions, and RpcTarget derivatives.",
    );
  }
  return stubOf(op_rpc_stub_local(exportObject(target)));
}

// --- Serving calls -------------------------------------------------------

function isPlainObject(value) {
  return value !== null && typeof value === "object" &&
    ObjectGetPrototypeOf(value) === ObjectPrototype;
}

function notImplemented(name) {
  return new TypeError(`The RPC receiver does not implement the method "${name}".`);
}

/**
 * The member at `path` of `receiver` and the object it belongs to, by
 * workerd's rules; `ownMembers` says whether the receiver's own
 * properties are reachable (a plain object or a function) or only its
 * class's (an entrypoint or an RpcTarget).
 */
function lookup(receiver, path, ownMembers, reserved) {
  let object = receiver;
  let own = ownMembers;
  let value = receiver;
  for (let i = 0; i < path.length; i++) {
    const name = path[i];
    if (reserved.has(name)) {
      throw new TypeError(`'${name}' is a reserved method and cannot be called over RPC.`);
    }
    if (i > 0) {
      if (isPlainObject(value) || typeof value === "function") {
        own = true;
      } else if (
        value !== null && typeof value === "object" &&
        ObjectPrototypeIsPrototypeOf(RpcTarget.prototype, value)
      ) {
        own = false;
      } else {
        throw notImplemented(path[i - 1]);
      }
      object = value;
    }
    if (name === "__proto__" || ObjectHasOwn(object, name) !== own) {
      throw notImplemented(name);
    }
    value = object[name];
    if (!own && value === ObjectPrototype[name]) {
      throw notImplemented(name);
    }
  }
  return { object: path.length === 0 ? undefined : object, value };
}

/**
 * Runs a call on the object `receiver()` returns; `{ ok, encoded }`, its
 * result or what it threw, ready for the host. Stubs among the arguments
 * are disposed of once it has settled.
 */
export async function serve(receiver, path, apply, incoming, reserved) {
  const stubs = [];
  let ok = true;
  let result;
  try {
    const args = decode(fromHost(incoming), stubs);
    const target = receiver();
    const ownMembers = isPlainObject(target) || typeof target === "function";
    const { object, value } = lookup(target, path, ownMembers, reserved);
    if (apply) {
      if (typeof value !== "function") {
        throw new TypeError(`"${ArrayPrototypeJoin(path, ".")}" is not a function.`);
      }
      result = FunctionPrototypeApply(value, object, args);
    } else {
      result = value;
    }
    if (typeof result?.then === "function") {
      result = await result;
    }
  } catch (error) {
    ok = false;
    result = error;
  }
  let encoded;
  try {
    encoded = rpcEncode(result, capture);
  } catch (error) {
    ok = false;
    encoded = rpcEncode(error, capture);
  }
  disposeAll(stubs);
  return { ok, encoded };
}

/** The answer of a call that failed before it reached its receiver. */
export function thrown(error) {
  return { ok: false, encoded: rpcEncode(error, capture) };
}

/** Serves a call on export `id` of this isolate. */
export function serveExport(id, path, apply, incoming) {
  return serve(
    () => {
      const target = exported.get(id);
      if (target === undefined) {
        throw new Error(DISPOSED);
      }
      return target;
    },
    path,
    apply,
    incoming,
    RESERVED,
  );
}

/** Serves a call on an entrypoint object `receiver()` makes. */
export function serveEntrypoint(receiver, path, apply, incoming) {
  return serve(receiver, path, apply, incoming, RESERVED_ON_ENTRYPOINTS);
}
