// node:url — the WHATWG `URL` and `URLSearchParams` (the globals), Node's
// helpers around them, and the legacy `url.parse()` / `url.format()` /
// `url.resolve()` with Node's results. Differences: no deprecation warnings
// (DEP0169, DEP0170), and a legacy hostname with control characters is
// converted as the URL parser would, not as Node's IDNA binding does.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("url");
const {
  codes: {
    ERR_INVALID_ARG_TYPE,
    ERR_INVALID_ARG_VALUE,
    ERR_INVALID_FILE_URL_HOST,
    ERR_INVALID_FILE_URL_PATH,
    ERR_INVALID_URL,
    ERR_INVALID_URL_SCHEME,
    ERR_MISSING_ARGS,
  },
  validateObject,
  validateString,
} = require("internal/errors");
const querystringModule = require("querystring");
const querystring = querystringModule.default;
const encodeStr = querystringModule[Symbol.for("isola.node.encodeStr")];
const punycode = require("punycode").default;

const { URL, URLSearchParams } = globalThis;
const PLATFORM = "linux";

// Protocols whose URLs may hold "unsafe" characters, that never have a
// host, and that always have "//" after the scheme.
const unsafeProtocol = new Set(["javascript", "javascript:"]);
const hostlessProtocol = new Set(["javascript", "javascript:"]);
const slashedProtocol = new Set([
  "http", "http:", "https", "https:", "ftp", "ftp:", "gopher", "gopher:",
  "file", "file:", "ws", "ws:", "wss", "wss:",
]);

function invalidUrl(input) {
  const err = new ERR_INVALID_URL();
  err.input = input;
  return err;
}

// --- WHATWG helpers ---------------------------------------------------------

/**
 * The host `domain` becomes when set as a URL's hostname, or "" if it
 * cannot be one. A setter that refuses leaves the old host, so two URLs
 * with different hosts tell a refusal from a result.
 */
function hostnameOf(domain) {
  if (domain === "") return "";
  const a = new URL("ws://a");
  const b = new URL("ws://b");
  try {
    a.hostname = domain;
    b.hostname = domain;
  } catch {
    return "";
  }
  return a.hostname === b.hostname ? a.hostname : "";
}

/** The Unicode form of an ASCII host: its "xn--" labels decoded. */
function hostToUnicode(host) {
  try {
    return punycode.toUnicode(host);
  } catch {
    return host;
  }
}

function domainToASCII(domain) {
  if (arguments.length < 1) throw new ERR_MISSING_ARGS("domain");
  return hostnameOf(`${domain}`);
}

function domainToUnicode(domain) {
  if (arguments.length < 1) throw new ERR_MISSING_ARGS("domain");
  return hostToUnicode(hostnameOf(`${domain}`));
}

/** Whether `value` looks like a WHATWG URL (and not a legacy Url object). */
function isURL(value) {
  return Boolean(value?.href && value.protocol && value.auth === undefined && value.path === undefined);
}

function fileURLToPath(path, options = undefined) {
  if (typeof path === "string") {
    try {
      path = new URL(path);
    } catch {
      throw invalidUrl(path);
    }
  } else if (!isURL(path)) {
    throw new ERR_INVALID_ARG_TYPE("path", ["string", "URL"], path);
  }
  if (path.protocol !== "file:") throw new ERR_INVALID_URL_SCHEME("file");
  return options?.windows ? windowsPathFromURL(path) : posixPathFromURL(path);
}

/** A file URL (object) as its path; anything else (strings too) as given. */
function toPathIfFileURL(fileURLOrPath) {
  return isURL(fileURLOrPath) ? fileURLToPath(fileURLOrPath) : fileURLOrPath;
}

function posixPathFromURL(url) {
  if (url.hostname !== "") throw new ERR_INVALID_FILE_URL_HOST(PLATFORM);
  const pathname = url.pathname;
  if (/%2f/i.test(pathname)) throw new ERR_INVALID_FILE_URL_PATH("must not include encoded / characters");
  return decodeURIComponent(pathname);
}

