// A Worker of two modules: the entry imports its router from ./routes.js.
import { route } from "./routes.js";

export default {
  async fetch(request, env) {
    return route(new URL(request.url), env);
  },
};
