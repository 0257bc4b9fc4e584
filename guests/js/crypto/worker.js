// Answers with the SHA-256 of the request body, in hex, computed with
// crypto.subtle.
export default {
  async fetch(request) {
    const data = await request.arrayBuffer();
    const digest = await crypto.subtle.digest("SHA-256", data);
    const hex = [...new Uint8Array(digest)]
      .map((byte) => byte.toString(16).padStart(2, "0"))
      .join("");
    return new Response(hex + "\n", {
      headers: { "x-digest-algorithm": "SHA-256" },
    });
  },
};
