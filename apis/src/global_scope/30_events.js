// The event classes of the Workers runtime, and `ExecutionContext`.
//
// `FetchEvent` and `ScheduledEvent` serve service-worker syntax
// (`addEventListener("fetch", ...)`); module Workers get the same request or
// schedule plus an `ExecutionContext` as the handler's third argument. Both
// share one list of `waitUntil` promises per invocation.

import { op_worker_take_subrequest } from "ext:core/ops";
import {
  abortSignal,
  core,
  DOMException,
  event as eventNs,
  primordials,
  reportUncaught,
} from "ext:isola_global_scope/00_infra.js";

const {
  ArrayPrototypeSplice,
  MathMin,
  NumberParseInt,
  ObjectFreeze,
  ObjectPrototypeIsPrototypeOf,
  PromisePrototypeCatch,
  PromisePrototypeFinally,
  PromiseResolve,
  SafePromiseAll,
  Symbol,
  TypeError,
} = primordials;
const { Event } = eventNs;

const constructKey = Symbol("isola.construct");
const _waitUntil = Symbol("waitUntil");
const _passThrough = Symbol("passThrough");
const _response = Symbol("response");
const _request = Symbol("request");

/**
 * Per-invocation state shared by the event object and `ExecutionContext`.
 * It is also the async context while the invocation's code runs (and of
 * the timers and promises it starts), so that `fetch()` can count
 * subrequests against the invocation that made them, and a timer can tell
 * whether the invocation that set it is still live.
 */
export class Invocation {
  /** `fetch()` calls allowed per invocation (set per Worker). */
  static subrequestLimit = 50;

  constructor() {
    /** The host's id of its event, once the host gave it one. */
    this.id = null;
    this.subrequests = 0;
    this.passThroughOnException = false;
    this.waiting = null;
    /** Whether the host has its answer (a response or a failure). */
    this.answered = false;
    /** Fails the invocation's request (set by whoever started it). */
    this.failRequest = null;
    /** `waitUntil` promises not settled yet. */
    this.pending = 0;
    /**
     * Whether its response is still being produced (a body stream JS
     * writes, an open WebSocket), once answered; null if nothing is.
     */
    this.producing = null;
    /** Set once its client went away before it was answered. */
    this.abandoned = false;
    /** Aborts its subrequests (made on first use). */
    this.controller = null;
    /** What else to stop if its client goes away (`onAbandon`). */
    this.onAbandoned = null;
    /**
     * Whether what it leaves in flight is dropped once it ends (a request
     * to a Worker; a Durable Object's work outlives its requests).
     */
    this.dropsLeftovers = false;
    /**
     * What its subrequests carry in `CF-EW-Via`: how many more Workers a
     * chain of requests may pass through (Cloudflare's loop limit), one
     * less than its own request carried.
     */
    this.via = String(LOOP_LIMIT - 1);
    /**
     * The token of the chain of requests it belongs to, which share one
     * subrequest budget (`runtime/src/limits/chain.rs`), if any.
     */
    this.chain = null;
  }

  /**
   * Reads its request's flat `headers` (`[name, value, ...]`) for what its
   * subrequests carry on, and takes the chain's token out of them: the
   * Worker does not see it.
   */
  takeHeaders(headers) {
    let via = null;
    for (let i = 0; headers !== null && i < headers.length;) {
      if (headers[i] === CHAIN_HEADER && this.chain === null) {
        this.chain = headers[i + 1];
        ArrayPrototypeSplice(headers, i, 2);
        continue;
      }
      if (headers[i] === "cf-ew-via" && via === null) {
        via = headers[i + 1];
      }
      i += 2;
    }
    const given = NumberParseInt(via, 10);
    const left = given >= 0 ? MathMin(given, LOOP_LIMIT) : LOOP_LIMIT;
    this.via = String(left > 0 ? left - 1 : 0);
  }

  /**
   * What each of its subrequests carries: one less in `CF-EW-Via`, and
   * its chain's token.
   */
  hopHeaders() {
    const via = ["cf-ew-via", this.via];
    return this.chain === null ? [via] : [via, [CHAIN_HEADER, this.chain]];
  }

  /** The signal its subrequests carry: aborted if its client goes away. */
  get signal() {
    return (this.controller ??= new abortSignal.AbortController()).signal;
  }

  /** Runs `stop` if its client goes away before it is answered. */
  onAbandon(stop) {
    (this.onAbandoned ??= []).push(stop);
  }

  /**
   * Its client went away: its subrequests are aborted, its timers stop,
   * and what registered with `onAbandon` (D1 calls) is stopped.
   */
  abandon() {
    this.abandoned = true;
    this.stop(new DOMException("The client disconnected.", "AbortError"));
  }

  /**
   * Drops what a request left in flight once it has ended (answered, its
   * `waitUntil` work settled, its response no longer produced by JS), as
   * workerd cancels a request's leftover subrequests: a `fetch()` nobody
   * waits for, a D1 call.
   */
  endIfDone() {
    if (this.dropsLeftovers && !this.abandoned && !this.live()) {
      this.stop(new DOMException("The request ended.", "AbortError"));
    }
  }

  /** Aborts its subrequests and stops what registered with `onAbandon`. */
  stop(reason) {
    this.answered = true;
    this.controller?.abort(reason);
    const stops = this.onAbandoned ?? [];
    this.onAbandoned = null;
    for (const stop of stops) {
      stop();
    }
  }