function windowsPathFromURL(url) {
  let pathname = url.pathname;
  if (/%2f|%5c/i.test(pathname)) throw new ERR_INVALID_FILE_URL_PATH("must not include encoded \\ or / characters");
  pathname = decodeURIComponent(pathname.replaceAll("/", "\\"));
  if (url.hostname !== "") return `\\\\${domainToUnicode(url.hostname)}${pathname}`; // UNC
  // Otherwise a drive letter must follow the leading separator.
  if (!/^[a-z]$/i.test(pathname[1] ?? "") || pathname[2] !== ":") {
    throw new ERR_INVALID_FILE_URL_PATH("must be absolute");
  }
  return pathname.slice(1);
}

// What pathToFileURL escapes itself before the URL parser sees the path.
const PATH_ESCAPES = [
  ["%", "%25"], ["\t", "%09"], ["\n", "%0A"], ["\r", "%0D"], [" ", "%20"], ['"', "%22"],
  ["#", "%23"], ["?", "%3F"], ["[", "%5B"], ["\\", "%5C"], ["]", "%5D"], ["^", "%5E"],
  ["|", "%7C"], ["~", "%7E"],
];

function encodePathChars(path, windows) {
  for (const [ch, escaped] of PATH_ESCAPES) {
    if (ch === "\\" && windows) continue; // a separator on Windows
    path = path.replaceAll(ch, escaped);
  }
  return path;
}

function pathToFileURL(filepath, options = undefined) {
  validateString(filepath, "path");
  const windows = Boolean(options?.windows);
  if (windows && filepath.startsWith("\\\\")) return uncToFileURL(filepath);
  const path = require("path").default;
  let resolved = windows ? path.win32.resolve(filepath) : path.posix.resolve(filepath);
  // resolve() drops a trailing separator; keep it.
  const last = filepath[filepath.length - 1];
  if ((last === "/" || (windows && last === "\\")) && resolved[resolved.length - 1] !== "/") resolved += "/";
  return new URL(`file://${encodePathChars(resolved, windows)}`);
}

/** "\\server\share\dir" (or "\\?\UNC\server\share\dir") as file://server/share/dir. */
function uncToFileURL(filepath) {
  const prefix = filepath.startsWith("\\\\?\\UNC\\") ? 8 : 2;
  const hostEnd = filepath.indexOf("\\", prefix);
  if (hostEnd === -1) throw new ERR_INVALID_ARG_VALUE("path", filepath, "Missing UNC resource path");
  if (hostEnd === 2) throw new ERR_INVALID_ARG_VALUE("path", filepath, "Empty UNC servername");
  const url = new URL("file://");
  url.hostname = domainToASCII(filepath.slice(prefix, hostEnd));
  url.pathname = encodePathChars(filepath.slice(hostEnd).replaceAll("\\", "/"), true);
  return url;
}

function urlToHttpOptions(url) {
  const { hostname, pathname, port, username, password, search } = url;
  const options = {
    __proto__: null,
    ...url, // whatever a caller added to the URL object
    protocol: url.protocol,
    hostname: hostname && hostname[0] === "[" ? hostname.slice(1, -1) : hostname,
    hash: url.hash,
    search,
    pathname,
    path: `${pathname || ""}${search || ""}`,
    href: url.href,
  };
  if (port !== "") options.port = Number(port);
  if (username || password) options.auth = `${decodeURIComponent(username)}:${decodeURIComponent(password)}`;
  return options;
}

