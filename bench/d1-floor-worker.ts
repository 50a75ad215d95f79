/**
 * The ingestion benchmark's second baseline: the least a Worker that keeps every callback in D1
 * before answering can do. The bare baseline plus one D1 statement per callback (its body into
 * a table), no verification, no grouping. With local D1 each call costs a round trip through
 * workerd's D1 service, so this shows how much of parkbridge's cost is that round trip itself.
 * The table is created by the benchmark (bench/ingest.ts) before the first request.
 */
import { Hono } from "hono/tiny";

// The slice of D1's binding this uses (the bench is type-checked with Node's types, not workerd's).
interface D1Slice {
  prepare(sql: string): { bind(...values: unknown[]): { run(): Promise<unknown> } };
}

const app = new Hono<{ Bindings: { DB: D1Slice } }>();

app.post("/callbacks", async (c) => {
  const body = await c.req.text();
  JSON.parse(body);
  await c.env.DB.prepare("INSERT INTO floor_callbacks (body) VALUES (?)").bind(body).run();
  return c.json({ code: 0 });
});

export default app;
