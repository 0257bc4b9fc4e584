// Sends the request back as JSON: method, URL, headers and body text.
export default {
  async fetch(request) {
    const body = request.body === null ? null : await request.text();
    return Response.json({
      method: request.method,
      url: request.url,
      headers: Object.fromEntries(request.headers),
      body,
    });
  },
};
