/**
 * The history's reconciliation with the platform's records, in workerd against the real
 * simulator: its callbacks (some dropped, duplicated or late by its seeded faults) are relayed
 * into the Worker as the platform would send them, and reconciliation runs are driven one
 * invocation at a time, each with its counted platform calls and D1 statements.
 */
import { env, exports } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import type { Env } from "../../workers/src/env.js";
import type { RecordsReport } from "../../workers/src/records/invocation.js";
import { openBackfill } from "../../workers/src/records/jobs.js";
import { reconciliationDue, runReconciliation } from "../../workers/src/records/run.js";
import { loadStatus } from "../../workers/src/status/queries.js";
import { statusPage } from "../../workers/src/status/status-page.js";
import { hookName, sinkRequests, subscribe } from "./delivery-support.js";
import { apiJson } from "./ingest-support.js";
import { clearFaults, plates, sim } from "./visitors-support.js";

interface SimRecord {
  recordId: number;
  vehicleCode: string;
  accessType: "1" | "2";
  time: string;
  laneNo: string;
  parkingId: string;
}

interface StoredAccess {
  id: string;
  vehicle_code: string;
  direction: string;
  occurred_at_local: string;
  lane_no: string;
  source: string;
  record_id: string | null;
}

const plate = plates("苏R");
const relayed = new Set<string>();

/** A lot of this test's own on the shared simulator. */
async function newLot(): Promise<string> {
  const parkingId = `rec-${Math.random().toString(36).slice(2, 8)}`;
  await sim("/__sim/lots", { body: { parkingId } });
  return parkingId;
}

/** `count` vehicles enter and leave the lot (2 accesses each); the platform sends a callback for each (faults permitting). */
async function traffic(parkingId: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const vehicleCode = plate();
    await sim("/__sim/vehicles/enter", { body: { parkingId, vehicleCode } });
    await sim("/__sim/vehicles/leave", { body: { parkingId, vehicleCode } });
  }
}

/** Every callback the simulator sent about the lot and that was not relayed yet, into the Worker; their answers. */
async function relay(parkingId: string): Promise<Array<{ status: number; body: string }>> {
  const answers: Array<{ status: number; body: string }> = [];
  for (const request of await sinkRequests("platform-callbacks")) {
    const key = `${request.at}|${request.headers.timestamp}|${request.body}`;
    if (
      relayed.has(key) ||
      (JSON.parse(request.body) as { data?: { parkingId?: string } }).data?.parkingId !== parkingId
    )
      continue;
    relayed.add(key);
    answers.push(await send(request.body, request.headers));
  }
  return answers;
}

async function send(body: string, headers: Record<string, string>) {
  const response = await exports.default.fetch("http://worker/callbacks", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      appKey: headers.appkey as string,
      timestamp: headers.timestamp as string,
      sign: headers.sign as string,
    },
    body,
  });
  return { status: response.status, body: await response.text() };
}

const records = (parkingId: string) => sim<SimRecord[]>(`/__sim/records?parkingId=${parkingId}`);

async function accesses(parkingId: string): Promise<StoredAccess[]> {
  const { results } = await env.DB.prepare(
    `SELECT id, vehicle_code, data ->> '$.direction' AS direction, occurred_at_local, lane_no, source, record_id
     FROM events WHERE parking_id = ? AND event = 'vehicleAccess' ORDER BY occurred_at_local, id`,
  )
    .bind(parkingId)
    .all<StoredAccess>();
  return results;
}

/** The history equals the platform's records: each record once, same plate, direction, time and lane, with its recordId. */
async function expectHistoryComplete(parkingId: string): Promise<StoredAccess[]> {
  const platform = await records(parkingId);
  const stored = await accesses(parkingId);
  const asKey = (r: { recordId: string; plate: string; direction: string; time: string; lane: string }) =>
    JSON.stringify(r);
  expect(
    stored
      .map((e) =>
        asKey({
          recordId: e.record_id ?? "?",
          plate: e.vehicle_code,
          direction: e.direction,
          time: e.occurred_at_local,
          lane: e.lane_no,
        }),
      )
      .sort(),
  ).toEqual(
    platform
      .map((r) =>
        asKey({
          recordId: String(r.recordId),
          plate: r.vehicleCode,
          direction: r.accessType === "1" ? "in" : "out",
          time: r.time,
          lane: r.laneNo,
        }),
      )
      .sort(),
  );
  return stored;
}

