import { Hono } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { FC } from "hono/jsx";
import { ContentfulStatusCode } from "hono/utils/http-status";
import { Bindings, Item } from "./types";
import { Layout } from "./layout";

const app = new Hono<{ Bindings: Bindings }>();

const items: Item[] = [
  { id: 1, name: "apple" },
  { id: 2, name: "pear" },
];

const List: FC<{ items: Item[] }> = ({ items }) => (
  <ul>
    {items.map((item) => (
      <li class="item">{item.name}</li>
    ))}
  </ul>
);

app.get("/", (c) =>
  c.html(
    <Layout title="Items">
      <List items={items} />
      <>
        <p>{items.length} items</p>
      </>
    </Layout>,
  ),
);

app.get("/api/items/:id", (c) => {
  const item = items.find((i) => i.id === Number(c.req.param("id")));
  if (!item) {
    const status: ContentfulStatusCode = 404;
    return c.json({ error: "not found" }, status);
  }
  return c.json(item);
});

app.use("/admin/*", (c, next) => bearerAuth({ token: c.env.TOKEN })(c, next));
app.get("/admin/stats", (c) => c.json({ count: items.length }));

app.post("/api/echo", async (c) => {
  const body = await c.req.json();
  return c.json({ got: body, type: c.req.header("Content-Type") });
});

app.notFound((c) => c.text("nothing here", 404));

export default app;
