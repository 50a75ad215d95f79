/**
 * Soak: the simulator sends thousands of signed callbacks to the real Worker (bundled, running
 * in workerd through Miniflare, real D1/KV/Queues), with duplicates, retries, delays and
 * reordering (many deliveries in flight, random latency), while a fraction of the Worker's D1
 * commits fail, before or after committing (test hook: test/workers/fixtures/faulty-d1-worker.ts).
 * At the end, every callback the simulator saw accepted (2xx) is stored exactly once, nothing
 * it did not send is stored, and every stored event reached the subscriber (a loopback sink)
 * at least once, signed.
 */
import { createHmac } from "node:crypto";
import { rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { type RunningSimulator, startSimulator } from "@parkbridge/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleWorker, ROOT, type RunningWorker, startWorker } from "../../bench/lib/worker.js";

// 1000 keeps the test under a minute on 2 busy cores; SOAK_CALLBACKS=5000 for a longer soak.
const CALLBACKS = Number(process.env.SOAK_CALLBACKS ?? 1000);
const IN_FLIGHT = 16;
const D1_FAILURE_RATE = 0.15;
const ADMIN_TOKEN = "soak-admin-token";

interface Received {
  eventId: string;
  deliveryId: string;
  valid: boolean;
}

/** A subscriber on loopback: verifies each delivery's Standard Webhooks signature, fails 1 in 10. */
async function startSink(secret: () => string): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  let count = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const id = String(request.headers["webhook-id"]);
      const timestamp = String(request.headers["webhook-timestamp"]);
      const key = Buffer.from(secret().slice("whsec_".length), "base64");
      const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");
      const signatures = String(request.headers["webhook-signature"] ?? "").split(" ");
      const parsed = JSON.parse(body) as { eventId: string; deliveryId: string };
      received.push({
        eventId: parsed.eventId,
        deliveryId: parsed.deliveryId,
        valid: signatures.includes(`v1,${expected}`),
      });
      // Every tenth delivery fails: the Worker must retry it.
      response.writeHead(++count % 10 === 0 ? 500 : 200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}

let worker: RunningWorker;
let simulator: RunningSimulator;
let sink: Awaited<ReturnType<typeof startSink>>;
let subscriptionSecret = "";
/** The Worker's log lines (kept, not printed: hundreds of expected storage failures). */
const workerLogs: string[] = [];

const outdir = path.join(os.tmpdir(), `parkbridge-soak-${process.pid}`);

beforeAll(async () => {
  const script = await bundleWorker(
    path.join(ROOT, "test/workers/fixtures/faulty-d1-worker.ts"),
    outdir,
    "soak-worker",
  );
  sink = await startSink(() => subscriptionSecret);
  // The simulator first (the Worker needs its URL), its callback target set once the Worker listens.
  const account = { appKey: "soak-app-key", appSecret: "soak-app-secret" };
  worker = await startWorker({
    scriptPath: script,
    queueConsumer: true,
    onLog: (line) => workerLogs.push(line),
    bindings: {
      PLATFORM_BASE_URL: "http://127.0.0.1:9",
      PLATFORM_APP_KEY: account.appKey,
      PLATFORM_APP_SECRET: account.appSecret,
      ADMIN_TOKEN,
      // The sink listens on loopback, as a local n8n does.
      ALLOW_LOOPBACK_SUBSCRIBERS: "on",
      DELIVERY_RETRY_BASE_SECONDS: "1",
      DELIVERY_MAX_ATTEMPTS: "20",
      FAULT_D1_FAILURE_RATE: String(D1_FAILURE_RATE),
      FAULT_SEED: "20261122",
    },
  });
  simulator = await startSimulator({
    port: 0,
    seed: 11,
    accounts: [account],
    callbackUrl: new URL("/callbacks", worker.url).href,
    callbackRetries: 6,
    callbackRetryDelayMs: 20,
  });
  const created = await fetch(new URL("/api/subscriptions", worker.url), {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ url: sink.url }),
  });
  expect(created.status).toBe(201);
  subscriptionSecret = ((await created.json()) as { secret: string }).secret;
}, 120_000);

afterAll(async () => {
  await simulator?.close();
  await worker?.close();
  await new Promise((resolve) => sink?.server.close(resolve));
  await rm(outdir, { recursive: true, force: true });
});

