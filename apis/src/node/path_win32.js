// node:path/win32 — the same object as `path.win32`: Windows path rules.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("path/win32");
const win32 = require("path").win32;
return { ...win32, default: win32 };
})();
