import { AutoRouter, error } from "itty-router";

const router = AutoRouter();

router
  .get("/", () => "itty api")
  .get("/hello/:name", ({ name }) => ({ hello: name }))
  .get("/query", ({ query }) => query)
  .post("/echo", async (request) => {
    if (request.headers.get("Content-Type") !== "application/json") {
      return error(415, "expected JSON");
    }
    return { echoed: await request.json() };
  })
  .get("/throw", () => {
    throw new Error("boom");
  });

export default router;