/** The test's reconciliation env: no queue (the test plays it), no cron passes unless asked. */
const recordsEnv = (vars: Partial<Env> = {}): Env =>
  ({ ...(env as unknown as Env), RECORDS: undefined, RECONCILE_TRAILING_HOURS: "0", ...vars }) as Env;

/** Runs until a run finds nothing to read (each run a fresh invocation at `now + step × i`); their reports. */
async function runUntilDone(e: Env, options: { step?: number; max?: number; start?: number } = {}) {
  const reports: Array<RecordsReport & { more: boolean }> = [];
  const start = options.start ?? Date.now();
  for (let i = 0; i < (options.max ?? 40); i++) {
    const report = await runReconciliation(e, { via: "queue", now: start + i * (options.step ?? 0) });
    reports.push(report);
    if (report.tasksRun === 0 && !report.more) return reports;
  }
  throw new Error(`not done after ${reports.length} runs: ${JSON.stringify(reports.at(-1))}`);
}

async function backfill(parkingId: string, from: number, e: Env = recordsEnv()) {
  return openBackfill(e.DB, {
    platform: "open",
    appKey: "demo-app-key",
    parkingId,
    from: Math.floor(from / 1000) * 1000,
    to: Math.floor(Date.now() / 1000) * 1000,
    requestedBy: "test",
    now: Date.now(),
    maxWindowMs: 24 * 3_600_000,
  });
}

const dropCallbacks = (parkingId: string, times: number) =>
  sim("/__sim/faults", { body: { kind: "dropCallback", operation: "callback", parkingId, times } });

afterEach(() => clearFaults());

