// util.inspect: values as text the way Node shows them (quoting, depth,
// circular references; the line breaking is in internal/inspect_layout).
// Internal: node:util and node:assert reach it with
// require("internal/inspect"). Plain JS cannot see a promise's state, a
// proxy, or the items of a Map/Set iterator, so those print as unknown.
(function () {
"use strict";
const { require, engine } = globalThis[Symbol.for("isola.node")].enter("internal/inspect");
const types = require("util/types");
const { validateObject } = require("internal/errors");
const { reduceToSingleString, stripAnsi, visibleLength } = require("internal/inspect_layout");

const customInspect = Symbol.for("nodejs.util.inspect.custom");
const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
const isEnumerable = (o, k) => Object.prototype.propertyIsEnumerable.call(o, k);

const defaultOptions = {
  showHidden: false,
  depth: 2,
  colors: false,
  customInspect: true,
  showProxy: false,
  maxArrayLength: 100,
  maxStringLength: 10000,
  breakLength: 80,
  compact: 3,
  sorted: false,
  getters: false,
  numericSeparator: false,
};

// ANSI SGR codes: [on, off], in Node's order.
const hues = ["Black", "Red", "Green", "Yellow", "Blue", "Magenta", "Cyan", "White"];
const colors = Object.assign(Object.create(null), {
  reset: [0, 0], bold: [1, 22], dim: [2, 22], italic: [3, 23], underline: [4, 24],
  blink: [5, 25], inverse: [7, 27], hidden: [8, 28], strikethrough: [9, 29],
  doubleunderline: [21, 24],
  ...Object.fromEntries(hues.map((h, i) => [h.toLowerCase(), [30 + i, 39]])),
  ...Object.fromEntries(hues.map((h, i) => [`bg${h}`, [40 + i, 49]])),
  framed: [51, 54], overlined: [53, 55], gray: [90, 39],
  ...Object.fromEntries(hues.slice(1).map((h, i) => [`${h.toLowerCase()}Bright`, [91 + i, 39]])),
  bgGray: [100, 49],
  ...Object.fromEntries(hues.slice(1).map((h, i) => [`bg${h}Bright`, [101 + i, 49]])),
});
// Aliases are non-enumerable, so listing the colors shows each once.
for (const [alias, target] of [["grey", "gray"], ["blackBright", "gray"], ["bgGrey", "bgGray"],
  ["bgBlackBright", "bgGray"], ["faint", "dim"], ["crossedout", "strikethrough"],
  ["strikeThrough", "strikethrough"], ["crossedOut", "strikethrough"], ["conceal", "hidden"],
  ["swapColors", "inverse"], ["swapcolors", "inverse"], ["doubleUnderline", "doubleunderline"]]) {
  Object.defineProperty(colors, alias, {
    get: () => colors[target],
    set(value) { colors[target] = value; },
    configurable: true,
    enumerable: false,
  });
}

const styles = Object.assign(Object.create(null), {
  special: "cyan", number: "yellow", bigint: "yellow", boolean: "yellow",
  undefined: "grey", null: "bold", string: "green", symbol: "green",
  date: "magenta", regexp: "red", module: "underline",
});

function stylizeWithColor(str, styleType) {
  const style = styles[styleType];
  const color = style !== undefined ? colors[style] : undefined;
  return color !== undefined ? `\u001b[${color[0]}m${str}\u001b[${color[1]}m` : str;
}
const stylizeNoColor = (str) => str;

/** The options object passed to `inspect`, merged over the defaults. */
function makeContext(args) {
  const [, opts] = args;
  const ctx = {
    ...defaultOptions,
    indentationLvl: 0,
    seen: [],
    currentDepth: 0,
    stylize: stylizeNoColor,
    circular: undefined,
    userOptions: undefined,
  };
  if (args.length > 1) {
    // The legacy signature: inspect(value, showHidden, depth, colors).
    if (args.length > 2 && args[2] !== undefined) ctx.depth = args[2];
    if (args.length > 3 && args[3] !== undefined) ctx.colors = args[3];
    if (typeof opts === "boolean") {
      ctx.showHidden = opts;
    } else if (opts) {
      for (const key of Object.keys(opts)) {
        if (hasOwn(defaultOptions, key) || key === "stylize") ctx[key] = opts[key];
        else if (ctx.userOptions === undefined) ctx.userOptions = opts;
      }
    }
  }
  if (ctx.colors) ctx.stylize = stylizeWithColor;
  if (ctx.maxArrayLength === null) ctx.maxArrayLength = Infinity;
  if (ctx.maxStringLength === null) ctx.maxStringLength = Infinity;
  return ctx;
}

function inspect(value, opts) {
  return formatValue(makeContext(arguments), value, 0);
}

Object.defineProperty(inspect, "custom", { value: customInspect, enumerable: false });
Object.defineProperty(inspect, "defaultOptions", {
  get: () => defaultOptions,
  set(options) {
    validateObject(options, "options");
    Object.assign(defaultOptions, options);
  },
  enumerable: true,
  configurable: true,
});
inspect.colors = colors;
inspect.styles = styles;

/** What a custom inspect function receives as its options. */
function optionsForCustom(ctx) {
  const out = { stylize: ctx.stylize };
  for (const key of Object.keys(defaultOptions)) out[key] = ctx[key];
  return ctx.userOptions === undefined ? out : { ...out, ...ctx.userOptions };
}

function formatValue(ctx, value, recurseTimes, typedArray) {
  if (typeof value !== "object" && typeof value !== "function") {
    return formatPrimitive(ctx.stylize, value, ctx);
  }
  if (value === null) return ctx.stylize("null", "null");

  if (ctx.customInspect) {
    const custom = value[customInspect];
    // Skip a prototype that carries the method for its instances.
    if (typeof custom === "function" && custom !== inspect &&
        !(value.constructor && value.constructor.prototype === value)) {
      const depth = ctx.depth === null ? null : ctx.depth - recurseTimes;
      const result = custom.call(value, depth, optionsForCustom(ctx), inspect);
      if (result !== value) {
        if (typeof result !== "string") return formatValue(ctx, result, recurseTimes);
        return result.replaceAll("\n", `\n${" ".repeat(ctx.indentationLvl)}`);
      }
    }
  }

  if (ctx.seen.includes(value)) {
    if (ctx.circular === undefined) ctx.circular = new Map();
    let index = ctx.circular.get(value);
    if (index === undefined) {
      index = ctx.circular.size + 1;
      ctx.circular.set(value, index);
    }
    return ctx.stylize(`[Circular *${index}]`, "special");
  }
  return formatRaw(ctx, value, recurseTimes, typedArray);
}

// ---------------------------------------------------------------------------
// Primitives

/** Quotes `str` the way Node does: ' unless it holds ', then " or `. */
function strEscape(str) {
  let quote = "'";
  if (str.includes("'")) {
    if (!str.includes('"')) quote = '"';
    else if (!str.includes("`") && !str.includes("${")) quote = "`";
  }
  const pattern = quote === "'"
    ? /[\x00-\x1f\x27\x5c\x7f-\x9f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g
    : /[\x00-\x1f\x5c\x7f-\x9f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
  const escaped = str.replace(pattern, (ch) => {
    const code = ch.charCodeAt(0);
    switch (ch) {
      case "\b": return "\\b";
      case "\t": return "\\t";
      case "\n": return "\\n";
      case "\f": return "\\f";
      case "\r": return "\\r";
      case "'": return "\\'";
      case "\\": return "\\\\";
    }
    if (code >= 0xd800) return `\\u${code.toString(16)}`;
    return `\\x${code.toString(16).toUpperCase().padStart(2, "0")}`;
  });
  return quote + escaped + quote;
}

/** Puts `_` between groups of three digits, counted from the decimal point. */
const separate = (digits, fromLeft) => (fromLeft
  ? digits.replace(/(\d{3})(?=\d)/g, "$1_")
  : digits.replace(/\B(?=(\d{3})+$)/g, "_"));

function numberText(number, numericSeparator) {
  // (Node prints -0 as "0" once separators are on; so does this.)
  if (!numericSeparator) return Object.is(number, -0) ? "-0" : `${number}`;
  const text = `${number}`;
  if (!Number.isFinite(number) || text.includes("e")) return text;
  const [whole, fraction] = text.split(".");
  return fraction === undefined ? separate(whole, false) : `${separate(whole, false)}.${separate(fraction, true)}`;
}

const bigintText = (bigint, numericSeparator) => `${numericSeparator ? separate(`${bigint}`, false) : bigint}n`;

const formatNumber = (fn, number, sep) => fn(numberText(number, sep), "number");
const formatBigInt = (fn, bigint, sep) => fn(bigintText(bigint, sep), "bigint");

function formatPrimitive(fn, value, ctx) {
  switch (typeof value) {
    case "string": {
      let trailer = "";
      if (value.length > ctx.maxStringLength) {
        const remaining = value.length - ctx.maxStringLength;
        value = value.slice(0, ctx.maxStringLength);
        trailer = `... ${remaining} more character${remaining > 1 ? "s" : ""}`;
      }
      // Long strings break after each newline into `'…\n' +` pieces.
      if (ctx.compact !== true && value.length > 16 &&
          value.length > ctx.breakLength - ctx.indentationLvl - 4) {
        return value.split(/(?<=\n)/)
          .map((line) => fn(strEscape(line), "string"))
          .join(` +\n${" ".repeat(ctx.indentationLvl + 2)}`) + trailer;
      }
      return fn(strEscape(value), "string") + trailer;
    }
    case "number": return formatNumber(fn, value, ctx.numericSeparator);
    case "bigint": return formatBigInt(fn, value, ctx.numericSeparator);
    case "boolean": return fn(`${value}`, "boolean");
    case "undefined": return fn("undefined", "undefined");
    default: return fn(value.toString(), "symbol"); // symbol
  }
}

// ---------------------------------------------------------------------------
// Objects

/** The name of the nearest constructor on the prototype chain, or null. */
function getConstructorName(obj, ctx, recurseTimes) {
  let firstProto;
  const original = obj;
  while (obj !== null && obj !== undefined) {
    const desc = Object.getOwnPropertyDescriptor(obj, "constructor");
    if (desc !== undefined && typeof desc.value === "function" && desc.value.name !== "" &&
        isInstance(original, desc.value)) {
      return String(desc.value.name);
    }
    obj = Object.getPrototypeOf(obj);
    if (firstProto === undefined) firstProto = obj;
  }
  if (firstProto === null) return null;
  // A chain without constructors that does not end right away: name the
  // object's own kind and show the prototype, as Node does.
  const own = typeof original === "function" ? "Function" : Array.isArray(original) ? "Array" : "Object";
  if (ctx.depth !== null && recurseTimes > ctx.depth) return `${own} <Complex prototype>`;
  const protoName = getConstructorName(firstProto, ctx, recurseTimes + 1);
  if (protoName === null) {
    return `${own} <${inspect(firstProto, { showHidden: ctx.showHidden, customInspect: false, depth: -1 })}>`;
  }
  return `${own} <${protoName}>`;
}

function isInstance(obj, ctor) {
  try {
    return obj instanceof ctor;
  } catch {
    return false;
  }
}

/** `Foo(3) [tag] `, `[Set(3): null prototype] `, and so on. */
function getPrefix(constructor, tag, fallback, size = "") {
  if (constructor === null) {
    if (tag !== "" && fallback !== tag) return `[${fallback}${size}: null prototype] [${tag}] `;
    return `[${fallback}${size}: null prototype] `;
  }
  if (tag !== "" && constructor !== tag) return `${constructor}${size} [${tag}] `;
  return `${constructor}${size} `;
}

function isIndex(key) {
  return typeof key === "string" && /^(?:0|[1-9][0-9]*)$/.test(key) && Number(key) < 4294967295;
}

/** Own keys to show: enumerable ones (all with showHidden), symbols last. */
function getKeys(value, showHidden, skipIndices = false) {
  let keys = showHidden ? Object.getOwnPropertyNames(value) : Object.keys(value);
  if (skipIndices) keys = keys.filter((k) => !isIndex(k));
  let symbols = Object.getOwnPropertySymbols(value);
  if (!showHidden) symbols = symbols.filter((s) => isEnumerable(value, s));
  return symbols.length === 0 ? keys : [...keys, ...symbols];
}

const remainingText = (n) => `... ${n} more item${n > 1 ? "s" : ""}`;

/**
 * Works out how to show an object: either a finished string, or the pieces
 * `base` (text before the braces), `braces`, the `formatter` for its
 * contents, the `keys` to list after them, and whether it lists like an
 * array.
 */
function describe(ctx, value, recurseTimes, typedArray, constructor, tag) {
  const s = ctx.stylize;
  const plan = { base: "", braces: ["{", "}"], keys: undefined, formatter: () => [], arrayLike: false };
  if (Array.isArray(value)) {
    const prefix = constructor !== "Array" || tag !== "" ? getPrefix(constructor, tag, "Array", `(${value.length})`) : "";
    plan.keys = getKeys(value, ctx.showHidden, true);
    plan.braces = [`${prefix}[`, "]"];
    if (value.length === 0 && plan.keys.length === 0) return `${prefix}[]`;
    plan.arrayLike = true;
    plan.formatter = formatArray;
  } else if (types.isSet(value) || types.isMap(value)) {
    const isSet = types.isSet(value);
    const size = sizeOf(value, isSet);
    const prefix = getPrefix(constructor, tag, isSet ? "Set" : "Map", `(${size})`);
    plan.keys = getKeys(value, ctx.showHidden);
    if (size === 0 && plan.keys.length === 0) return `${prefix}{}`;
    plan.braces = [`${prefix}{`, "}"];
    plan.formatter = formatSetOrMap;
  } else if (types.isTypedArray(value)) {
    const length = typedArrayLength.call(value);
    let fallback = "";
    let view = value;
    if (constructor === null) {
      // Without a prototype it has no accessors; read it through a view.
      fallback = typedArrayName(value);
      view = new globalThis[fallback](typedArrayBuffer.call(value), typedArrayByteOffset.call(value), length);
    }
    const prefix = getPrefix(constructor, tag, fallback, `(${length})`);
    plan.keys = getKeys(value, ctx.showHidden, true);
    plan.braces = [`${prefix}[`, "]"];
    if (length === 0 && plan.keys.length === 0 && !ctx.showHidden) return `${prefix}[]`;
    plan.arrayLike = true;
    plan.formatter = (ctx2, _value, depth) => formatTypedArray(ctx2, view, depth);
  } else if (types.isMapIterator(value) || types.isSetIterator(value)) {
    const kind = types.isMapIterator(value) ? "Map Iterator" : "Set Iterator";
    plan.keys = getKeys(value, ctx.showHidden);
    plan.braces = [`[${tag || kind}] {`, "}"];
    if (tag !== "" && tag !== kind) plan.braces[0] = `[${tag}] [${kind}] {`;
    // Their items cannot be read without consuming them.
    plan.formatter = () => [s("<items unknown>", "special")];
    plan.arrayLike = true;
  } else {
    return describeNonIterable(ctx, value, recurseTimes, typedArray, constructor, tag, plan);
  }
  return plan;
}

function sizeOf(value, isSet) {
  return isSet ? Reflect.get(Set.prototype, "size", value) : Reflect.get(Map.prototype, "size", value);
}

const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);
const typedArrayGetter = (key) => Object.getOwnPropertyDescriptor(TypedArrayPrototype, key).get;
const typedArrayTag = typedArrayGetter(Symbol.toStringTag);
const typedArrayLength = typedArrayGetter("length");
const typedArrayBuffer = typedArrayGetter("buffer");
const typedArrayByteOffset = typedArrayGetter("byteOffset");
const typedArrayName = (value) => typedArrayTag.call(value);

function describeNonIterable(ctx, value, recurseTimes, typedArray, constructor, tag, plan) {
  const s = ctx.stylize;
  const keys = plan.keys = getKeys(value, ctx.showHidden);
  if (constructor === "Object") {
    if (types.isArgumentsObject(value)) plan.braces[0] = "[Arguments] {";
    else if (tag !== "") plan.braces[0] = `${getPrefix(constructor, tag, "Object")}{`;
    if (keys.length === 0) return `${plan.braces[0]}}`;
  } else if (typeof value === "function") {
    plan.base = functionBase(value, constructor, tag);
    if (keys.length === 0) return s(plan.base, "special");
  } else if (types.isRegExp(value)) {
    plan.base = RegExp.prototype.toString.call(constructor !== null ? value : new RegExp(value));
    const prefix = getPrefix(constructor, tag, "RegExp");
    if (prefix !== "RegExp ") plan.base = `${prefix}${plan.base}`;
    if (keys.length === 0 || (ctx.depth !== null && recurseTimes > ctx.depth)) return s(plan.base, "regexp");
  } else if (types.isDate(value)) {
    const time = Date.prototype.getTime.call(value);
    plan.base = Number.isNaN(time) ? "Invalid Date" : Date.prototype.toISOString.call(value);
    const prefix = getPrefix(constructor, tag, "Date");
    if (prefix !== "Date ") plan.base = `${prefix}${plan.base}`;
    if (keys.length === 0) return s(plan.base, "date");
  } else if (types.isNativeError(value) || value instanceof Error) {
    plan.base = formatError(value, constructor, tag, ctx, keys);
    if (keys.length === 0) return plan.base;
  } else if (types.isAnyArrayBuffer(value)) {
    const kind = types.isArrayBuffer(value) ? "ArrayBuffer" : "SharedArrayBuffer";
    const prefix = getPrefix(constructor, tag, kind);
    if (typedArray === undefined) {
      plan.formatter = formatArrayBuffer;
    } else if (keys.length === 0) {
      return `${prefix}{ byteLength: ${formatNumber(s, value.byteLength, false)} }`;
    }
    plan.braces[0] = `${prefix}{`;
    keys.unshift("byteLength");
  } else if (types.isDataView(value)) {
    plan.braces[0] = `${getPrefix(constructor, tag, "DataView")}{`;
    keys.unshift("byteLength", "byteOffset", "buffer");
  } else if (types.isPromise(value)) {
    plan.braces[0] = `${getPrefix(constructor, tag, "Promise")}{`;
    plan.formatter = (ctx2, promise, depth) => {
      const [state, result] = engine.promiseDetails(promise);
      if (state === 0) return [s("<pending>", "special")];
      const shown = formatValue(ctx2, result, depth);
      return [state === 2 ? `${s("<rejected>", "special")} ${shown}` : shown];
    };
  } else if (types.isWeakSet(value) || types.isWeakMap(value)) {
    plan.braces[0] = `${getPrefix(constructor, tag, types.isWeakSet(value) ? "WeakSet" : "WeakMap")}{`;
    plan.formatter = () => [s("<items unknown>", "special")];
  } else if (types.isModuleNamespaceObject(value)) {
    plan.braces[0] = `${getPrefix(constructor, tag, "Module")}{`;
    plan.keys = [];
    plan.formatter = (ctx2, ns, depth) => keys.map((key) => formatNamespaceEntry(ctx2, ns, depth, key));
  } else if (types.isBoxedPrimitive(value)) {
    plan.base = boxedBase(value, ctx, keys, constructor, tag);
    if (keys.length === 0) return plan.base;
  } else {
    const prefix = getPrefix(constructor, tag, "Object");
    if (keys.length === 0) return `${prefix}{}`;
    plan.braces[0] = `${prefix}{`;
  }
  return plan;
}

function formatRaw(ctx, value, recurseTimes, typedArray) {
  const constructor = getConstructorName(value, ctx, recurseTimes);
  let tag = value[Symbol.toStringTag];
  // A tag the object holds itself is listed among its keys instead.
  if (typeof tag !== "string" ||
      (tag !== "" && (ctx.showHidden ? hasOwn : isEnumerable)(value, Symbol.toStringTag))) {
    tag = "";
  }
  const plan = describe(ctx, value, recurseTimes, typedArray, constructor, tag);
  if (typeof plan === "string") return plan;

  if (ctx.depth !== null && recurseTimes > ctx.depth) {
    const name = getPrefix(constructor, tag, "Object").slice(0, -1);
    return ctx.stylize(constructor !== null ? `[${name}]` : name, "special");
  }
  recurseTimes += 1;
  ctx.seen.push(value);
  ctx.currentDepth = recurseTimes;
  const kind = plan.arrayLike ? ARRAY_ENTRIES : OBJECT_ENTRIES;
  const indentation = ctx.indentationLvl;
  let output;
  try {
    output = plan.formatter(ctx, value, recurseTimes);
    for (const key of plan.keys) output.push(formatProperty(ctx, value, recurseTimes, key, kind));
  } catch (err) {
    if (!isStackOverflow(err)) throw err;
    ctx.seen.pop();
    ctx.indentationLvl = indentation;
    const name = getPrefix(constructor, tag, "Object").slice(0, -1);
    return ctx.stylize(`[${name}: Inspection interrupted prematurely. Maximum call stack size exceeded.]`, "special");
  }
  if (ctx.circular !== undefined) {
    const index = ctx.circular.get(value);
    if (index !== undefined) {
      const reference = ctx.stylize(`<ref *${index}>`, "special");
      if (ctx.compact !== true) plan.base = plan.base === "" ? reference : `${reference} ${plan.base}`;
      else plan.braces[0] = `${reference} ${plan.braces[0]}`;
    }
  }
  ctx.seen.pop();

  if (ctx.sorted) {
    const compare = ctx.sorted === true ? undefined : ctx.sorted;
    if (kind === OBJECT_ENTRIES) {
      output.sort(compare);
    } else if (plan.keys.length > 1) {
      const tail = output.splice(output.length - plan.keys.length).sort(compare);
      output.push(...tail);
    }
  }
  return reduceToSingleString(ctx, output, plan.base, plan.braces, plan.arrayLike, recurseTimes, value);
}

function isStackOverflow(err) {
  return err instanceof Error && (err.name === "RangeError" || err.name === "InternalError") &&
    /call stack|stack overflow/i.test(err.message);
}

const OBJECT_ENTRIES = 0;
const ARRAY_ENTRIES = 1;

function functionBase(value, constructor, tag) {
  const source = Function.prototype.toString.call(value);
  if (/^class\b(?!\s*\()/.test(source) && source.endsWith("}")) {
    const name = (hasOwn(value, "name") && value.name) || "(anonymous)";
    let base = `class ${name}`;
    if (constructor !== "Function" && constructor !== null) base += ` [${constructor}]`;
    if (tag !== "" && constructor !== tag) base += ` [${tag}]`;
    if (constructor !== null) {
      const superName = Object.getPrototypeOf(value).name;
      if (superName) base += ` extends ${superName}`;
    } else {
      base += " extends [null prototype]";
    }
    return `[${base}]`;
  }
  let type = "Function";
  if (types.isGeneratorFunction(value)) type = `Generator${type}`;
  if (types.isAsyncFunction(value)) type = `Async${type}`;
  let base = `[${type}`;
  if (constructor === null) base += " (null prototype)";
  base += value.name === "" ? " (anonymous)" : `: ${String(value.name)}`;
  base += "]";
  if (constructor !== type && constructor !== null) base += ` ${constructor}`;
  if (tag !== "" && constructor !== tag) base += ` [${tag}]`;
  return base;
}

const BOXED = [
  ["Number", types.isNumberObject, Number.prototype.valueOf],
  ["String", types.isStringObject, String.prototype.valueOf],
  ["Boolean", types.isBooleanObject, Boolean.prototype.valueOf],
  ["BigInt", types.isBigIntObject, BigInt.prototype.valueOf],
  ["Symbol", types.isSymbolObject, Symbol.prototype.valueOf],
];

function boxedBase(value, ctx, keys, constructor, tag) {
  const [type, , unbox] = BOXED.find(([, test]) => test(value));
  const inner = unbox.call(value);
  // A String's characters show in the base; drop their index keys.
  if (type === "String") keys.splice(0, inner.length);
  let base = `[${type}`;
  if (type !== constructor) base += constructor === null ? " (null prototype)" : ` (${constructor})`;
  base += `: ${formatPrimitive(stylizeNoColor, inner, ctx)}]`;
  if (tag !== "" && tag !== constructor) base += ` [${tag}]`;
  if (keys.length !== 0 || ctx.stylize === stylizeNoColor) return base;
  return ctx.stylize(base, type.toLowerCase());
}

/** The error's stack, with Node's touches: the constructor's name when it
 *  differs from `name`, brackets when there are no frames, indentation. */
function formatError(err, constructor, tag, ctx, keys) {
  const name = err.name != null ? String(err.name) : "Error";
  let stack = stackOf(err);
  if (!ctx.showHidden && keys.length !== 0) {
    for (const key of ["name", "message", "stack"]) {
      const index = keys.indexOf(key);
      if (index !== -1 && stack.includes(err[key])) keys.splice(index, 1);
    }
  }
  if ("cause" in err && !keys.includes("cause")) keys.push("cause");
  if (Array.isArray(err.errors) && !keys.includes("errors")) keys.push("errors");

  stack = improveStack(stack, constructor, name, tag);
  stack = collapseCauseFrames(stack, err, ctx);
  let from = -1;
  if (err.message) {
    from = stack.indexOf(String(err.message));
    if (from !== -1) from += String(err.message).length;
  }
  if (stack.indexOf("\n    at", from) === -1) stack = `[${stack}]`;
  if (ctx.indentationLvl !== 0) {
    stack = stack.replaceAll("\n", `\n${" ".repeat(ctx.indentationLvl)}`);
  }
  return stack;
}

function errorHeader(err) {
  try {
    return Error.prototype.toString.call(err);
  } catch {
    return "Error";
  }
}

function stackOf(err) {
  const stack = err.stack;
  if (!stack) return errorHeader(err);
  let text = String(stack).replace(/\n+$/, "");
  // Some engines (QuickJS) keep only the frames in `stack`; V8 starts it
  // with "Name: message". Supply that header when it is missing.
  if (text === "" || /^\s+at /.test(text)) text = text === "" ? errorHeader(err) : `${errorHeader(err)}\n${text}`;
  return text;
}

/**
 * Frames this error shares with its cause, four or more in a row, shrink to
 * "... N lines matching cause stack trace ..." (the first and last stay).
 */
function collapseCauseFrames(stack, err, ctx) {
  const cause = err.cause;
  if (cause === null || typeof cause !== "object" || typeof cause.stack !== "string") return stack;
  const lines = stack.split("\n");
  const first = lines.findIndex((line) => /^\s+at /.test(line));
  if (first === -1) return stack;
  const frames = lines.slice(first);
  const causeFrames = cause.stack.split("\n").filter((line) => /^\s+at /.test(line));
  for (let i = 0; i < frames.length - 3; i++) {
    const at = causeFrames.indexOf(frames[i]);
    if (at === -1 || causeFrames.length - at <= 3) continue;
    let len = 1;
    while (i + len < frames.length && at + len < causeFrames.length && frames[i + len] === causeFrames[at + len]) len++;
    if (len > 3) {
      frames.splice(i + 1, len - 2, ctx.stylize(`    ... ${len - 2} lines matching cause stack trace ...`, "undefined"));
      return [...lines.slice(0, first), ...frames].join("\n");
    }
  }
  return stack;
}

function improveStack(stack, constructor, name, tag) {
  let len = name.length;
  if (constructor === null ||
      (name.endsWith("Error") && stack.startsWith(name) &&
       (stack.length === len || stack[len] === ":" || stack[len] === "\n"))) {
    let fallback = "Error";
    if (constructor === null) {
      const start = /^([A-Z][a-z_ A-Z0-9[\]()-]+)(?::|\n\s+at)/.exec(stack) ||
        /^([a-z_A-Z0-9-]*Error)$/.exec(stack);
      fallback = (start && start[1]) || "";
      len = fallback.length;
      fallback = fallback || "Error";
    }
    const prefix = getPrefix(constructor, tag, fallback).slice(0, -1);
    if (name !== prefix) {
      if (prefix.includes(name)) {
        stack = len === 0 ? `${prefix}: ${stack}` : `${prefix}${stack.slice(len)}`;
      } else {
        stack = `${prefix} [${name}]${stack.slice(len)}`;
      }
    }
  }
  return stack;
}

function formatArray(ctx, value, recurseTimes) {
  const length = value.length;
  const limit = Math.min(Math.max(0, ctx.maxArrayLength), length);
  const output = [];
  let i = 0;
  while (i < length && output.length < limit) {
    if (hasOwn(value, i)) {
      output.push(formatProperty(ctx, value, recurseTimes, i, ARRAY_ENTRIES));
      i++;
      continue;
    }
    // A run of holes shows as one entry.
    let end = i + 1;
    while (end < length && !hasOwn(value, end)) end++;
    const holes = end - i;
    output.push(ctx.stylize(`<${holes} empty item${holes > 1 ? "s" : ""}>`, "undefined"));
    i = end;
  }
  const remaining = length - i;
  if (remaining > 0) output.push(remainingText(remaining));
  return output;
}

function formatTypedArray(ctx, value, recurseTimes) {
  const length = value.length;
  const limit = Math.min(Math.max(0, ctx.maxArrayLength), length);
  const output = [];
  for (let i = 0; i < limit; i++) {
    const item = value[i];
    output.push(typeof item === "bigint"
      ? formatBigInt(ctx.stylize, item, ctx.numericSeparator)
      : formatNumber(ctx.stylize, item, ctx.numericSeparator));
  }
  if (length > limit) output.push(remainingText(length - limit));
  if (ctx.showHidden) {
    ctx.indentationLvl += 2;
    for (const key of ["BYTES_PER_ELEMENT", "length", "byteLength", "byteOffset", "buffer"]) {
      output.push(`[${key}]: ${formatValue(ctx, value[key], recurseTimes, true)}`);
    }
    ctx.indentationLvl -= 2;
  }
  return output;
}

function formatArrayBuffer(ctx, value) {
  let bytes;
  try {
    bytes = new Uint8Array(value);
  } catch {
    return [ctx.stylize("(detached)", "special")];
  }
  const shown = Math.min(Math.max(0, ctx.maxArrayLength), bytes.length);
  let hex = Array.from(bytes.subarray(0, shown), (b) => b.toString(16).padStart(2, "0")).join(" ");
  const remaining = bytes.length - shown;
  if (remaining > 0) hex += ` ... ${remaining} more byte${remaining > 1 ? "s" : ""}`;
  return [`${ctx.stylize("[Uint8Contents]", "special")}: <${hex}>`];
}

function formatSetOrMap(ctx, value, recurseTimes) {
  const isSet = types.isSet(value);
  const size = sizeOf(value, isSet);
  const limit = Math.min(Math.max(0, ctx.maxArrayLength), size);
  const output = [];
  ctx.indentationLvl += 2;
  for (const entry of (isSet ? Set.prototype.values : Map.prototype.entries).call(value)) {
    if (output.length >= limit) break;
    output.push(isSet ? formatValue(ctx, entry, recurseTimes)
      : `${formatValue(ctx, entry[0], recurseTimes)} => ${formatValue(ctx, entry[1], recurseTimes)}`);
  }
  ctx.indentationLvl -= 2;
  if (size > output.length) output.push(remainingText(size - output.length));
  return output;
}

function formatNamespaceEntry(ctx, ns, recurseTimes, key) {
  try {
    return formatProperty(ctx, ns, recurseTimes, key, OBJECT_ENTRIES);
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    // A binding still in its temporal dead zone.
    return `${formatKey(ctx, key, { enumerable: true })}: ${ctx.stylize("<uninitialized>", "special")}`;
  }
}

function formatKey(ctx, key, desc) {
  if (typeof key === "symbol") return `[${ctx.stylize(key.toString(), "symbol")}]`;
  if (key === "__proto__") return "['__proto__']";
  if (desc.enumerable === false) return `[${String(key)}]`;
  if (/^[a-zA-Z_][a-zA-Z_0-9]*$/.test(key)) return ctx.stylize(key, "name");
  return ctx.stylize(strEscape(String(key)), "string");
}

function formatProperty(ctx, value, recurseTimes, key, kind) {
  const desc = Object.getOwnPropertyDescriptor(value, key) || { value: value[key], enumerable: true };
  const s = ctx.stylize;
  let str;
  let gap = " ";
  if (desc.value !== undefined) {
    const diff = ctx.compact !== true || kind !== OBJECT_ENTRIES ? 2 : 3;
    ctx.indentationLvl += diff;
    str = formatValue(ctx, desc.value, recurseTimes);
    if (diff === 3 && ctx.breakLength < visibleLength(str, ctx)) {
      gap = `\n${" ".repeat(ctx.indentationLvl)}`;
    }
    ctx.indentationLvl -= diff;
  } else if (desc.get !== undefined) {
    const label = desc.set !== undefined ? "Getter/Setter" : "Getter";
    const want = ctx.getters === true || (ctx.getters === "get" && desc.set === undefined) ||
      (ctx.getters === "set" && desc.set !== undefined);
    if (want) {
      try {
        const result = desc.get.call(value);
        ctx.indentationLvl += 2;
        if (result === null) str = `${s(`[${label}:`, "special")} ${s("null", "null")}${s("]", "special")}`;
        else if (typeof result === "object") str = `${s(`[${label}]`, "special")} ${formatValue(ctx, result, recurseTimes)}`;
        else str = `${s(`[${label}:`, "special")} ${formatPrimitive(s, result, ctx)}${s("]", "special")}`;
        ctx.indentationLvl -= 2;
      } catch (err) {
        str = `${s(`[${label}:`, "special")} <Inspection threw (${err && err.message})>${s("]", "special")}`;
      }
    } else {
      str = s(`[${label}]`, "special");
    }
  } else if (desc.set !== undefined) {
    str = s("[Setter]", "special");
  } else {
    str = s("undefined", "undefined");
  }
  if (kind === ARRAY_ENTRIES && isIndex(String(key))) return str;
  return `${formatKey(ctx, key, desc)}:${gap}${str}`;
}

return {
  inspect,
  customInspect,
  formatNumber: (n, sep = false) => numberText(n, sep),
  formatBigInt: (n, sep = false) => bigintText(n, sep),
  stripAnsi,
};
})();
