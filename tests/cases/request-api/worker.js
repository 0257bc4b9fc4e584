// Reports what a Worker sees of its request through the Request API.
export default {
  async fetch(request) {
    const headers = request.headers;
    return Response.json({
      accept: headers.get("accept"),
      host: headers.get("host"),
      duplicated: headers.get("x-dup"),
      hasCustom: headers.has("X-Custom"),
      missing: headers.get("x-missing"),
      entries: [...headers].length,
      method: request.method,
      url: request.url,
      cloneUrl: request.clone().url,
      redirect: request.redirect,
      immutable: (() => {
        try {
          headers.set("x-new", "1");
          return false;
        } catch (error) {
          return error instanceof TypeError;
        }
      })(),
    });
  },
};