describe("reconciliation", () => {
  it("recovers dropped callbacks once, attaches recordIds to the rest, and delivers the recovered ones", async () => {
    const parkingId = await newLot();
    const hook = hookName("recovered");
    await subscribe(hook, { parkingId });
    const started = Date.now() - 1000;
    await dropCallbacks(parkingId, 4);
    await traffic(parkingId, 6);
    const answers = await relay(parkingId);
    expect(answers).toHaveLength(8);
    expect((await sim<unknown[]>("/__sim/callbacks/dropped")).length).toBeGreaterThanOrEqual(4);

    const id = await backfill(parkingId, started);
    const reports = await runUntilDone(recordsEnv());
    expect(reports.reduce((n, r) => n + r.recovered, 0)).toBe(4);
    expect(reports.reduce((n, r) => n + r.attached, 0)).toBe(8);

    const stored = await expectHistoryComplete(parkingId);
    expect(stored.filter((e) => e.source === "platform-records")).toHaveLength(4);
    expect(stored.filter((e) => e.source === "callback")).toHaveLength(8);

    // Through the API: the filter, the job's progress.
    const listed = await apiJson<{ items: Array<{ source: string; recordId: string; occurredAtLocal: string }> }>(
      `/api/events?parkingId=${parkingId}&source=platform-records`,
    );
    expect(listed.items).toHaveLength(4);
    expect(listed.items.every((e) => e.source === "platform-records" && e.recordId)).toBe(true);
    const job = await apiJson<{ status: string; progress: Record<string, number> }>(`/api/backfill/${id}`);
    expect(job.status).toBe("done");
    expect(job.progress).toMatchObject({ recovered: 4, attached: 8, records: 12, pending: 0, failed: 0 });

    // Read again (a second backfill of the same range): nothing new.
    await backfill(parkingId, started);
    const again = await runUntilDone(recordsEnv());
    expect(again.reduce((n, r) => n + r.recovered + r.attached, 0)).toBe(0);
    expect(await accesses(parkingId)).toHaveLength(12);

    // Every recovered event reaches the subscriber, with its provenance and original time.
    await expect
      .poll(async () => (await sinkRequests(hook)).filter((r) => r.body.includes('"platform-records"')).length, {
        timeout: 15_000,
      })
      .toBe(4);
    const delivered = (await sinkRequests(hook)).map((r) => JSON.parse(r.body) as Record<string, unknown>);
    const recovered = delivered.filter((d) => d.source === "platform-records");
    expect(recovered.every((d) => typeof d.recordId === "string" && typeof d.occurredAtLocal === "string")).toBe(true);
  });

  it("a callback arriving after its record was recovered stores nothing new and is answered success", async () => {
    const parkingId = await newLot();
    const started = Date.now() - 1000;
    // The platform holds its callbacks back (its retries), then sends them after the records were read.
    await dropCallbacks(parkingId, 2);
    await traffic(parkingId, 1);
    await backfill(parkingId, started);
    await runUntilDone(recordsEnv());
    expect((await accesses(parkingId)).map((e) => e.source)).toEqual(["platform-records", "platform-records"]);

    const dropped = (await sim<Array<{ data: { parkingId: string } }>>("/__sim/callbacks/dropped")).filter(
      (c) => c.data.parkingId === parkingId,
    );
    expect(dropped).toHaveLength(2);
    const { signCallback } = await import("@parkbridge/shared");
    for (const body of dropped) {
      const timestamp = String(Date.now());
      const answer = await send(JSON.stringify(body), {
        appkey: "demo-app-key",
        timestamp,
        sign: signCallback("demo-app-key", timestamp, "demo-app-secret"),
      });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ code: 0 });
    }
    await expectHistoryComplete(parkingId);
    expect((await accesses(parkingId)).every((e) => e.source === "platform-records")).toBe(true);
    const raw = await env.DB.prepare(
      "SELECT count(*) AS n FROM raw_callbacks WHERE id IN (SELECT id FROM events WHERE parking_id = ?)",
    )
      .bind(parkingId)
      .first<{ n: number }>();
    expect(raw?.n).toBe(2);
  });

  it("a record that appears late (lateRecord) is matched on a later pass, not stored twice", async () => {
    const parkingId = await newLot();
    const started = Date.now() - 1000;
    await sim("/__sim/faults", { body: { kind: "lateRecord", operation: "listAccessRecords", latencyMs: 600_000 } });
    await traffic(parkingId, 2);
    await relay(parkingId);
    await backfill(parkingId, started);
    const first = await runUntilDone(recordsEnv());
    expect(first.reduce((n, r) => n + r.recordsRead, 0)).toBe(0);
    expect((await accesses(parkingId)).every((e) => e.record_id === null)).toBe(true);
    await clearFaults();
    await backfill(parkingId, started);
    const later = await runUntilDone(recordsEnv());
    expect(later.reduce((n, r) => n + r.attached, 0)).toBe(4);
    expect(later.reduce((n, r) => n + r.recovered, 0)).toBe(0);
    await expectHistoryComplete(parkingId);
  });

  it("overlapping runs and jobs store each record once", async () => {
    const parkingId = await newLot();
    const started = Date.now() - 1000;
    await dropCallbacks(parkingId, 10);
    await traffic(parkingId, 10);
    await relay(parkingId);
    // Three jobs over the same range, four runs at once, twice over.
    await Promise.all([backfill(parkingId, started), backfill(parkingId, started), backfill(parkingId, started)]);
    const e = recordsEnv({ RECONCILE_PAGE_SIZE: "3" });
    for (let round = 0; round < 2; round++) {
      await Promise.all([0, 1, 2, 3].map(() => runReconciliation(e, { via: "queue", now: Date.now() })));
    }
    await runUntilDone(e);
    const stored = await expectHistoryComplete(parkingId);
    expect(stored.filter((s) => s.source === "platform-records")).toHaveLength(10);
    expect(new Set(stored.map((s) => s.record_id)).size).toBe(20);
  });

  it("a lot needing more pages than one run's budget completes over several runs, each within its caps", async () => {
    const parkingId = await newLot();
    const started = Date.now() - 1000;
    await dropCallbacks(parkingId, 25);
    await traffic(parkingId, 25);
    await relay(parkingId);
    await backfill(parkingId, started);
    const e = recordsEnv({ RECONCILE_PAGE_SIZE: "4", RECONCILE_TASK_PAGES: "100", RECONCILE_MAX_D1_QUERIES: "20" });
    const before = (await sim<unknown[]>(`/__sim/calls?operation=listAccessRecords&parkingId=${parkingId}`)).length;
    const reports = await runUntilDone(e);
    // 50 records, 4 a page: 13 pages; a run affords 2 with its 20 statements.
    const working = reports.filter((r) => r.pagesRead > 0);
    expect(working.length).toBeGreaterThanOrEqual(6);
    expect(working.reduce((n, r) => n + r.pagesRead, 0)).toBe(13);
    for (const r of reports) {
      expect(r.d1Queries).toBeLessThanOrEqual(20);
      expect(r.platformCalls + r.queueSends).toBeLessThanOrEqual(45);
    }
    const calls = (await sim<unknown[]>(`/__sim/calls?operation=listAccessRecords&parkingId=${parkingId}`)).length;
    expect(calls - before).toBe(13);
    await expectHistoryComplete(parkingId);
  });

  it("at the free plan's defaults a run stays within 50 subrequests and 50 D1 queries", async () => {
    const parkingId = await newLot();
    const started = Date.now() - 1000;
    await dropCallbacks(parkingId, 30);
    await traffic(parkingId, 15);
    await backfill(parkingId, started);
    const reports = await runUntilDone(recordsEnv({ RECONCILE_PAGE_SIZE: "2" }));
    expect(reports.reduce((n, r) => n + r.pagesRead, 0)).toBe(15);
    for (const r of reports) {
      expect(r.d1Queries).toBeLessThanOrEqual(50);
      expect(r.platformCalls + r.queueSends).toBeLessThanOrEqual(50);
    }
    await expectHistoryComplete(parkingId);
  });

  it("platform faults mid-reconciliation (500s, token expiry, errors) end with the history complete", async () => {
    const parkingId = await newLot();
    const started = Date.now() - 1000;
    await dropCallbacks(parkingId, 8);
    await traffic(parkingId, 8);
    await relay(parkingId);
    await sim("/__sim/faults", { body: { kind: "http500", operation: "listAccessRecords", parkingId, times: 2 } });
    await sim("/__sim/faults", { body: { kind: "tokenExpired", operation: "listAccessRecords", parkingId, times: 1 } });
    await sim("/__sim/faults", {
      body: { kind: "platformError", operation: "listAccessRecords", parkingId, times: 1 },
    });
    const id = await backfill(parkingId, started);
    const e = recordsEnv({ RECONCILE_PAGE_SIZE: "5" });
    const start = Date.now();
    const first = await runReconciliation(e, { via: "queue", now: start });
    expect(first.readFailures).toBe(1);
    // The status page says which window could not be read, and why (the platform's answer).
    const failing = await loadStatus(env.DB, { nowMs: start + 1000 });
    const unread = failing.unreadWindows.items.find((w) => w.parkingId === parkingId);
    expect(unread).toMatchObject({ status: "pending", attempts: 1, kind: "backfill" });
    expect(unread?.lastError).toMatch(/500/);
    // Each later run 5 minutes after the last: failed windows back off 1, 2, 4… minutes.
    const reports = await runUntilDone(e, { step: 300_000, start: start + 300_000 });
    // The two 500s are one failed read (the client retries once in the run); the token expiry is renewed in the read.
    expect(first.readFailures + reports.reduce((n, r) => n + r.readFailures, 0)).toBe(2);
    const stored = await expectHistoryComplete(parkingId);
    expect(stored.filter((s) => s.source === "platform-records")).toHaveLength(8);
    const job = await apiJson<{ status: string }>(`/api/backfill/${id}`);
    expect(job.status).toBe("done");
    // Read at last: no longer listed as unread; the lot's recovered count and last window are shown.
    const after = await loadStatus(env.DB);
    expect(after.unreadWindows.items.find((w) => w.parkingId === parkingId)).toBeUndefined();
    const lot = after.reconciledLots.items.find((l) => l.parkingId === parkingId);
    expect(lot?.recovered24h).toBe(8);
    expect(lot?.lastWindow?.to).toBeTruthy();
    const page = String(await statusPage(after, { refreshSeconds: 0 }));
    expect(page).toContain(`data-reconciled="${parkingId}"`);
  });

  it("the cron's passes read each lot's trailing range, once per interval", async () => {
    const parkingId = await newLot();
    await dropCallbacks(parkingId, 3);
    await traffic(parkingId, 3);
    await relay(parkingId);
    // The paid plan's budgets: the seeded lots' days of history are read too.
    const e = recordsEnv({
      RECONCILE_TRAILING_HOURS: "48",
      RECONCILE_SETTLE_MINUTES: "0",
      RECONCILE_MAX_PLATFORM_CALLS: "1000",
      RECONCILE_MAX_D1_QUERIES: "1000",
      RECONCILE_TASK_PAGES: "1000",
    });
    // An hour on: the accounts' lots are listed again (the new lot joins), then passes open.
    const now = Date.now() + 61 * 60_000;
    const first = await runUntilDone(e, { start: now });
    expect(first[0]?.lotsListed).toBeGreaterThanOrEqual(1);
    expect(first[0]?.passesOpened).toBeGreaterThanOrEqual(1);
    await expectHistoryComplete(parkingId);
    // Within the interval: no new pass.
    const soon = await runReconciliation(e, { via: "queue", now: now + 60_000 });
    expect(soon.passesOpened).toBe(0);
    // After it: a new pass, which finds nothing missing.
    const later = await runUntilDone(e, { start: now + 31 * 60_000 });
    expect(later[0]?.passesOpened).toBeGreaterThanOrEqual(1);
    expect(later.reduce((n, r) => n + r.recovered, 0)).toBe(0);
    const lot = await env.DB.prepare("SELECT last_window_to FROM record_lots WHERE parking_id = ?")
      .bind(parkingId)
      .first<{ last_window_to: number }>();
    expect(lot?.last_window_to).toBeGreaterThan(now - 120_000);
  });

  it("POST /api/backfill answers a job id and the queue works it off", async () => {
    const parkingId = await newLot();
    const started = new Date(Date.now() - 1000).toISOString();
    await dropCallbacks(parkingId, 2);
    await traffic(parkingId, 2);
    await relay(parkingId);
    const job = await apiJson<{ id: string; status: string; progress: { windows: number } }>("/api/backfill", {
      method: "POST",
      body: JSON.stringify({ parkingId, from: started }),
    });
    expect(job).toMatchObject({ status: "open", progress: { windows: 1 } });
    await expect
      .poll(async () => (await apiJson<{ status: string }>(`/api/backfill/${job.id}`)).status, { timeout: 20_000 })
      .toBe("done");
    await expectHistoryComplete(parkingId);

    const bad = await exports.default.fetch("http://worker/api/backfill", {
      method: "POST",
      headers: { Authorization: "Bearer test-admin-token", "content-type": "application/json" },
      body: JSON.stringify({ parkingId, from: "2026-11-22 10:00", to: "2026-11-21 10:00" }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { field: string } }).error.field).toBe("to");
    const missing = await exports.default.fetch("http://worker/api/backfill/rj_nope", {
      headers: { Authorization: "Bearer test-admin-token" },
    });
    expect(missing.status).toBe(404);
  });

  it("the cron sends a run only on a minute with work", async () => {
    const e = recordsEnv();
    await runUntilDone(e);
    expect(await reconciliationDue(e, Date.now())).toBe(false);
    const parkingId = await newLot();
    await traffic(parkingId, 1);
    await backfill(parkingId, Date.now() - 60_000);
    expect(await reconciliationDue(e, Date.now())).toBe(true);
    await runUntilDone(e);
    expect(await reconciliationDue(e, Date.now())).toBe(false);
    // With passes on, a lot whose last pass is older than the interval is work.
    const withPasses = recordsEnv({ RECONCILE_TRAILING_HOURS: "48" });
    expect(await reconciliationDue(withPasses, Date.now() + 3 * 3_600_000)).toBe(true);
  });
});