/** `url.format(URL, options)`: the href less what the options leave out. */
function formatWhatwg(url, options) {
  let fragment = true;
  let unicode = false;
  let search = true;
  let auth = true;
  if (options) {
    validateObject(options, "options");
    if (options.fragment != null) fragment = Boolean(options.fragment);
    if (options.unicode != null) unicode = Boolean(options.unicode);
    if (options.search != null) search = Boolean(options.search);
    if (options.auth != null) auth = Boolean(options.auth);
  }
  // Cut the parts out of the serialization rather than through setters,
  // which would also strip trailing spaces from an opaque path.
  let href = url.href;
  let { username, password } = url;
  if (!auth && (username || password)) {
    const copy = new URL(href);
    copy.username = copy.password = username = password = "";
    href = copy.href;
  }
  const hashAt = href.indexOf("#");
  if (!fragment && hashAt !== -1) href = href.slice(0, hashAt);
  const queryAt = href.indexOf("?");
  if (!search && queryAt !== -1 && (hashAt === -1 || queryAt < hashAt)) {
    href = href.slice(0, queryAt) + (fragment && hashAt !== -1 ? href.slice(hashAt) : "");
  }
  const hostname = url.hostname;
  if (!unicode || !hostname.includes("xn--")) return href;
  const userinfo = username || password ? `${username}${password ? `:${password}` : ""}@` : "";
  const before = `${url.protocol}//${userinfo}`;
  if (!href.startsWith(before + hostname)) return href;
  return before + hostToUnicode(hostname) + href.slice(before.length + hostname.length);
}

// --- The legacy API ---------------------------------------------------------

function Url() {
  this.protocol = null;
  this.slashes = null;
  this.auth = null;
  this.host = null;
  this.port = null;
  this.hostname = null;
  this.hash = null;
  this.search = null;
  this.query = null;
  this.pathname = null;
  this.path = null;
  this.href = null;
}

