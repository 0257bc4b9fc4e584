// `HTMLRewriter`: streaming HTML rewriting on lol_html, as in workerd.
//
// The parser runs on a host thread (`mod.rs` beside this file). For
// each token a handler asked for, it sends an event and waits; the token's
// JS object here answers reads from the event's copy and records changes,
// which go back in one `op_html_rewriter_resume` once the handler (and
// the promise it returned, if any) is done. A token used after its handler
// returned throws, as workerd's do.

import {
  op_html_rewriter_check,
  op_html_rewriter_end,
  op_html_rewriter_new,
  op_html_rewriter_next,
  op_html_rewriter_resume,
  op_html_rewriter_write,
} from "ext:core/ops";
import {
  core,
  headers as headersNs,
  primordials,
  response as responseNs,
  streams,
} from "ext:isola_global_scope/00_infra.js";

const {
  ArrayPrototypeFindIndex,
  ArrayPrototypeMap,
  ArrayPrototypeSlice,
  ArrayPrototypePush,
  ArrayPrototypeSplice,
  JSONStringify,
  MapPrototypeDelete,
  MapPrototypeGet,
  MapPrototypeSet,
  Map,
  ObjectPrototypeIsPrototypeOf,
  String,
  StringPrototypeToLowerCase,
  SymbolIterator,
  TypeError,
} = primordials;

const OUTPUT = 0;
const ELEMENT = 1;
const END_TAG = 2;
const TEXT = 3;
const COMMENT = 4;
const DOCTYPE = 5;
const END = 6;
const DONE = 7;
const FAILED = 8;

const INVALID =
  "This content token is no longer valid. Content tokens are only valid during the execution of the relevant content handler.";

/** What every token object holds: its changes, and whether it is live. */
class Token {
  #mutations = [];
  #valid = true;

