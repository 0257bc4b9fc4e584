// node:dns — name resolution as workerd does it: queries go to Cloudflare's
// DNS-over-HTTPS resolver through fetch(), so they count as the Worker's
// subrequests. Callback style; node:dns/promises has the same with
// promises. The resolver cannot be changed (setServers throws), and
// lookupService, resolveAny and Resolver#cancel are not implemented.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("dns");
const dns = require("internal/dns");
const { callbackify } = require("util");

const reverse = callbackify(dns.reverse);
const resolveTxt = callbackify(dns.resolveTxt);
const resolveCaa = callbackify(dns.resolveCaa);
const resolveMx = callbackify(dns.resolveMx);
const resolveCname = callbackify(dns.resolveCname);
const resolveNs = callbackify(dns.resolveNs);
const resolvePtr = callbackify(dns.resolvePtr);
const resolveSrv = callbackify(dns.resolveSrv);
const resolveSoa = callbackify(dns.resolveSoa);
const resolveNaptr = callbackify(dns.resolveNaptr);
const resolve4 = callbackify(dns.resolve4);
const resolve6 = callbackify(dns.resolve6);
const lookupService = callbackify(dns.lookupService);
const resolve = callbackify(dns.resolve);
const resolveAny = callbackify(dns.resolveAny);
const { getServers, setServers, getDefaultResultOrder, setDefaultResultOrder, lookup } = dns;

/** Node's Resolver, over the same resolver as the module functions. */
class Resolver {
  cancel() {
    throw new Error("Not implemented");
  }
  setLocalAddress() {
    throw new Error("Not implemented");
  }
  getServers() {
    return getServers();
  }
  setServers() {
    setServers();
  }
}
const methods = {
  resolve, resolve4, resolve6, resolveAny, resolveCaa, resolveCname, resolveMx,
  resolveNaptr, resolveNs, resolvePtr, resolveSoa, resolveSrv, resolveTxt, reverse,
};
for (const [name, fn] of Object.entries(methods)) {
  Object.defineProperty(Resolver.prototype, name, {
    value: {
      [name](...args) {
        fn(...args);
      },
    }[name],
    writable: true,
    configurable: true,
  });
}

return {
  ...dns.errorCodes,
  promises: require("dns/promises"),
  reverse,
  resolveTxt,
  resolveCaa,
  resolveMx,
  resolveCname,
  resolveNs,
  resolvePtr,
  resolveSrv,
  resolveSoa,
  resolveNaptr,
  resolve4,
  resolve6,
  getServers,
  setServers,
  getDefaultResultOrder,
  setDefaultResultOrder,
  lookup,
  lookupService,
  resolve,
  resolveAny,
  Resolver,
};
})();
