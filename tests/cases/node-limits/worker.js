// Work node:crypto refuses because, once begun, the host could not stop
// it within the Worker's CPU limit: Cloudflare's PBKDF2 iteration limit,
// and RSA keys over 4096 bits.
import crypto from "node:crypto";

function attempt(fn) {
  try {
    fn();
    return "done";
  } catch (error) {
    return `${error.name}: ${error.message}`;
  }
}

export default {
  fetch() {
    return Response.json({
      pbkdf2: attempt(() => crypto.pbkdf2Sync("p", "s", 100_001, 8, "sha256")),
      pbkdf2AtLimit: attempt(() => crypto.pbkdf2Sync("p", "s", 1_000, 8, "sha256")),
      rsa: attempt(() => crypto.generateKeyPairSync("rsa", { modulusLength: 8192 })),
      scrypt: attempt(() => crypto.scryptSync("p", "s", 8, { N: 2 ** 20, r: 8, maxmem: 2 ** 31 })),
    });
  },
};