  _change(mutation) {
    if (!this.#valid) {
      throw new TypeError(INVALID);
    }
    ArrayPrototypePush(this.#mutations, mutation);
    return this;
  }

  _check() {
    if (!this.#valid) {
      throw new TypeError(INVALID);
    }
  }

  /** Ends the token's life; returns its changes as the op takes them. */
  _finish() {
    this.#valid = false;
    return JSONStringify(this.#mutations);
  }

  _insert(op, content, options) {
    return this._change({ op, content: String(content), html: options?.html === true });
  }
}

/** `before`, `after`, `replace`, `remove`: shared by most token kinds. */
class Surrounded extends Token {
  #removed = false;

  get removed() {
    this._check();
    return this.#removed;
  }

  before(content, options = undefined) {
    return this._insert("before", content, options);
  }

  after(content, options = undefined) {
    return this._insert("after", content, options);
  }

  replace(content, options = undefined) {
    this._insert("replace", content, options);
    this.#removed = true;
    return this;
  }

  remove() {
    this._change({ op: "remove" });
    this.#removed = true;
    return this;
  }
}

class Element extends Surrounded {
  #tagName;
  #attributes;
  #namespaceURI;
  #selfClosing;
  #canHaveContent;
  #rewriter;

  constructor(event, rewriter) {
    super();
    [, , this.#tagName, this.#attributes, this.#namespaceURI, this.#selfClosing, this.#canHaveContent] =
      event;
    this.#rewriter = rewriter;
  }

  get tagName() {
    this._check();
    return this.#tagName;
  }

  set tagName(name) {
    name = String(name);
    this._change({ op: "setName", name });
    this.#tagName = StringPrototypeToLowerCase(name);
  }

  get namespaceURI() {
    this._check();
    return this.#namespaceURI;
  }

  get selfClosing() {
    this._check();
    return this.#selfClosing;
  }

  get canHaveContent() {
    this._check();
    return this.#canHaveContent;
  }

  get attributes() {
    this._check();
    return this.#attributes[SymbolIterator]();
  }

  #find(name) {
    const key = StringPrototypeToLowerCase(String(name));
    return ArrayPrototypeFindIndex(this.#attributes, (a) => a[0] === key);
  }

  getAttribute(name) {
    this._check();
    const at = this.#find(name);
    return at === -1 ? null : this.#attributes[at][1];
  }

  hasAttribute(name) {
    this._check();
    return this.#find(name) !== -1;
  }

  setAttribute(name, value) {
    name = String(name);
    value = String(value);
    this._change({ op: "setAttribute", name, value });
    const at = this.#find(name);
    if (at === -1) {
      ArrayPrototypePush(this.#attributes, [StringPrototypeToLowerCase(name), value]);
    } else {
      this.#attributes[at][1] = value;
    }
    return this;
  }

  removeAttribute(name) {
    name = String(name);
    this._change({ op: "removeAttribute", name });
    const at = this.#find(name);
    if (at !== -1) {
      ArrayPrototypeSplice(this.#attributes, at, 1);
    }
    return this;
  }

  prepend(content, options = undefined) {
    return this._insert("prepend", content, options);
  }

  append(content, options = undefined) {
    return this._insert("append", content, options);
  }

  setInnerContent(content, options = undefined) {
    return this._insert("setInnerContent", content, options);
  }

  removeAndKeepContent() {
    return this._change({ op: "removeAndKeepContent" });
  }

  onEndTag(handler) {
    this._check();
    if (typeof handler !== "function") {
      throw new TypeError("Failed to execute 'onEndTag': the handler is not a function.");
    }
    if (!this.#canHaveContent) {
      throw new TypeError(`<${this.#tagName}> can't have content, so it has no end tag.`);
    }
    return this._change({ op: "onEndTag", callback: this.#rewriter.endTagHandler(handler) });
  }
}

class EndTag extends Surrounded {
  #name;

  constructor(name) {
    super();
    this.#name = name;
  }

  get name() {
    this._check();
    return this.#name;
  }

  set name(name) {
    name = String(name);
    this._change({ op: "setName", name });
    this.#name = name;
  }
}

class Text extends Surrounded {
  #text;
  #lastInTextNode;

  constructor(text, lastInTextNode) {
    super();
    this.#text = text;
    this.#lastInTextNode = lastInTextNode;
  }

  get text() {
    this._check();
    return this.#text;
  }

  get lastInTextNode() {
    this._check();
    return this.#lastInTextNode;
  }
}

class Comment extends Surrounded {
  #text;

  constructor(text) {
    super();
    this.#text = text;
  }

  get text() {
    this._check();
    return this.#text;
  }

  set text(text) {
    text = String(text);
    this._change({ op: "setText", text });
    this.#text = text;
  }
}

class Doctype extends Token {
  #name;
  #publicId;
  #systemId;

  constructor(name, publicId, systemId) {
    super();
    this.#name = name;
    this.#publicId = publicId;
    this.#systemId = systemId;
  }

  get name() {
    this._check();
    return this.#name;
  }

  get publicId() {
    this._check();
    return this.#publicId;
  }

  get systemId() {
    this._check();
    return this.#systemId;
  }

  remove() {
    return this._change({ op: "remove" });
  }
}

class DocumentEnd extends Token {
  append(content, options = undefined) {
    return this._insert("append", content, options);
  }
}

/** One `transform()`: the JS end of a rewriter thread. */
class Run {
  #rid;
  #elements;
  #documents;
  #endTags = new Map();
  #nextEndTag = 0;

  #body;
  #reader = null;

  constructor(rid, body, elements, documents) {
    this.#rid = rid;
    this.#body = body;
    this.#elements = elements;
    this.#documents = documents;
  }

  endTagHandler(handler) {
    const id = this.#nextEndTag++;
    MapPrototypeSet(this.#endTags, id, handler);
    return id;
  }

  /** The token an event carries and the handler to call with it. */
  #dispatch(event) {
    switch (event[0]) {
      case ELEMENT: {
        const handlers = this.#elements[event[1]][1];
        return [new Element(event, this), handlers, handlers.element];
      }
      case END_TAG: {
        const handler = MapPrototypeGet(this.#endTags, event[1]);
        MapPrototypeDelete(this.#endTags, event[1]);
        return [new EndTag(event[2]), undefined, handler];
      }
      case TEXT: {
        const handlers = this.#handlers(event[1], event[2]);
        return [new Text(event[3], event[4]), handlers, handlers.text];
      }
      case COMMENT: {
        const handlers = this.#handlers(event[1], event[2]);
        return [new Comment(event[3]), handlers, handlers.comments];
      }
      case DOCTYPE: {
        const handlers = this.#documents[event[1]];
        return [new Doctype(event[2] ?? null, event[3] ?? null, event[4] ?? null), handlers, handlers.doctype];
      }
      case END: {
        const handlers = this.#documents[event[1]];
        return [new DocumentEnd(), handlers, handlers.end];
      }
    }
    throw new TypeError(`HTMLRewriter: unknown event ${event[0]}`);
  }

  #handlers(index, document) {
    return document ? this.#documents[index] : this.#elements[index][1];
  }

  /** Runs the handler an event is for, then lets the parser go on. */
  async #handle(event) {
    const [token, self, handler] = this.#dispatch(event);
    try {
      await handler.call(self, token);
    } catch (error) {
      op_html_rewriter_resume(this.#rid, "[]", String(error?.message ?? error) || "handler failed");
      throw error;
    }
    op_html_rewriter_resume(this.#rid, token._finish(), "");
  }

  /** Writes the original body into the parser. */
  async feed() {
    if (this.#body !== null) {
      this.#reader = this.#body.getReader();
      for (;;) {
        const { value, done } = await this.#reader.read();
        if (done) {
          break;
        }
        await op_html_rewriter_write(this.#rid, value);
      }
    }
    op_html_rewriter_end(this.#rid);
  }

  /**
   * Runs handlers and enqueues rewritten output into `controller` until it
   * wants no more; returns false at the end of the output.
   */
  async pump(controller) {
    for (;;) {
      const event = await op_html_rewriter_next(this.#rid);
      switch (event[0]) {
        case OUTPUT:
          controller.enqueue(event[1]);
          if (controller.desiredSize <= 0) {
            return true;
          }
          break;
        case DONE:
          return false;
        case FAILED:
          throw new TypeError(event[1]);
        default:
          await this.#handle(event);
      }
    }
  }

  close() {
    core.tryClose(this.#rid);
  }

  /** Stops the parser and the reading of the original body. */
  abort(reason) {
    this.close();
    const cancelled = this.#reader !== null
      ? this.#reader.cancel(reason)
      : this.#body?.cancel(reason);
    cancelled?.catch(() => {});
  }
}

function checkHandlers(handlers, names) {
  if (handlers === null || (typeof handlers !== "object" && typeof handlers !== "function")) {
    throw new TypeError("Failed to execute 'on': the handlers must be an object.");
  }
  for (const name of names) {
    const handler = handlers[name];
    if (handler !== undefined && typeof handler !== "function") {
      throw new TypeError(`Failed to execute 'on': handlers.${name} is not a function.`);
    }
  }
}

/** The `charset` parameter of a Content-Type, if any. */
function charsetOf(contentType) {
  const match = contentType === null ? null : /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType);
  return match === null ? null : match[1];
}

class HTMLRewriter {
  #elements = [];
  #documents = [];

  on(selector, handlers) {
    selector = String(selector);
    op_html_rewriter_check(selector);
    checkHandlers(handlers, ["element", "comments", "text"]);
    ArrayPrototypePush(this.#elements, [selector, handlers]);
    return this;
  }

  onDocument(handlers) {
    checkHandlers(handlers, ["doctype", "comments", "text", "end"]);
    ArrayPrototypePush(this.#documents, handlers);
    return this;
  }

  transform(response) {
    if (!ObjectPrototypeIsPrototypeOf(responseNs.Response.prototype, response)) {
      throw new TypeError("Failed to execute 'transform' on 'HTMLRewriter': parameter 1 is not of type 'Response'.");
    }
    const headers = new headersNs.Headers(response.headers);
    const config = {
      elements: ArrayPrototypeMap(this.#elements, ([selector, h]) => [
        selector,
        h.element !== undefined,
        h.comments !== undefined,
        h.text !== undefined,
      ]),
      documents: ArrayPrototypeMap(this.#documents, (h) => [
        h.doctype !== undefined,
        h.comments !== undefined,
        h.text !== undefined,
        h.end !== undefined,
      ]),
      charset: charsetOf(headers.get("content-type")),
    };
    const run = new Run(
      op_html_rewriter_new(config),
      response.body,
      ArrayPrototypeSlice(this.#elements),
      ArrayPrototypeSlice(this.#documents),
    );
    let feeding = null;
    const body = new streams.ReadableStream({
      async pull(controller) {
        feeding ??= run.feed().catch((error) => {
          run.abort(error);
          controller.error(error);
        });
        try {
          if (!await run.pump(controller)) {
            run.close();
            controller.close();
          }
        } catch (error) {
          run.abort(error);
          controller.error(error);
        }
      },
      cancel(reason) {
        run.abort(reason);
      },
    });
    headers.delete("content-length");
    return new responseNs.Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers,
    });
  }
}

export { HTMLRewriter };
