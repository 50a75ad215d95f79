/**
 * What the status page reads (workers/src/status/queries.ts), in workerd with real D1: one batch
 * of the owners' queries whatever the number of lots, each list bounded and in its order, the
 * occupancy of each lot with the value its window starts with, and the sections of tables a
 * later migration adds shown as not set up while those are missing.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { formatPlatformTime } from "@parkbridge/shared";
import { beforeAll, describe, expect, it } from "vitest";
import { insertHistory } from "../../bench/lib/history.js";
import { OCCUPANCY_SQL } from "../../workers/src/api/events.js";
import worker from "../../workers/src/index.js";
import { LIMITS, loadStatus } from "../../workers/src/status/queries.js";
import { buildGrant } from "../../workers/src/visitors/grant.js";
import { insertGrant } from "../../workers/src/visitors/repository.js";
import { cameraStatus, sendCallback, vehicleAccess } from "./ingest-support.js";

const HOUR = 3_600_000;
// The page's clock: now (the passes are in the past, as real ones are), passes placed around its window.
const NOW = Math.floor(Date.now() / 1000) * 1000 - 60_000;
const local = (ms: number) => formatPlatformTime(ms, "second");
const LOTS = ["status-a", "status-b", "status-c", "status-d", "status-e"];

/** env.DB, counting its round trips: batches (and their statements) and single statements. */
function countingDb(db: D1Database) {
  const calls = { batches: 0, statements: 0, singles: 0 };
  const real = new WeakMap<object, D1PreparedStatement>();
  const wrap = (statement: D1PreparedStatement): D1PreparedStatement => {
    const single =
      <T>(run: () => T) =>
      () => {
        calls.singles++;
        return run();
      };
    const wrapper = {
      bind: (...values: unknown[]) => wrap(statement.bind(...values)),
      first: single(() => statement.first()),
      all: single(() => statement.all()),
      run: single(() => statement.run()),
      raw: single(() => statement.raw()),
    } as unknown as D1PreparedStatement;
    real.set(wrapper, statement);
    return wrapper;
  };
  const counted = {
    prepare: (sql: string) => wrap(db.prepare(sql)),
    batch: (statements: D1PreparedStatement[]) => {
      calls.batches++;
      calls.statements += statements.length;
      return db.batch(statements.map((s) => real.get(s) ?? s));
    },
  } as unknown as D1Database;
  return { db: counted, calls };
}

beforeAll(async () => {
  // Per lot: a pass 8 h before NOW (before the window), then passes at -5 h, -3 h, -1 h.
  for (const [i, parkingId] of LOTS.entries()) {
    for (const [k, hoursAgo] of [8, 5, 3, 1].entries()) {
      const response = await sendCallback(
        vehicleAccess({
          parkingId,
          vehicleCode: `鲁S${String(i * 10 + k).padStart(5, "0")}`,
          time: local(NOW - hoursAgo * HOUR),
          inParkNum: 10 * i + k,
          totalLot: 100 - k,
        }),
      );
      expect(response.status).toBe(200);
    }
  }
  // One lane offline, one online.
  await sendCallback(cameraStatus({ parkingId: "status-a", laneNo: "9", status: "0", time: local(NOW - HOUR) }));
  await sendCallback(cameraStatus({ parkingId: "status-a", laneNo: "1", status: "1", time: local(NOW - HOUR) }));
  // Grants: two due within the horizon (one overdue), one later.
  for (const [id, endsInHours] of [
    ["vg_status_overdue", -1],
    ["vg_status_soon", 3],
    ["vg_status_later", 48],
  ] as const) {
    await insertGrant(
      env.DB,
      buildGrant({
        id,
        parkingId: "status-a",
        vehicleCode: `鲁T${String(endsInHours + 100).padStart(5, "0")}`,
        visitorName: "访客",
        visitorPhone: "13800000000",
        reason: null,
        laneNos: null,
        startsAt: NOW - 10 * HOUR,
        endsAt: NOW + endsInHours * HOUR,
        source: "api",
        sourceRef: null,
        appKey: null,
        status: "active",
        createdAt: NOW - 10 * HOUR,
      }),
    ).run();
  }
});

