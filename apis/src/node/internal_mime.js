// util.MIMEType and util.MIMEParams, as workerd's native ones behave:
// WHATWG MIME-type parsing, plain TypeErrors ("Not a valid MIME type: x")
// rather than Node's ERR_INVALID_MIME_SYNTAX, and workerd's parameter table,
// where set() on a name already present keeps the old value and delete()
// moves the last parameter into the freed place. Internal: node:util
// re-exports it.
(function () {
"use strict";
globalThis[Symbol.for("isola.node")].enter("internal/mime");

const customInspect = Symbol.for("nodejs.util.inspect.custom");

const TOKEN = /^[!#$%&'*+\-.^_`|~\\0-9A-Za-z]+$/;
// Tab, printable ASCII and anything past ASCII (UTF-8 bytes in workerd).
const QUOTABLE = /^[\t\x20-\x7e\u0080-\uffff]*$/;
const isToken = (s) => TOKEN.test(s);
const isQuotable = (s) => QUOTABLE.test(s);
const skipSpace = (s) => s.replace(/^[\t\n\r ]+/, "");
const trimSpace = (s) => s.replace(/[\t\n\r ]+$/, "");

/** A WebIDL-style string argument: anything but undefined is stringified. */
function stringArg(value, failure) {
  if (value === undefined) throw new TypeError(failure);
  return `${value}`;
}

// One parameter table per MIME type, shared by its MIMEParams: an array of
// [name, value] pairs in insertion order.
function addParam(table, name, value) {
  if (!isToken(name) || !isQuotable(value)) return false;
  const key = name.toLowerCase();
  if (!table.some(([k]) => k === key)) table.push([key, value]);
  return true;
}

function deleteParam(table, name) {
  const key = name.toLowerCase();
  const at = table.findIndex(([k]) => k === key);
  if (at === -1) return;
  const last = table.pop();
  if (at < table.length) table[at] = last;
}

function paramsToString(table) {
  return table.map(([name, value], i) => {
    let shown = value;
    if (value === "") shown = '""';
    else if (!isToken(value)) shown = `"${value.replace(/["\\]/g, "\\$&")}"`;
    return `${i > 0 ? ";" : ""}${name === "boundary" ? " " : ""}${name}=${shown}`;
  }).join("");
}

/** [type, subtype, params table] of `input`, or null when it is not a MIME type. */
function parse(input) {
  let rest = skipSpace(input);
  const slash = rest.indexOf("/");
  if (slash === -1) return null;
  const type = rest.slice(0, slash);
  if (!isToken(type)) return null;
  rest = rest.slice(slash + 1);
  let semi = rest.indexOf(";");
  const subtype = trimSpace(semi === -1 ? rest : rest.slice(0, semi));
  if (!isToken(subtype)) return null;
  rest = semi === -1 ? "" : rest.slice(semi + 1);

  const table = [];
  // Malformed parameters are skipped, as the spec says.
  while ((rest = skipSpace(rest)) !== "") {
    const at = rest.search(/[;=]/);
    if (at === -1) break;
    if (rest[at] === ";") {
      rest = rest.slice(at + 1);
      continue;
    }
    const name = rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (!isToken(name) || rest === "") {
      semi = rest.indexOf(";");
      if (semi === -1) break;
      rest = rest.slice(semi + 1);
      continue;
    }
    if (rest[0] === '"') {
      // A quoted string, where a backslash escapes the next character.
      let i = 1;
      let value = "";
      while (i < rest.length) {
        const c = rest[i++];
        if (c === '"') break;
        if (c !== "\\") value += c;
        else if (i === rest.length) value += "\\";
        else value += rest[i++];
      }
      rest = rest.slice(i);
      addParam(table, name, value);
      semi = rest.indexOf(";");
    } else {
      semi = rest.indexOf(";");
      const value = trimSpace(semi === -1 ? rest : rest.slice(0, semi));
      if (value !== "") addParam(table, name, value);
    }
    if (semi === -1) break;
    rest = rest.slice(semi + 1);
  }
  return [type.toLowerCase(), subtype.toLowerCase(), table];
}

// Ties a MIMEParams to its MIMEType's table (set up in MIMEParams below).
let attach;

class ParamsIterator {
  #items;
  #next = 0;
  constructor(items) {
    this.#items = items;
  }
  next() {
    if (this.#next >= this.#items.length) return { done: true, value: undefined };
    return { done: false, value: this.#items[this.#next++] };
  }
  [Symbol.iterator]() {
    return this;
  }
  get [Symbol.toStringTag]() {
    return this.constructor.name;
  }
}
class EntryIterator extends ParamsIterator {}
class KeyIterator extends ParamsIterator {}
class ValueIterator extends ParamsIterator {}

class MIMEParams {
  // The table of the MIMEType these belong to; a MIMEParams made with
  // `new` belongs to none and holds nothing, as in workerd.
  #table = null;

  static {
    attach = (params, table) => {
      params.#table = table;
    };
  }

  delete(name) {
    name = stringArg(name, "Failed to execute 'delete' on 'MIMEParams': parameter 1 is not of type 'string'.");
    if (this.#table) deleteParam(this.#table, name);
  }

  get(name) {
    name = stringArg(name, "Failed to execute 'get' on 'MIMEParams': parameter 1 is not of type 'string'.");
    return this.#table?.find(([k]) => k === name)?.[1] ?? null;
  }

  has(name) {
    name = stringArg(name, "Failed to execute 'has' on 'MIMEParams': parameter 1 is not of type 'string'.");
    return this.#table?.some(([k]) => k === name) ?? false;
  }

  set(name, value) {
    name = stringArg(name, "Failed to execute 'set' on 'MIMEParams': parameter 1 is not of type 'string'.");
    value = stringArg(value, "Failed to execute 'set' on 'MIMEParams': parameter 2 is not of type 'string'.");
    if (this.#table && !addParam(this.#table, name, value)) throw new TypeError("Not a valid MIME parameter");
  }

  entries() {
    return new EntryIterator((this.#table ?? []).map(([k, v]) => [k, v]));
  }

  keys() {
    return new KeyIterator((this.#table ?? []).map(([k]) => k));
  }

  values() {
    return new ValueIterator((this.#table ?? []).map(([, v]) => v));
  }

  toString() {
    return this.#table ? paramsToString(this.#table) : "";
  }

  toJSON() {
    return this.toString();
  }

  [Symbol.iterator]() {
    return this.entries();
  }

  get [Symbol.toStringTag]() {
    return "MIMEParams";
  }

  // Shown as workerd shows it: like a Map of its parameters.
  [customInspect](depth, options, inspect) {
    if (depth < 0) return options.stylize("[MIMEParams]", "special");
    const shown = inspect(new Map(this.#table ?? []), { ...options, depth: options.depth == null ? null : depth });
    return `MIMEParams${shown.slice("Map".length)}`;
  }
}

class MIMEType {
  #type;
  #subtype;
  #params;
  #table;

  constructor(input) {
    input = stringArg(input, "Failed to construct 'MIMEType': constructor parameter 1 is not of type 'string'.");
    const parsed = parse(input);
    if (parsed === null) throw new TypeError(`Not a valid MIME type: ${input}`);
    [this.#type, this.#subtype, this.#table] = parsed;
    this.#params = new MIMEParams();
    attach(this.#params, this.#table);
  }

  get type() {
    return this.#type;
  }

  set type(value) {
    value = `${value}`;
    if (!isToken(value)) throw new TypeError("Not a valid MIME type");
    this.#type = value.toLowerCase();
  }

  get subtype() {
    return this.#subtype;
  }

  set subtype(value) {
    value = `${value}`;
    if (!isToken(value)) throw new TypeError("Not a valid MIME subtype");
    this.#subtype = value.toLowerCase();
  }

  get essence() {
    return `${this.#type}/${this.#subtype}`;
  }

  get params() {
    return this.#params;
  }

  toString() {
    const params = this.#table.length > 0 ? `;${paramsToString(this.#table)}` : "";
    return `${this.essence}${params}`;
  }

  toJSON() {
    return this.toString();
  }

  get [Symbol.toStringTag]() {
    return "MIMEType";
  }

  // Shown as workerd shows its native objects: the accessors as fields.
  [customInspect](depth, options, inspect) {
    if (depth < 0) return options.stylize("[MIMEType]", "special");
    const fields = { type: this.#type, subtype: this.#subtype, essence: this.essence, params: this.#params };
    return `MIMEType ${inspect(fields, { ...options, depth: options.depth == null ? null : depth })}`;
  }
}

return { MIMEType, MIMEParams };
})();
