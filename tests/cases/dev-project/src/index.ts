import { Router } from "tiny-router";
import { message } from "./message";

interface Env {
  CACHE: KVNamespace;
  DB: D1Database;
  GREETING: string;
  API_TOKEN: string;
}

type Note = { id: number; body: string };

const router = new Router();

router.get("/", async (request: Request, env: Env): Promise<Response> => {
  const visits = Number((await env.CACHE.get("visits")) ?? "0") + 1;
  await env.CACHE.put("visits", String(visits));
  const { results } = await env.DB.prepare("SELECT id, body FROM notes ORDER BY id").all<Note>();
  return Response.json({
    message,
    greeting: env.GREETING,
    token: env.API_TOKEN,
    colo: request.cf?.colo,
    country: request.cf?.country,
    notes: results.map((note: Note) => note.body),
    visits,
  });
});

router.get("/throw", (): Response => {
  throw new Error("thrown from TypeScript");
});

router.get("/last-cron", async (_request: Request, env: Env): Promise<Response> => {
  return new Response((await env.CACHE.get("last-cron")) ?? "none");
});

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    return router.handle(request, env, ctx);
  },
  async scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
    ctx.waitUntil(env.CACHE.put("last-cron", controller.cron));
  },
};
