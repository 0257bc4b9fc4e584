// Queues: a producer binding (`env.JOBS.send(...)`) and what a consumer's
// `queue(batch, env, ctx)` handler receives.
//
// A body is serialised here by its content type, as workerd does it
// (`json` by default from 2024-03-18, `v8` before), and the host stores it
// (`ops.rs`). A consumer's calls to `ack`/`retry`/`ackAll`/`retryAll` are
// recorded with workerd's rules for one after another, and reported back
// to the host's consumer loop when the handler is done.

import { op_queue_metrics, op_queue_send } from "ext:core/ops";
import { core, encoding, primordials } from "ext:isola_global_scope/00_infra.js";
import { serialize as cloneBytes } from "ext:isola_global_scope/10_cloning.js";
import { registerBinding } from "ext:isola_global_scope/40_env.js";

const {
  ArrayBufferIsView,
  ArrayIsArray,
  ArrayPrototypeMap,
  ArrayPrototypePush,
  Date,
  Error,
  JSONParse,
  JSONStringify,
  ObjectFreeze,
  SafeMap,
  MapPrototypeGet,
  MapPrototypeSet,
  String,
  StringPrototypeToLowerCase,
  TypeError,
  TypedArrayPrototypeGetBuffer,
  TypedArrayPrototypeGetByteLength,
  TypedArrayPrototypeGetByteOffset,
  TypedArrayPrototypeSet,
  Uint8Array,
} = primordials;
const { TextDecoder, TextEncoder } = encoding;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const CONTENT_TYPES = ["text", "bytes", "json", "v8"];

/** The content type of a message that names none. */
let defaultContentType = "json";

/** Sets the default content type by the Worker's compatibility date and flags. */
export function setQueueDefaults(compatibilityDate, compatibilityFlags) {
  const flags = compatibilityFlags ?? [];
  const json = flags.includes("queues_json_messages") ||
    (!flags.includes("queues_v8_messages") && (compatibilityDate ?? "") >= "2024-03-18");
  defaultContentType = json ? "json" : "v8";
}

function contentTypeOf(given) {
  if (given === undefined) return defaultContentType;
  const type = StringPrototypeToLowerCase(String(given));
  if (!CONTENT_TYPES.includes(type)) {
    throw new TypeError(`Unsupported queue message content type: ${given}`);
  }
  return type;
}

/** A message body as bytes, by its content type. */
function serialize(body, type) {
  if (body === undefined) {
    throw new TypeError("Message body cannot be undefined");
  }
  switch (type) {
    case "text":
      if (typeof body !== "string") {
        throw new TypeError(
          `Content Type "text" requires a value of type string, but received: ${typeof body}`,
        );
      }
      return encoder.encode(body);
    case "bytes":
      if (!ArrayBufferIsView(body)) {
        throw new TypeError(
          `Content Type "bytes" requires a value of type ArrayBufferView, but received: ${typeof body}`,
        );
      }
      return new Uint8Array(
        TypedArrayPrototypeGetBuffer(body),
        TypedArrayPrototypeGetByteOffset(body),
        TypedArrayPrototypeGetByteLength(body),
      );
    case "json":
      return encoder.encode(JSONStringify(body));
    default:
      return cloneBytes(body);
  }
}

function deserialize(bytes, type) {
  switch (type) {
    case "text":
      return decoder.decode(bytes);
    case "bytes":
      return bytes;
    case "json":
      return JSONParse(decoder.decode(bytes));
    default:
      return core.deserialize(bytes);
  }
}

function delayOf(options) {
  const delay = options?.delaySeconds;
  return delay === undefined ? null : +delay;
}

function metricsOf(backlog) {
  const metrics = {
    backlogCount: backlog.backlogCount,
    backlogBytes: backlog.backlogBytes,
  };
  if (backlog.oldestMessageTimestamp !== 0) {
    metrics.oldestMessageTimestamp = new Date(backlog.oldestMessageTimestamp);
  }
  return { metadata: { metrics } };
}

/** A producer binding: `env.JOBS`. */
export class WorkerQueue {
  #binding;

  constructor(binding) {
    this.#binding = binding;
  }

  async send(body, options = undefined) {
    const type = contentTypeOf(options?.contentType);
    const bytes = serialize(body, type);
    return await this.#send("send", [bytes], [[type, bytes.length, delayOf(options)]]);
  }