describe("soak: callbacks under duplicates, retries, reordering and D1 failures", () => {
  it(`stores every accepted callback exactly once and delivers every event (${CALLBACKS} callbacks)`, async () => {
    // The platform's misbehaviour: a fifth of deliveries sent twice, delays that reorder them.
    simulator.faults.add({ operation: "callback", kind: "duplicateCallback", rate: 0.2 });
    simulator.faults.add({ operation: "callback", kind: "latency", rate: 0.3, latencyMs: 40 });
    simulator.faults.add({ operation: "callback", kind: "latency", rate: 0.1, latencyMs: 250 });
    // And events signed in the same millisecond: 5 % of first attempts share one (timestamp, sign).
    simulator.faults.add({ operation: "callback", kind: "sameMillisecond", rate: 0.05 });

    // Many deliveries in flight at once: later events overtake earlier ones.
    let generated = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (generated < CALLBACKS) {
          generated++;
          await simulator.traffic.step(1);
        }
      }),
    );

    const sent = simulator.callbacks.sent;
    const accepted = new Set(sent.filter((s) => s.ok).map((s) => s.body));
    const everySent = new Set(sent.map((s) => s.body));
    const retried = sent.filter((s) => s.attempt > 1).length;
    const duplicated = sent.filter((s) => s.duplicateOf).length;
    const faults = (await (await fetch(new URL("/__faults", worker.url))).json()) as Record<string, number>;
    // The faults really happened (else this test proves nothing).
    expect(duplicated).toBeGreaterThan(0);
    expect(retried).toBeGreaterThan(0);
    expect(faults.beforeCommit).toBeGreaterThan(0);
    expect(faults.afterCommit).toBeGreaterThan(0);
    expect(accepted.size).toBeGreaterThan(CALLBACKS * 0.9);
    // Deliveries in flight together shared D1 batches, woken by their leader as in production.
    const ingest = (await (await fetch(new URL("/__ingest", worker.url))).json()) as Record<string, number | boolean>;
    expect(ingest.wakesAcrossRequests).toBe(true);
    expect(ingest.largest).toBeGreaterThan(1);
    expect(ingest.groups).toBeLessThan(Number(ingest.inputs));

    // Stored exactly once, and only what was sent.
    const rows = (
      await worker.db
        .prepare("SELECT body, count(*) AS n FROM raw_callbacks GROUP BY body")
        .all<{ body: string; n: number }>()
    ).results;
    const stored = new Map(rows.map((r) => [r.body, r.n]));
    const missing = [...accepted].filter((body) => stored.get(body) !== 1);
    expect(missing, "accepted callbacks not stored exactly once").toEqual([]);
    expect(
      rows.filter((r) => !everySent.has(r.body)),
      "stored callbacks the simulator never sent",
    ).toEqual([]);
    const events = await worker.db.prepare("SELECT count(*) AS n FROM events").first<{ n: number }>();
    expect(events?.n).toBe(rows.length);
    // Bodies that shared a pair were held, then confirmed once when resent: none of the accepted waits.
    const held = (
      await worker.db.prepare("SELECT body, status FROM held_callbacks").all<{ body: string; status: string }>()
    ).results;
    expect(held.length, "the shared pairs really happened").toBeGreaterThan(0);
    expect(held.filter((h) => accepted.has(h.body) && h.status !== "confirmed")).toEqual([]);

    // Every stored event reaches the subscriber at least once (retries after its failures). An
    // event whose commit "failed" after it happened was answered 503 and never enqueued: the
    // cron's reconciliation finds its outbox row. The cron runs here every few seconds standing in
    // for time: each run's clock is 6 minutes past the last one's (past the 5-minute grace), so a
    // row claimed by a run that died before sending it is due again at the next run, as it would be.
    const eventIds = (await worker.db.prepare("SELECT id FROM events").all<{ id: string }>()).results.map((r) => r.id);
    const scheduled = await worker.mf.getWorker();
    const deadline = Date.now() + 120_000;
    let undelivered = eventIds;
    let cronRuns = 0;
    for (let tick = 0; Date.now() < deadline; tick++) {
      const seen = new Set(sink.received.map((r) => r.eventId));
      undelivered = eventIds.filter((id) => !seen.has(id));
      if (undelivered.length === 0) break;
      if (tick % 6 === 5) {
        cronRuns++;
        await scheduled.scheduled({ scheduledTime: new Date(Date.now() + cronRuns * 6 * 60_000), cron: "* * * * *" });
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(undelivered.length, `events never delivered (of ${eventIds.length})`).toBe(0);
    expect(
      sink.received.filter((r) => !r.valid),
      "deliveries with a bad signature",
    ).toEqual([]);

    console.log(
      JSON.stringify({
        callbacks: CALLBACKS,
        attempts: sent.length,
        accepted: accepted.size,
        retried,
        duplicated,
        stored: rows.length,
        held: held.length,
        d1Faults: faults,
        ingestGroups: ingest,
        deliveriesReceived: sink.received.length,
        cronRuns,
        answers: Object.fromEntries(
          [...new Set(sent.map((a) => a.status))].map((status) => [
            status,
            sent.filter((a) => a.status === status).length,
          ]),
        ),
        // The sign covers appKey + timestamp only: two deliveries sent in the same millisecond share a
        // (timestamp, sign) pair, and the second is held (409, then retried with a new one).
        heldSharingTheirMillisecond: sent.filter(
          (a) =>
            a.status === 409 &&
            sent.some((b) => b !== a && b.headers.timestamp === a.headers.timestamp && b.body !== a.body),
        ).length,
        storageFailuresLogged: workerLogs.filter((l) => l.includes("storage failed")).length,
        // A retried batch after a commit that "failed": the event row's id is taken (see the report).
        retryConflicts: workerLogs.filter((l) => l.includes("UNIQUE constraint failed: events.id")).length,
      }),
    );
  }, 300_000);
});
