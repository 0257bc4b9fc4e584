// node:path/posix — the same object as `path.posix` (and as node:path).
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("path/posix");
const posix = require("path").default;
return { ...posix, default: posix };
})();