  async sendBatch(messages, options = undefined) {
    const list = ArrayIsArray(messages) ? messages : [...messages];
    if (list.length === 0) {
      throw new TypeError("sendBatch() requires at least one message");
    }
    const batchDelay = delayOf(options);
    const parts = [];
    const described = [];
    for (let i = 0; i < list.length; i++) {
      const message = list[i];
      const type = contentTypeOf(message.contentType);
      const bytes = serialize(message.body, type);
      ArrayPrototypePush(parts, bytes);
      ArrayPrototypePush(described, [type, bytes.length, delayOf(message) ?? batchDelay]);
    }
    return await this.#send("sendBatch", parts, described);
  }

  async #send(method, parts, described) {
    let total = 0;
    for (let i = 0; i < parts.length; i++) total += parts[i].length;
    const bodies = new Uint8Array(total);
    let at = 0;
    for (let i = 0; i < parts.length; i++) {
      TypedArrayPrototypeSet(bodies, parts[i], at);
      at += parts[i].length;
    }
    try {
      return metricsOf(await op_queue_send(this.#binding, bodies, described));
    } catch (error) {
      if (error instanceof TypeError) throw error;
      throw new Error(`Queue ${method} failed: ${error?.message ?? error}`);
    }
  }

  async metrics() {
    return metricsOf(await op_queue_metrics(this.#binding)).metadata.metrics;
  }
}

function warn(message) {
  globalThis.console?.warn(message);
}

const ACK = "ack";

/** One message of a batch a consumer receives. */
class Message {
  #batch;
  #id;

  constructor(batch, raw) {
    this.#batch = batch;
    this.#id = raw.id;
    this.id = raw.id;
    this.timestamp = new Date(raw.timestamp);
    this.attempts = raw.attempts;
    this.body = deserialize(raw.body, raw.contentType);
    ObjectFreeze(this);
  }

  ack() {
    const state = this.#batch.decision(this.#id);
    const all = this.#batch.all;
    if (all === ACK) return;
    if (all !== null) {
      warn(
        `Received a call to ack() on message ${this.#id} after retryAll() was already called. Calling ack() on a message after calling retryAll() has no effect.`,
      );
      return;
    }
    if (state !== undefined && state !== ACK) {
      warn(
        `Received a call to ack() on message ${this.#id} after retry() was already called. Calling ack() on a message after calling retry() has no effect.`,
      );
      return;
    }
    this.#batch.decide(this.#id, ACK);
  }

  retry(options = undefined) {
    const state = this.#batch.decision(this.#id);
    if (this.#batch.all === ACK || state === ACK) {
      const after = this.#batch.all === ACK ? "ackAll()" : "ack()";
      warn(
        `Received a call to retry() on message ${this.#id} after ${after} was already called. Calling retry() on a message after calling ${after} has no effect.`,
      );
      return;
    }
    this.#batch.decide(this.#id, { delaySeconds: delayOf(options) });
  }
}

/** Calls to `ack`/`retry` and their batch forms, kept apart from the batch. */
class Decisions {
  all = null;
  #byId = new SafeMap();

  decision(id) {
    return MapPrototypeGet(this.#byId, id);
  }

  decide(id, decision) {
    MapPrototypeSet(this.#byId, id, decision);
  }
}

/** What a consumer's `queue` handler receives. */
class MessageBatch {
  #decisions;

  constructor(queue, messages, decisions) {
    this.#decisions = decisions;
    this.queue = queue;
    this.messages = ObjectFreeze(ArrayPrototypeMap(messages, (raw) => new Message(decisions, raw)));
  }

  ackAll() {
    if (this.#decisions.all !== null && this.#decisions.all !== ACK) {
      warn(
        "Received a call to ackAll() after retryAll() was already called. Calling ackAll() after calling retryAll() has no effect.",
      );
      return;
    }
    this.#decisions.all = ACK;
  }

  retryAll(options = undefined) {
    if (this.#decisions.all === ACK) {
      warn(
        "Received a call to retryAll() after ackAll() was already called. Calling retryAll() after calling ackAll() has no effect.",
      );
      return;
    }
    this.#decisions.all = { delaySeconds: delayOf(options) };
  }
}

/** A batch for a consumer, and how to report what it decided. */
export function newMessageBatch(queue, messages) {
  const decisions = new Decisions();
  const batch = new MessageBatch(queue, messages, decisions);
  /**
   * Each message's decision, its own or else the batch's:
   * `[id, "ack" | "retry" | null, retry delay in seconds or null]`.
   */
  const report = () =>
    ArrayPrototypeMap(messages, (raw) => {
      const decision = decisions.decision(raw.id) ?? decisions.all;
      if (decision === null || decision === undefined) return [raw.id, null, null];
      if (decision === ACK) return [raw.id, "ack", null];
      return [raw.id, "retry", decision.delaySeconds];
    });
  return { batch, report };
}

registerBinding("queue", (name) => new WorkerQueue(name));