  /**
   * Whether the invocation is still live: not answered, waiting on
   * `waitUntil` work, or still producing its response. Its timers run
   * only while it is, as on workerd, where they belong to the request.
   */
  live() {
    if (this.abandoned) {
      return false;
    }
    if (!this.answered || this.pending > 0) {
      return true;
    }
    return this.producing !== null && this.producing();
  }

  /**
   * Fails the request with `error`, thrown by its code where nothing could
   * catch it (a timer, a microtask), unless it was answered already. True
   * if the error became the request's.
   */
  failUnanswered(error) {
    if (this.answered || this.failRequest === null) {
      return false;
    }
    this.failRequest(error);
    return true;
  }

  /**
   * Counts one subrequest, against its own limit and its chain's; false
   * once either is passed.
   */
  takeSubrequest() {
    this.subrequests++;
    return this.subrequests <= Invocation.subrequestLimit &&
      (this.chain === null || op_worker_take_subrequest(this.chain));
  }

  /**
   * Lets `promise` run on after the response (the isolate lives on anyway);
   * logs it if it rejects.
   */
  waitUntil(promise) {
    this.pending++;
    const settled = PromisePrototypeFinally(
      PromisePrototypeCatch(
        PromiseResolve(promise),
        (error) => reportUncaught("Uncaught (in waitUntil)", error),
      ),
      () => {
        this.pending--;
        this.endIfDone();
      },
    );
    (this.waiting ??= []).push(settled);
  }

  /** Resolves once every `waitUntil` promise so far has settled. */
  settled() {
    return this.waiting === null ? PromiseResolve() : SafePromiseAll(this.waiting);
  }
}

/** How many Workers a chain of requests may pass through, as on Cloudflare. */
const LOOP_LIMIT = 16;

/** The header that carries a chain's token to its subrequests. */
const CHAIN_HEADER = "isola-chain";

/**
 * The invocation running now (the async context of its code), if any:
 * top-level code has none.
 */
export function currentInvocation() {
  const invocation = core.getAsyncContext();
  return ObjectPrototypeIsPrototypeOf(Invocation.prototype, invocation) ? invocation : null;
}

/** Cloudflare's message when an invocation passes its subrequest limit. */
export const TOO_MANY_SUBREQUESTS = "Too many subrequests.";

/**
 * Counts a subrequest (a `fetch()`, a service binding's call) against the
 * invocation running now; false once it is over its limit.
 */
export function takeSubrequest() {
  const invocation = currentInvocation();
  return invocation === null || invocation.takeSubrequest();
}

export class ExtendableEvent extends Event {
  constructor(type, init = undefined, key = undefined) {
    if (key !== constructKey) {
      throw new TypeError("Illegal constructor");
    }
    super(type, init);
  }

  waitUntil(promise) {
    this[_waitUntil].waitUntil(promise);
  }
}

export class FetchEvent extends ExtendableEvent {
  constructor(request, invocation, key) {
    super("fetch", undefined, key);
    this[_request] = request;
    this[_waitUntil] = invocation;
    this[_response] = null;
  }

  get request() {
    return this[_request];
  }

  respondWith(response) {
    if (this[_response] !== null) {
      throw new TypeError("respondWith() was already called for this event");
    }
    this[_response] = PromiseResolve(response);
  }

  passThroughOnException() {
    this[_waitUntil].passThroughOnException = true;
  }
}

/** The `controller` argument of a module's `scheduled` handler. */
export class ScheduledController {
  #scheduledTime;
  #cron;

  constructor(scheduledTime, cron, key) {
    if (key !== constructKey) {
      throw new TypeError("Illegal constructor");
    }
    this.#scheduledTime = scheduledTime;
    this.#cron = cron;
  }

  get scheduledTime() {
    return this.#scheduledTime;
  }

  get cron() {
    return this.#cron;
  }

  get type() {
    return "scheduled";
  }

  noRetry() {}
}

export function newScheduledController(scheduledTime, cron) {
  return new ScheduledController(scheduledTime, cron, constructKey);
}

export class ScheduledEvent extends ExtendableEvent {
  #scheduledTime;
  #cron;

  constructor(scheduledTime, cron, invocation, key) {
    super("scheduled", undefined, key);
    this.#scheduledTime = scheduledTime;
    this.#cron = cron;
    this[_waitUntil] = invocation;
  }

  get scheduledTime() {
    return this.#scheduledTime;
  }

  get cron() {
    return this.#cron;
  }

  noRetry() {}
}

const NO_PROPS = ObjectFreeze({});

/** The `ctx` argument of module handlers. */
export class ExecutionContext {
  #invocation;

  constructor(invocation, key) {
    if (key !== constructKey) {
      throw new TypeError("Illegal constructor");
    }
    this.#invocation = invocation;
    this.props = NO_PROPS;
  }

  waitUntil(promise) {
    this.#invocation.waitUntil(promise);
  }

  passThroughOnException() {
    this.#invocation.passThroughOnException = true;
  }

  /**
   * Bindings to the Worker's own entrypoints (`ctx.exports.Greeter`), as
   * if another Worker had a service binding to each.
   */
  get exports() {
    return ExecutionContext.exports;
  }

  /** Set once the Worker's code has run (`startWorker`). */
  static exports = ObjectFreeze({});
}

export function newFetchEvent(request, invocation) {
  return new FetchEvent(request, invocation, constructKey);
}

export function newScheduledEvent(scheduledTime, cron, invocation) {
  return new ScheduledEvent(scheduledTime, cron, invocation, constructKey);
}

export function newExecutionContext(invocation) {
  return new ExecutionContext(invocation, constructKey);
}

/** The promise given to `respondWith()`, or null when no listener called it. */
export function respondedWith(fetchEvent) {
  return fetchEvent[_response];
}