const PROTOCOL = /^[a-z0-9.+-]+:/i;
const PORT = /:[0-9]*$/;
const AUTH_THEN_HOST = /^\/\/[^@/]+@[^@/]+/; // "//user@host": a host even without a protocol
const SIMPLE_PATH = /^(\/\/?(?!\/)[^?\s]*)(\?[^\s]*)?$/;
const HOSTNAME_MAX = 255;
// Characters a hostname that went through IDNA may not hold (the URL
// standard's forbidden host code points, plus ":" "@" "[" "]").
const FORBIDDEN_HOST = /[\0\t\n\r #%/:<>?@[\\\]^|]/;
const FORBIDDEN_HOST_IPV6 = /[\0\t\n\r #%/<>?@\\^|]/;
// Characters that cannot be in a host: they end it, or the part before an "@".
const NON_HOST = new Set([" ", '"', "%", "'", ";", "<", ">", "\\", "^", "`", "{", "|", "}"]);
const HOST_END = new Set(["#", "/", "?"]);
// What parse() percent-encodes in the part after the host.
const AUTO_ESCAPE = {
  "\t": "%09", "\n": "%0A", "\r": "%0D", " ": "%20", '"': "%22", "'": "%27", "<": "%3C",
  ">": "%3E", "\\": "%5C", "^": "%5E", "`": "%60", "{": "%7B", "|": "%7C", "}": "%7D",
};
const AUTO_ESCAPE_RE = /[\t\n\r "'<>\\^`{|}]/g;

const isWhitespace = (code) => code < 33 || code === 0xa0 || code === 0xfeff;
const isIpv6Hostname = (hostname) => hostname[0] === "[" && hostname[hostname.length - 1] === "]";

/**
 * Trims `url` of surrounding whitespace and turns backslashes before the
 * first "?" or "#" into slashes, as browsers do. Also tells whether it has
 * a "#" at all, and an "@" before any "?" or "#".
 */
function cleanInput(url) {
  let start = 0;
  let end = url.length;
  while (start < end && isWhitespace(url.charCodeAt(start))) start++;
  while (end > start && isWhitespace(url.charCodeAt(end - 1))) end--;
  let rest = url.slice(start, end);
  const split = rest.search(/[?#]/);
  const head = split === -1 ? rest : rest.slice(0, split);
  if (head.includes("\\")) rest = head.replaceAll("\\", "/") + rest.slice(head.length);
  return { rest, hasHash: rest.includes("#"), hasAt: head.includes("@") };
}

/**
 * IDNA ToASCII for a legacy hostname, or "" if it has none. The URL
 * parser does the mapping; an extra last label keeps it from reading the
 * host as an IPv4 address, which Node's parse() does not do.
 */
function legacyToASCII(hostname) {
  if (/^[a-z0-9._+-]*$/.test(hostname) && !hostname.includes("xn--")) return hostname;
  try {
    const host = new URL(`http://${hostname}.x`).hostname;
    return host.endsWith(".x") ? host.slice(0, -2) : "";
  } catch {
    return "";
  }
}

function urlParse(url, parseQueryString, slashesDenoteHost) {
  if (url instanceof Url) return url;
  const parsed = new Url();
  parsed.parse(url, parseQueryString, slashesDenoteHost);
  return parsed;
}

/** Sets `search` and `query` of a parse() result from "?..." (or their absence). */
function setSearch(self, search, parseQueryString) {
  if (search !== undefined) {
    self.search = search;
    self.query = parseQueryString ? querystring.parse(search.slice(1)) : search.slice(1);
  } else if (parseQueryString) {
    self.search = null;
    self.query = { __proto__: null };
  }
}

Url.prototype.parse = function parse(url, parseQueryString, slashesDenoteHost) {
  validateString(url, "url");
  let { rest, hasHash, hasAt } = cleanInput(url);

  // A plain path ("/a/b?c") needs none of the work below.
  if (!slashesDenoteHost && !hasHash && !hasAt) {
    const simple = SIMPLE_PATH.exec(rest);
    if (simple) {
      this.path = rest;
      this.href = rest;
      this.pathname = simple[1];
      setSearch(this, simple[2] || undefined, parseQueryString);
      return this;
    }
  }

  let proto = PROTOCOL.exec(rest);
  let lowerProto;
  if (proto) {
    proto = proto[0];
    lowerProto = proto.toLowerCase();
    this.protocol = lowerProto;
    rest = rest.slice(proto.length);
  }

  // "user@server" always has a host, and "//foo/bar" is host foo and path
  // /bar when resolving relative URLs.
  let slashes;
  if (slashesDenoteHost || proto || AUTH_THEN_HOST.test(rest)) {
    slashes = rest.startsWith("//");
    if (slashes && !(proto && hostlessProtocol.has(lowerProto))) {
      rest = rest.slice(2);
      this.slashes = true;
    }
  }

  // Node checks the protocol as written here, so "HTTP:x" counts as unslashed.
  if (!hostlessProtocol.has(lowerProto) && (slashes || (proto && !slashedProtocol.has(proto)))) {
    rest = parseHostPart.call(this, rest, url);
  }

  if (!unsafeProtocol.has(lowerProto)) rest = rest.replace(AUTO_ESCAPE_RE, (ch) => AUTO_ESCAPE[ch]);

  const hashIdx = rest.indexOf("#");
  if (hashIdx !== -1) this.hash = rest.slice(hashIdx);
  const beforeHash = hashIdx === -1 ? rest : rest.slice(0, hashIdx);
  const questionIdx = beforeHash.indexOf("?");
  setSearch(this, questionIdx === -1 ? undefined : beforeHash.slice(questionIdx), parseQueryString);

  const pathEnd = questionIdx !== -1 ? questionIdx : hashIdx;
  if (pathEnd === -1) {
    if (rest.length > 0) this.pathname = rest;
  } else if (pathEnd > 0) {
    this.pathname = rest.slice(0, pathEnd);
  }
  if (slashedProtocol.has(lowerProto) && this.hostname && !this.pathname) this.pathname = "/";
  if (this.pathname || this.search) this.path = (this.pathname || "") + (this.search || "");
  this.href = this.format();
  return this;
};

/**
 * Sets `auth`, `host`, `port` and `hostname` of the Url `this` from the
 * start of `rest` (what follows "//"), and returns what is left of it.
 */
function parseHostPart(rest, url) {
  // The host ends at the first "#", "/" or "?"; an "@" before that ends
  // the auth part, and the last one counts. Tabs and newlines there are
  // dropped, as the URL parser drops them.
  let atSign = -1;
  let nonHost = -1;
  for (let i = 0; i < rest.length; i++) {
    const ch = rest[i];
    if (ch === "\t" || ch === "\n" || ch === "\r") {
      rest = rest.slice(0, i) + rest.slice(i + 1);
      i--;
    } else if (NON_HOST.has(ch)) {
      if (nonHost === -1) nonHost = i;
    } else if (HOST_END.has(ch)) {
      if (nonHost === -1) nonHost = i;
      break;
    } else if (ch === "@") {
      atSign = i;
      nonHost = -1;
    }
  }
  let start = 0;
  if (atSign !== -1) {
    this.auth = decodeURIComponent(rest.slice(0, atSign));
    start = atSign + 1;
  }
  if (nonHost === -1) {
    this.host = rest.slice(start);
    rest = "";
  } else {
    this.host = rest.slice(start, nonHost);
    rest = rest.slice(nonHost);
  }

  this.parseHost();
  if (typeof this.hostname !== "string") this.hostname = "";
  const ipv6 = isIpv6Hostname(this.hostname);
  if (!ipv6) {
    // A character that cannot be in a hostname starts the path instead.
    const bad = this.hostname.search(/[/\\#?:]/);
    if (bad !== -1) {
      rest = `/${this.hostname.slice(bad)}${rest}`;
      this.hostname = this.hostname.slice(0, bad);
    }
  }
  this.hostname = this.hostname.length > HOSTNAME_MAX ? "" : this.hostname.toLowerCase();
  if (this.hostname !== "") {
    if (ipv6) {
      if (FORBIDDEN_HOST_IPV6.test(this.hostname)) throw invalidUrl(url);
    } else {
      this.hostname = legacyToASCII(this.hostname);
      // Only IDNA can have produced these now: refuse rather than guess.
      if (this.hostname === "" || FORBIDDEN_HOST.test(this.hostname)) throw invalidUrl(url);
    }
  }
  this.host = (this.hostname || "") + (this.port ? `:${this.port}` : "");
  if (ipv6) {
    this.hostname = this.hostname.slice(1, -1); // the host keeps the brackets
    if (rest[0] !== "/") rest = `/${rest}`;
  }
  return rest;
}

// What format() leaves unescaped in `auth`.
const AUTH_UNESCAPED = (() => {
  const table = new Int8Array(128);
  for (const ch of "!'()*-.0123456789:ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~") table[ch.charCodeAt(0)] = 1;
  return table;
})();

Url.prototype.format = function format() {
  let auth = this.auth || "";
  if (auth) auth = `${encodeStr(auth, AUTH_UNESCAPED)}@`;
  let protocol = this.protocol || "";
  let pathname = this.pathname || "";
  let hash = this.hash || "";
  let host = "";
  if (this.host) {
    host = auth + this.host;
  } else if (this.hostname) {
    const name = this.hostname.includes(":") && !isIpv6Hostname(this.hostname) ? `[${this.hostname}]` : this.hostname;
    host = auth + name;
    if (this.port) host += `:${this.port}`;
  }
  const query = this.query !== null && typeof this.query === "object" ? querystring.stringify(this.query) : "";
  let search = this.search || (query && `?${query}`) || "";
  if (protocol && !protocol.endsWith(":")) protocol += ":";
  pathname = pathname.replace(/[#?]/g, (ch) => (ch === "#" ? "%23" : "%3F"));

  // Only the slashed protocols get "//" (not mailto: and the like), unless
  // the URL had them.
  if (this.slashes || slashedProtocol.has(protocol)) {
    if (this.slashes || host) {
      if (pathname && pathname[0] !== "/") pathname = `/${pathname}`;
      host = `//${host}`;
    } else if (protocol.startsWith("file")) {
      host = "//";
    }
  }
  search = search.replaceAll("#", "%23");
  if (hash && hash[0] !== "#") hash = `#${hash}`;
  if (search && search[0] !== "?") search = `?${search}`;
  return protocol + host + pathname + search + hash;
};

function urlFormat(urlObject, options) {
  if (typeof urlObject === "string") {
    urlObject = urlParse(urlObject);
  } else if (typeof urlObject !== "object" || urlObject === null) {
    throw new ERR_INVALID_ARG_TYPE("urlObject", ["Object", "string"], urlObject);
  } else if (urlObject instanceof URL) {
    return formatWhatwg(urlObject, options);
  }
  return Url.prototype.format.call(urlObject);
}

function urlResolve(source, relative) {
  return urlParse(source, false, true).resolve(relative);
}

function urlResolveObject(source, relative) {
  if (!source) return relative;
  return urlParse(source, false, true).resolveObject(relative);
}

Url.prototype.resolve = function resolve(relative) {
  return this.resolveObject(urlParse(relative, false, true)).format();
};

// resolveObject() lives in its own part of the file: it is long.
Url.prototype.resolveObject = function resolveObject(relative) {
  return resolveLegacy(this, relative);
};

Url.prototype.parseHost = function parseHost() {
  let host = this.host;
  const port = PORT.exec(host);
  if (port) {
    if (port[0] !== ":") this.port = port[0].slice(1);
    host = host.slice(0, host.length - port[0].length);
  }
  if (host) this.hostname = host;
};

/** The URL `relative` names when seen from `base`, Node's legacy way (RFC 1808 with quirks). */
function resolveLegacy(base, relative) {
  if (typeof relative === "string") {
    const parsed = new Url();
    parsed.parse(relative, false, true);
    relative = parsed;
  }
  const result = new Url();
  Object.assign(result, base);
  const done = () => {
    result.href = result.format();
    return result;
  };
  const setPath = () => {
    if (result.pathname || result.search) result.path = (result.pathname || "") + (result.search || "");
  };

  // The fragment always comes from `relative`, even when that is "".
  result.hash = relative.hash;
  if (relative.href === "") return done();

  // "//host/path": everything but the protocol comes from `relative`.
  if (relative.slashes && !relative.protocol) {
    for (const key of Object.keys(relative)) if (key !== "protocol") result[key] = relative[key];
    if (slashedProtocol.has(result.protocol) && result.hostname && !result.pathname) result.path = result.pathname = "/";
    return done();
  }

  if (relative.protocol && relative.protocol !== result.protocol) {
    // Another protocol: an unslashed one takes over entirely.
    if (!slashedProtocol.has(relative.protocol)) {
      Object.assign(result, relative);
      return done();
    }
    result.protocol = relative.protocol;
    if (!relative.host && !/^file:?$/.test(relative.protocol) && !hostlessProtocol.has(relative.protocol)) {
      // "http:foo/bar" with no host: its first path segment is the host.
      const names = (relative.pathname || "").split("/");
      while (names.length && !(relative.host = names.shift()));
      if (!relative.host) relative.host = "";
      if (!relative.hostname) relative.hostname = "";
      if (names[0] !== "") names.unshift("");
      if (names.length < 2) names.unshift("");
      result.pathname = names.join("/");
    } else {
      result.pathname = relative.pathname;
    }
    result.search = relative.search;
    result.query = relative.query;
    result.host = relative.host || "";
    result.auth = relative.auth;
    result.hostname = relative.hostname || relative.host;
    result.port = relative.port;
    setPath();
    result.slashes = result.slashes || relative.slashes;
    return done();
  }

  const isSourceAbs = result.pathname && result.pathname[0] === "/";
  const isRelAbs = relative.host || (relative.pathname && relative.pathname[0] === "/");
  let mustEndAbs = isRelAbs || isSourceAbs || (result.host && relative.pathname);
  const removeAllDots = mustEndAbs;
  let srcPath = (result.pathname && result.pathname.split("/")) || [];
  const relPath = (relative.pathname && relative.pathname.split("/")) || [];
  // For a protocol like mailto:, the host is just the path's first part,
  // so "../.." may climb into it.
  const noLeadingSlashes = result.protocol && !slashedProtocol.has(result.protocol);
  if (noLeadingSlashes) {
    result.hostname = "";
    result.port = null;
    if (result.host) {
      if (srcPath[0] === "") srcPath[0] = result.host;
      else srcPath.unshift(result.host);
    }
    result.host = "";
    if (relative.protocol) {
      relative.hostname = null;
      relative.port = null;
      result.auth = null;
      if (relative.host) {
        if (relPath[0] === "") relPath[0] = relative.host;
        else relPath.unshift(relative.host);
      }
      relative.host = null;
    }
    mustEndAbs = mustEndAbs && (relPath[0] === "" || srcPath[0] === "");
  }

  if (isRelAbs) {
    if (relative.host || relative.host === "") {
      if (result.host !== relative.host) result.auth = null;
      result.host = relative.host;
      result.port = relative.port;
    }
    if (relative.hostname || relative.hostname === "") {
      if (result.hostname !== relative.hostname) result.auth = null;
      result.hostname = relative.hostname;
    }
    result.search = relative.search;
    result.query = relative.query;
    srcPath = relPath;
  } else if (relPath.length) {
    // A relative path replaces the last segment of the base's.
    srcPath.pop();
    srcPath = srcPath.concat(relPath);
    result.search = relative.search;
    result.query = relative.query;
  } else if (relative.search !== null && relative.search !== undefined) {
    // Only a new query ("?foo").
    if (noLeadingSlashes) {
      result.hostname = result.host = srcPath.shift();
      takeAuthFromHost(result);
    }
    result.search = relative.search;
    result.query = relative.query;
    if (result.pathname !== null || result.search !== null) {
      result.path = (result.pathname ? result.pathname : "") + (result.search ? result.search : "");
    }
    return done();
  }

  if (!srcPath.length) {
    result.pathname = null;
    result.path = result.search ? `/${result.search}` : null;
    return done();
  }

  // A path ending in "." or ".." (or "") ends with a slash once resolved.
  let last = srcPath[srcPath.length - 1];
  const hasTrailingSlash =
    ((result.host || relative.host || srcPath.length > 1) && (last === "." || last === "..")) || last === "";

  // Drop "." segments and each ".." with the segment before it; `up`
  // counts the ".." that climbed above the start.
  let up = 0;
  for (let i = srcPath.length - 1; i >= 0; i--) {
    last = srcPath[i];
    if (last === ".") {
      srcPath.splice(i, 1);
    } else if (last === "..") {
      srcPath.splice(i, 1);
      up++;
    } else if (up) {
      srcPath.splice(i, 1);
      up--;
    }
  }
  if (!mustEndAbs && !removeAllDots) {
    while (up--) srcPath.unshift("..");
  }
  if (mustEndAbs && srcPath[0] !== "" && (!srcPath[0] || srcPath[0][0] !== "/")) srcPath.unshift("");
  if (hasTrailingSlash && !srcPath.join("/").endsWith("/")) srcPath.push("");

  const isAbsolute = srcPath[0] === "" || (srcPath[0] && srcPath[0][0] === "/");
  if (noLeadingSlashes) {
    // Put the host back from the front of the path.
    result.hostname = result.host = isAbsolute ? "" : srcPath.length ? srcPath.shift() : "";
    takeAuthFromHost(result);
  }
  mustEndAbs = mustEndAbs || (result.host && srcPath.length);
  if (mustEndAbs && !isAbsolute) srcPath.unshift("");

  if (!srcPath.length) {
    result.pathname = null;
    result.path = null;
  } else {
    result.pathname = srcPath.join("/");
  }
  if (result.pathname !== null || result.search !== null) {
    result.path = (result.pathname ? result.pathname : "") + (result.search ? result.search : "");
  }
  result.auth = relative.auth || result.auth;
  result.slashes = result.slashes || relative.slashes;
  return done();
}

/** "user@host" that ended up as a host (mailto:) is split back into auth and host. */
function takeAuthFromHost(result) {
  if (result.host && result.host.indexOf("@") > 0) {
    const parts = result.host.split("@");
    result.auth = parts[0];
    result.host = result.hostname = parts[1];
  }
}

const url = {
  Url,
  parse: urlParse,
  resolve: urlResolve,
  resolveObject: urlResolveObject,
  format: urlFormat,
  URL,
  URLSearchParams,
  domainToASCII,
  domainToUnicode,
  pathToFileURL,
  fileURLToPath,
  toPathIfFileURL,
  urlToHttpOptions,
};

return { ...url, default: url };
})();
