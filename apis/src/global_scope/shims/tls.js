// Stands in for `ext:deno_net/02_tls.js`, which `deno_fetch` loads for
// `Deno.createHttpClient({ cert, key })`. Workers have no client-certificate
// API, so the one function it needs only has to reject a key pair.
(function () {
const { primordials } = __bootstrap;
const { TypeError } = primordials;

function loadTlsKeyPair(_api, { cert, key }) {
  if (cert !== undefined || key !== undefined) {
    throw new TypeError("Client certificates are not supported by Workers");
  }
  return null;
}

return { loadTlsKeyPair };
})();
