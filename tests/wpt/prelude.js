// Runs before WPT's testharness.js, in the script that runs one test file.
//
// A Worker's global scope is a ServiceWorkerGlobalScope, and testharness.js
// would then wait for a service worker's `install` event and report to its
// clients. The runner collects results itself, so the harness is loaded as
// in a shell: the scope's names are hidden while it loads (the epilogue puts
// them back). The test's URL on the runner's loopback server stands in for
// `location`, and relative URLs given to fetch() resolve against it, as they
// would in a worker loaded from that URL.
const wptHidden = [];
for (const name of ["ServiceWorkerGlobalScope", "WorkerGlobalScope"]) {
  for (let owner = globalThis; owner !== null; owner = Object.getPrototypeOf(owner)) {
    const descriptor = Object.getOwnPropertyDescriptor(owner, name);
    if (descriptor) {
      wptHidden.push([owner, name, descriptor]);
      delete owner[name];
      break;
    }
  }
}
{
  const url = new URL(WPT_TEST_URL);
  const { href, origin, protocol, host, hostname, port, pathname, search, hash } = url;
  globalThis.location = { href, origin, protocol, host, hostname, port, pathname, search, hash, toString: () => href };
}
// What WPT's server defines for `.any.js` tests run in a worker.
globalThis.GLOBAL = { isWindow: () => false, isWorker: () => true, isShadowRealm: () => false };
const wptFetch = globalThis.fetch;
globalThis.fetch = {
  fetch(input) {
    const target = typeof input === "string" || input instanceof URL ? new URL(input, location.href).href : input;
    return wptFetch(target, ...Array.prototype.slice.call(arguments, 1));
  },
}.fetch;
// Relative URLs given to `new Request()` resolve against it too, as
// workerd's own WPT harness resolves them.
globalThis.Request = new Proxy(globalThis.Request, {
  construct(target, args, newTarget) {
    if (typeof args[0] === "string" || args[0] instanceof URL) {
      args[0] = new URL(args[0], location.href).href;
    }
    return Reflect.construct(target, args, newTarget === globalThis.Request ? target : newTarget);
  },
});
