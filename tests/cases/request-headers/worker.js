// Runs one `Headers` operation, named by `?probe=`, as the first thing done
// with an incoming request's headers, and the same operation on a fresh
// `new Headers()` holding the same entries, so that a test can compare the
// two: the incoming list is built lazily, and the first call is the one a
// lazy path gets wrong.
const probes = {
  "get-mixed": (h) => h.get("Content-Type"),
  "get-upper": (h) => h.get("AUTHORIZATION"),
  "get-lower": (h) => h.get("content-type"),
  "get-other-mixed": (h) => h.get("X-Custom"),
  "get-missing": (h) => h.get("X-Missing"),
  "get-joined": (h) => h.get("X-Dup"),
  "get-then-has": (h) => [h.get("Accept"), h.has("Accept"), h.get("Accept")],
  "has-mixed": (h) => h.has("Content-Type"),
  "has-missing": (h) => h.has("x-missing"),
  "get-set-cookie": (h) => h.getSetCookie(),
  entries: (h) => [...h.entries()],
  keys: (h) => [...h.keys()],
  values: (h) => [...h.values()],
  iterate: (h) => [...h],
  "for-each": (h) => {
    const seen = [];
    h.forEach((value, name) => seen.push([name, value]));
    return seen;
  },
};

export default {
  async fetch(request) {
    const probe = probes[new URL(request.url).searchParams.get("probe")];
    if (!probe) {
      return Response.json(Object.keys(probes));
    }
    const incoming = probe(request.headers);
    const fresh = probe(new Headers([...request.headers]));
    return Response.json({ incoming, fresh });
  },
};