describe("loadStatus", () => {
  it("reads everything in one D1 batch of ten statements, however many lots there are", async () => {
    const { db, calls } = countingDb(env.DB);
    const snapshot = await loadStatus(db, { nowMs: NOW });
    expect(snapshot.lots.map((lot) => lot.parkingId)).toEqual(expect.arrayContaining(LOTS));
    expect(calls).toEqual({ batches: 1, statements: 10, singles: 0 });
  });

  it("gives each lot its counts and its occupancy: the value before the window, then the window, oldest first", async () => {
    const snapshot = await loadStatus(env.DB, { nowMs: NOW, windowHours: 6 });
    const lot = snapshot.lots.find((l) => l.parkingId === "status-c");
    expect(lot).toMatchObject({ parkingId: "status-c", inParkNum: 23, freeSpaces: 97 });
    expect(lot?.points.map((p) => [(NOW - p.atMs) / HOUR, p.inPark])).toEqual([
      [8, 20],
      [5, 21],
      [3, 22],
      [1, 23],
    ]);
    // A narrower window starts with the pass before it.
    const narrow = await loadStatus(env.DB, { nowMs: NOW, windowHours: 2 });
    expect(narrow.lots.find((l) => l.parkingId === "status-c")?.points.map((p) => p.inPark)).toEqual([22, 23]);
  });

  it("lists lanes offline first, the newest accesses by when they happened, grants ending soon with their total", async () => {
    const snapshot = await loadStatus(env.DB, { nowMs: NOW, grantHorizonHours: 24 });
    const lanes = snapshot.lanes.filter((lane) => lane.parkingId === "status-a");
    expect(lanes.map((lane) => [lane.laneNo, lane.online])).toEqual([
      ["9", false],
      ["1", true],
    ]);
    expect(snapshot.lanes[0]?.online).toBe(false);
    expect(snapshot.latestAccesses.length).toBeLessThanOrEqual(LIMITS.accesses);
    const times = snapshot.latestAccesses.map((a) => a.occurredAt);
    expect(times).toEqual([...times].sort().reverse());
    expect(snapshot.grantsEndingSoon).toMatchObject({ available: true, total: 2 });
    expect(snapshot.grantsEndingSoon.items.map((g) => g.id)).toEqual(["vg_status_overdue", "vg_status_soon"]);
    expect(snapshot.failedDeliveries).toEqual({ available: true, items: [], total: 0 });
  });

  it("reads the occupancy through the (parking_id, occurred_at) index, never a scan of the history", async () => {
    const { chart } = LIMITS;
    const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${OCCUPANCY_SQL}`)
      .bind(
        LIMITS.lots,
        new Date(NOW - 6 * HOUR).toISOString(),
        new Date(NOW).toISOString(),
        chart.perPage,
        chart.minPerLot,
        chart.maxPerLot,
      )
      .all<{ detail: string }>();
    const plan = results.map((row) => row.detail);
    expect(plan.filter((step) => /^SCAN (t|vehicle_accesses|lot_statuses)\b/.test(step))).toEqual([]);
    expect(plan.some((step) => /vehicle_accesses_parking_occurred/.test(step))).toBe(true);
  });

  it("shows the rest while a later migration's table is missing, and says which section is not set up", async () => {
    await env.DB.exec("ALTER TABLE deliveries RENAME TO deliveries_away");
    try {
      const snapshot = await loadStatus(env.DB, { nowMs: NOW });
      expect(snapshot.failedDeliveries).toEqual({ available: false, items: [], total: 0 });
      expect(snapshot.grantsEndingSoon.available).toBe(true);
      expect(snapshot.lots.length).toBeGreaterThanOrEqual(LOTS.length);
    } finally {
      await env.DB.exec("ALTER TABLE deliveries_away RENAME TO deliveries");
    }
  });
});

describe("the status page with 200 lots", () => {
  // 194 lots with 30 passes each over 12 hours, and one lot with 2,000 passes in the page's window
  // (a pass every 11 s): more lots than the page's first five, and more traffic than a chart draws.
  beforeAll(async () => {
    const end = new Date(NOW - 30_000).toISOString();
    await insertHistory(env.DB, { tag: "scale", count: 194 * 30, lots: 194, spanDays: 0.5, endIso: end });
    await insertHistory(env.DB, { tag: "scale-busy", count: 2000, lots: 1, spanDays: 0.25, endIso: end });
  });

  it("reads them in the same ten statements, each chart thinned to its share of the page's points", async () => {
    const { db, calls } = countingDb(env.DB);
    const snapshot = await loadStatus(db, { nowMs: NOW, windowHours: 6 });
    expect(calls).toEqual({ batches: 1, statements: 10, singles: 0 });
    expect(snapshot.lots).toHaveLength(LIMITS.lots);
    const share = Math.floor(LIMITS.chart.perPage / LIMITS.lots);
    const points = snapshot.lots.map((lot) => lot.points.length);
    // Its share of the window, plus the value the window starts with.
    expect(Math.max(...points)).toBeLessThanOrEqual(share + 1);
    expect(points.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(LIMITS.chart.perPage + LIMITS.lots);

    // A quiet lot keeps every pass of the window (about 15), plus the one before it.
    const quiet = snapshot.lots.find((lot) => lot.parkingId === "scale-lot000");
    const inWindow = await env.DB.prepare(
      "SELECT count(*) AS n FROM vehicle_accesses WHERE parking_id = 'scale-lot000' AND occurred_at >= ?",
    )
      .bind(new Date(NOW - 6 * HOUR).toISOString())
      .first<{ n: number }>();
    expect(inWindow?.n).toBeGreaterThan(10);
    expect(quiet?.points).toHaveLength((inWindow?.n ?? 0) + 1);

    // The busy lot: thinned to one pass per slice, still spanning the whole window, ending on its latest.
    const busy = snapshot.lots.find((lot) => lot.parkingId === "scale-busy-lot000");
    const busyPoints = busy?.points ?? [];
    expect(busyPoints.length).toBeGreaterThan(share * 0.9);
    expect(busyPoints.length).toBeLessThanOrEqual(share + 1);
    const times = busyPoints.map((p) => p.atMs);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times[0]).toBeLessThan(NOW - 5.9 * HOUR);
    expect(times.at(-1)).toBe(NOW - 30_000);
    expect(busyPoints.at(-1)?.inPark).toBe(busy?.inParkNum);
  });

  it("renders the page with every chart, its size bounded by the points budget, not by the traffic", async () => {
    const ctx = createExecutionContext();
    const response = await worker.fetch(
      new Request("https://edge.test/?hours=6", { headers: { authorization: `Bearer ${env.ADMIN_TOKEN}` } }),
      env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(200);
    const html = await response.text();
    const charts = [...html.matchAll(/data-points="(\d+)"/g)].map((m) => Number(m[1]));
    expect(charts).toHaveLength(LIMITS.lots);
    expect(charts.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(LIMITS.chart.perPage + LIMITS.lots);
    // 200 charts of at most 61 steps: well under a megabyte (2,000 points a lot would be several).
    expect(html.length).toBeLessThan(1_000_000);
  });
});
