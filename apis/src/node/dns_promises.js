// node:dns/promises — node:dns with promises: queries go to Cloudflare's
// DNS-over-HTTPS resolver through fetch(), as in workerd. Argument errors
// throw at once; failed queries reject with Node's DNS error codes.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("dns/promises");
const dns = require("internal/dns");
const {
  reverse, resolveTxt, resolveCaa, resolveMx, resolveCname, resolveNs,
  resolvePtr, resolveSrv, resolveSoa, resolveNaptr, resolve4, resolve6,
  getServers, setServers, getDefaultResultOrder, setDefaultResultOrder,
  lookupService, resolve, resolveAny,
} = dns;

/** Resolves to `{ address, family }`, or to a list of them with `all`. */
function lookup(hostname, options) {
  let settle;
  const promise = new Promise((resolvePromise, reject) => {
    settle = (error, address, family) => {
      if (error) reject(error);
      else resolvePromise(Array.isArray(address) ? address : { address, family });
    };
  });
  // Outside the executor, so that bad arguments throw rather than reject.
  dns.lookup(hostname, options, settle);
  return promise;
}

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
  resolve(name, rrtype) {
    return resolve(name, rrtype);
  }
  resolve4(name, options) {
    return resolve4(name, options);
  }
  resolve6(name, options) {
    return resolve6(name, options);
  }
  resolveAny() {
    return resolveAny();
  }
  resolveCaa(name) {
    return resolveCaa(name);
  }
  resolveCname(name) {
    return resolveCname(name);
  }
  resolveMx(name) {
    return resolveMx(name);
  }
  resolveNaptr(name) {
    return resolveNaptr(name);
  }
  resolveNs(name) {
    return resolveNs(name);
  }
  resolvePtr(name) {
    return resolvePtr(name);
  }
  resolveSoa(name) {
    return resolveSoa(name);
  }
  resolveSrv(name) {
    return resolveSrv(name);
  }
  resolveTxt(name) {
    return resolveTxt(name);
  }
  reverse(name) {
    return reverse(name);
  }
}

return {
  ...dns.errorCodes,
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
