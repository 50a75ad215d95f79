/**
 * The ingestion benchmark's baseline: the least a Hono Worker can do with a callback (read the
 * body, parse the JSON, answer the platform's success envelope). Same runtime, same bindings,
 * same client as the real Worker, so the ratio measures parkbridge's own work: verification,
 * the D1 batch, the background KV refresh.
 */
import { Hono } from "hono/tiny";

const app = new Hono();

app.post("/callbacks", async (c) => {
  JSON.parse(await c.req.text());
  return c.json({ code: 0 });
});

export default app;
