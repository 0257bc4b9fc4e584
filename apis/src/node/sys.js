// node:sys — Node's old name for node:util; as in workerd, the same module.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("sys");
return require("util");
})();
