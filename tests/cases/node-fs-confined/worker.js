// node:fs shows a Worker its own files under /bundle, never its hidden
// ones (.dev.vars) or what lies outside its folder.
import fs from "node:fs";

function attempt(fn) {
  try {
    return fn();
  } catch (error) {
    return error.code;
  }
}

export default {
  fetch() {
    return Response.json({
      listing: fs.readdirSync("/bundle").sort(),
      own: fs.readFileSync("/bundle/worker.js", "utf8").startsWith("// node:fs shows"),
      hidden: attempt(() => fs.readFileSync("/bundle/.dev.vars", "utf8")),
      above: attempt(() => fs.readFileSync("/bundle/../node/worker.js", "utf8")),
      outside: attempt(() => fs.readdirSync("/bundle/../..").sort()),
    });
  },
};
