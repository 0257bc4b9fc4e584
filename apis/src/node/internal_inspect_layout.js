// How util.inspect lays out the entries of an object: on one line, in
// aligned columns, or one per line, as Node does. Internal: used by
// internal/inspect.
(function () {
"use strict";
globalThis[Symbol.for("isola.node")].enter("internal/inspect_layout");

// Control sequences (colors), operating system commands (links, titles),
// and other ESC sequences (ESC, intermediates 0x20-0x2F, a final 0x30-0x7E).
const ansiPattern = /(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[ -/]*[0-~]/g;
/** Removes ANSI escape sequences (colors, links) from `str`. */
const stripAnsi = (str) => str.replace(ansiPattern, "");

/** The length of `str` as displayed: escape codes take no room. */
const visibleLength = (str, ctx) => (ctx.colors ? stripAnsi(str) : str).length;

/** True if the entries fit on one line of `breakLength`. */
function fitsOnOneLine(ctx, output, start, base) {
  let total = output.length + start;
  for (const entry of output) {
    total += visibleLength(entry, ctx);
    if (total > ctx.breakLength) return false;
  }
  return base === "" || !base.includes("\n");
}

/**
 * Lays out more than six short array entries in aligned columns, numbers
 * right-aligned, roughly as wide as tall (weighted by the entry lengths).
 */
function groupArrayElements(ctx, output, value) {
  let count = output.length;
  if (ctx.maxArrayLength < output.length) count--; // not the "... more items" line
  const separatorSpace = 2; // ", "
  const lengths = [];
  let totalLength = 0;
  let maxLength = 0;
  for (let i = 0; i < count; i++) {
    const len = visibleLength(output[i], ctx);
    if (output[i].includes("\n")) return output;
    lengths.push(len);
    totalLength += len + separatorSpace;
    if (len > maxLength) maxLength = len;
  }
  const actualMax = maxLength + separatorSpace;
  if (actualMax * 3 + ctx.indentationLvl >= ctx.breakLength ||
      (totalLength / actualMax <= 5 && maxLength > 6)) {
    return output;
  }
  const averageBias = Math.sqrt(actualMax - totalLength / output.length);
  const biasedMax = Math.max(actualMax - 3 - averageBias, 1);
  const columns = Math.min(
    Math.round(Math.sqrt(2.5 * biasedMax * count) / biasedMax),
    Math.floor((ctx.breakLength - ctx.indentationLvl) / actualMax),
    ctx.compact * 4,
    15,
  );
  if (columns <= 1) return output;

  const widths = [];
  for (let c = 0; c < columns; c++) {
    let width = 0;
    for (let j = c; j < count; j += columns) width = Math.max(width, lengths[j]);
    widths.push(width + separatorSpace);
  }
  let numeric = value !== undefined;
  for (let i = 0; numeric && i < output.length; i++) {
    if (typeof value[i] !== "number" && typeof value[i] !== "bigint") numeric = false;
  }
  const rows = [];
  for (let i = 0; i < count; i += columns) {
    const end = Math.min(i + columns, count);
    let row = "";
    for (let j = i; j < end; j++) {
      const last = j === end - 1;
      // Pad by visible width; escape codes add invisible length.
      const width = widths[j - i] + output[j].length - lengths[j];
      if (!last) {
        const cell = `${output[j]}, `;
        row += numeric ? cell.padStart(width, " ") : cell.padEnd(width, " ");
      } else {
        row += numeric ? output[j].padStart(width - separatorSpace, " ") : output[j];
      }
    }
    rows.push(row);
  }
  if (ctx.maxArrayLength < output.length) rows.push(output[count]);
  return rows;
}

/**
 * Joins the formatted entries of an object into its text: `base` (a
 * function's or error's text) and `braces` around them.
 */
function reduceToSingleString(ctx, output, base, braces, arrayLike, recurseTimes, value) {
  if (ctx.compact !== true) {
    if (typeof ctx.compact === "number" && ctx.compact >= 1) {
      const entries = output.length;
      if (arrayLike && entries > 6) output = groupArrayElements(ctx, output, value);
      // Objects nested at most `compact` levels deep may share one line.
      if (ctx.currentDepth - recurseTimes < ctx.compact && entries === output.length) {
        const start = output.length + ctx.indentationLvl + braces[0].length + base.length + 10;
        if (fitsOnOneLine(ctx, output, start, base)) {
          const joined = output.join(", ");
          if (!joined.includes("\n")) {
            return `${base ? `${base} ` : ""}${braces[0]} ${joined} ${braces[1]}`;
          }
        }
      }
    }
    const indentation = `\n${" ".repeat(ctx.indentationLvl)}`;
    return `${base ? `${base} ` : ""}${braces[0]}${indentation}  ${output.join(`,${indentation}  `)}${indentation}${braces[1]}`;
  }
  // compact: true, the older layout with entries after the brace.
  if (fitsOnOneLine(ctx, output, 0, base)) {
    return `${braces[0]}${base ? ` ${base}` : ""} ${output.join(", ")} ${braces[1]}`;
  }
  const indentation = " ".repeat(ctx.indentationLvl);
  const lead = base === "" && braces[0].length === 1 ? " " : `${base ? ` ${base}` : ""}\n${indentation}  `;
  return `${braces[0]}${lead}${output.join(`,\n${indentation}  `)} ${braces[1]}`;
}

return { reduceToSingleString, stripAnsi, visibleLength };
})();
