/**
 * End to end over real HTTP: the simulator drives traffic with signed callbacks (duplicated
 * deliveries included) into the Worker run by wrangler's test harness (workerd, local D1/KV/
 * Queues, migrations applied), and every callback the simulator delivered is stored exactly once.
 */
import path from "node:path";
import { type RunningSimulator, startSimulator } from "@parkbridge/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestHarness, type TestHarness } from "wrangler";

const root = path.resolve(import.meta.dirname, "../..");
const ADMIN_TOKEN = "e2e-admin-token";

// The slice of D1's binding this test reads (Node has no Workers types).
interface RawBodies {
  prepare(sql: string): { all<T>(): Promise<{ results: T[] }> };
}

let server: TestHarness;
let simulator: RunningSimulator;
let workerUrl: string;

beforeAll(async () => {
  server = createTestHarness({
    root,
    workers: [
      {
        configPath: "wrangler.toml",
        secrets: {
          PLATFORM_APP_KEY: "demo-app-key",
          PLATFORM_APP_SECRET: "demo-app-secret",
          ADMIN_TOKEN,
          PLATFORM_ACCOUNTS: "",
        },
      },
    ],
  });
  workerUrl = (await server.listen()).url.toString().replace(/\/$/, "");
  await server.getWorker().applyD1Migrations("DB");
  simulator = await startSimulator({
    port: 0,
    seed: 42,
    callbackUrl: `${workerUrl}/callbacks`,
    callbackRetryDelayMs: 50,
  });
}, 120_000);

afterAll(async () => {
  await simulator?.close();
  await server?.close();
});

async function allEvents(): Promise<Array<{ id: string; callbackType: string }>> {
  const items: Array<{ id: string; callbackType: string }> = [];
  let cursor: string | null = null;
  do {
    const response = await fetch(`${workerUrl}/api/events?limit=100${cursor ? `&cursor=${cursor}` : ""}`, {
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(response.status).toBe(200);
    const page = (await response.json()) as { items: typeof items; nextCursor: string | null };
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

describe("ingestion end to end", () => {
  it("stores every callback the simulator delivered exactly once, duplicates included", async () => {
    simulator.faults.add({ operation: "callback", kind: "duplicateCallback", rate: 0.2 });
    const sent = await simulator.traffic.step(60);
    expect(sent.length).toBeGreaterThanOrEqual(60);

    const delivered = simulator.callbacks.sent.filter((attempt) => attempt.ok);
    const failed = simulator.callbacks.sent.filter((attempt) => !attempt.ok);
    expect(failed).toEqual([]);
    // Duplicated deliveries happened (the fault), and carried the same body as their original.
    expect(delivered.some((attempt) => attempt.duplicateOf)).toBe(true);
    const distinctBodies = new Set(delivered.map((attempt) => attempt.body));
    expect(distinctBodies.size).toBeLessThan(delivered.length);

    const events = await allEvents();
    console.info(
      `e2e ingest: ${delivered.length} deliveries accepted (${delivered.filter((a) => a.duplicateOf).length} duplicated, ` +
        `${delivered.filter((a) => a.attempt > 1).length} retries), ${distinctBodies.size} distinct callbacks, ${events.length} events stored`,
    );
    expect(events).toHaveLength(distinctBodies.size);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);

    // The stored raw bodies are exactly the bodies sent, each once.
    const env = await server.getWorker<{ DB: RawBodies }>().getEnv();
    const { results } = await env.DB.prepare("SELECT body FROM raw_callbacks").all<{ body: string }>();
    expect(results.map((r) => r.body).sort()).toEqual([...distinctBodies].sort());

    const byType = (list: Array<{ callbackType: string }>) =>
      list.reduce<Record<string, number>>((acc, e) => {
        acc[e.callbackType] = (acc[e.callbackType] ?? 0) + 1;
        return acc;
      }, {});
    const sentTypes = byType([...distinctBodies].map((body) => JSON.parse(body) as { callbackType: string }));
    expect(byType(events)).toEqual(sentTypes);
  });
});
