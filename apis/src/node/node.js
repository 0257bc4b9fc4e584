// The registry the `node:` module scripts enter through.
//
// Each module script starts with
// `globalThis[Symbol.for("isola.node")].enter(name)`, which throws
// workerd's "No such module" unless the running Worker may use the module
// (its compatibility mode, set by `prepareWorker`; the host's resolver
// refuses imports by the same rules first), and otherwise hands it
// `require` for the other modules and the host's ops. Everything handed
// over is a pure computation (encodings, hashes) or the Worker's own
// state, so a Worker that calls `enter` itself gains nothing it lacks.

import { core, primordials } from "ext:core/mod.js";
import { workerTimers } from "ext:isola_global_scope/90_global_scope.js";
import { connect } from "ext:isola_sockets/sockets.js";
import { currentInvocation } from "ext:isola_global_scope/30_events.js";
import {
  op_node_bundle_list,
  op_node_bundle_read,
  op_node_bundle_stat,
  op_node_byte_length,
  op_node_cipher_drop,
  op_node_cipher_final,
  op_node_cipher_new,
  op_node_cipher_set_aad,
  op_node_cipher_set_tag,
  op_node_cipher_tag,
  op_node_cipher_update,
  op_node_decode,
  op_node_ecdh_compute,
  op_node_ecdh_convert,
  op_node_ecdh_generate,
  op_node_ecdh_public,
  op_node_encode,
  op_node_generate_key_pair,
  op_node_key_export_pkcs1,
  op_node_key_import,
  op_node_sign,
  op_node_verify,
  op_node_hash_copy,
  op_node_hash_digest,
  op_node_hash_drop,
  op_node_hash_new,
  op_node_hash_once,
  op_node_hash_update,
  op_node_hkdf,
  op_node_pbkdf2,
  op_node_scrypt,
  op_zlib_close,
  op_zlib_crc32,
  op_zlib_new,
  op_zlib_write,
} from "ext:core/ops";

const {
  ArrayPrototypeIncludes,
  ObjectDefineProperty,
  ObjectFreeze,
  StringPrototypeReplaceAll,
  StringPrototypeStartsWith,
  SymbolFor,
} = primordials;

/** The running Worker's `NodeCompat` (see isola-apis' `node/mod.rs`). */
let compat = { mode: "off", processEnv: false, closed: [] };
/** The Worker's vars and secrets, for `process.env`. */
let variables = {};

function allowed(name) {
  if (ArrayPrototypeIncludes(compat.closed, name)) return false;
  switch (compat.mode) {
    case "v1":
    case "v2":
      return true;
    case "als":
      return name === "async_hooks" || StringPrototypeStartsWith(name, "internal/");
    default:
      return false;
  }
}

/** The exports of the module `name` (`buffer`, `path/posix`). */
function require(name) {
  return core.loadExtScript(
    `ext:isola_node/${StringPrototypeReplaceAll(name, "/", "_")}.js`,
  );
}

const internals = ObjectFreeze({
  require,
  ops: ObjectFreeze({
    byteLength: op_node_byte_length,
    cipherDrop: op_node_cipher_drop,
    cipherFinal: op_node_cipher_final,
    cipherNew: op_node_cipher_new,
    cipherSetAad: op_node_cipher_set_aad,
    cipherSetTag: op_node_cipher_set_tag,
    cipherTag: op_node_cipher_tag,
    cipherUpdate: op_node_cipher_update,
    decode: op_node_decode,
    ecdhCompute: op_node_ecdh_compute,
    ecdhConvert: op_node_ecdh_convert,
    ecdhGenerate: op_node_ecdh_generate,
    ecdhPublic: op_node_ecdh_public,
    encode: op_node_encode,
    generateKeyPair: op_node_generate_key_pair,
    keyExportPkcs1: op_node_key_export_pkcs1,
    keyImport: op_node_key_import,
    sign: op_node_sign,
    verify: op_node_verify,
    hashCopy: op_node_hash_copy,
    hashDigest: op_node_hash_digest,
    hashDrop: op_node_hash_drop,
    hashNew: op_node_hash_new,
    hashOnce: op_node_hash_once,
    hashUpdate: op_node_hash_update,
    hkdf: op_node_hkdf,
    pbkdf2: op_node_pbkdf2,
    scrypt: op_node_scrypt,
    zlibClose: op_zlib_close,
    zlibCrc32: op_zlib_crc32,
    zlibNew: op_zlib_new,
    zlibWrite: op_zlib_write,
  }),
  /** The async context that AsyncLocalStorage keeps across awaits. */
  asyncContext: ObjectFreeze({
    get: core.getAsyncContext,
    set: core.setAsyncContext,
  }),
  /** What plain JS cannot see: a promise's state, a proxy. */
  engine: ObjectFreeze({
    promiseDetails: core.getPromiseDetails,
    isProxy: core.isProxy,
  }),
  /** The request (or other invocation) running now, or null. */
  invocation: currentInvocation,
  /** The Worker's own files, which node:fs shows under /bundle. */
  bundle: ObjectFreeze({
    list: op_node_bundle_list,
    read: op_node_bundle_read,
    stat: op_node_bundle_stat,
  }),
  /** `cloudflare:sockets`, which node:net and node:tls build on. */
  sockets: ObjectFreeze({ connect }),
  /** The Workers' timers, which node:timers wraps. */
  timers: workerTimers,
  /** `process.env`'s contents. */
  variables: () => variables,
  processEnv: () => compat.processEnv,
});

function enter(name) {
  if (!allowed(name)) {
    throw new Error(`No such module "node:${name}".`);
  }
  return internals;
}

ObjectDefineProperty(globalThis, SymbolFor("isola.node"), {
  value: ObjectFreeze({ enter }),
  enumerable: false,
  writable: false,
  configurable: false,
});

/**
 * Sets what the Worker may use (its `NodeCompat`) and what `process.env`
 * would hold; returns whether it gets the globals.
 */
export function setNodeCompat(nodeCompat, vars) {
  compat = nodeCompat;
  variables = vars;
  return compat.mode === "v2";
}

export { require as requireNode };
