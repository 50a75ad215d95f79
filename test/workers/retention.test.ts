/**
 * Retention in workerd with real D1: the cron's pruning deletes events (with their raw bodies,
 * typed rows and deliveries), finished deliveries and closed grants past their periods, oldest
 * first, within its D1 statement budget; pruned events are counted per day; the status page's
 * charts and counts are the same after.
 */
import { env } from "cloudflare:workers";
import { formatPlatformTime } from "@parkbridge/shared";
import { describe, expect, it } from "vitest";
import type { Env } from "../../workers/src/env.js";
import { pruneExpired, readRetentionConfig } from "../../workers/src/privacy/retention.js";
import { loadStatus } from "../../workers/src/status/queries.js";
import { hookName, hookUrl } from "./delivery-support.js";
import { apiJson, sendCallback, uniqueLot, vehicleAccess } from "./ingest-support.js";
import { countingD1 } from "./visitors-support.js";

const DAY = 86_400_000;
const workerEnv = env as unknown as Env;

/** Stores `count` passes at `lot` now, then ages the first `aged` of them by `days` (as if received then). */
async function passes(lot: string, count: number, aged: number, days: number): Promise<string[]> {
  for (let i = 0; i < count; i++) {
    const response = await sendCallback(
      vehicleAccess({
        parkingId: lot,
        vehicleCode: `粤C${String(10000 + i)}`,
        accessType: i % 2 ? "1" : "0",
        time: formatPlatformTime(Date.now(), "second"),
        inParkNum: 10 + i,
        phoneNum: "13800138000",
      }),
    );
    expect(response.status).toBe(200);
  }
  const { results } = await env.DB.prepare("SELECT id FROM events WHERE parking_id = ? ORDER BY received_at, id")
    .bind(lot)
    .all<{ id: string }>();
  const old = results.slice(0, aged).map((r) => r.id);
  const at = (offset: number) => new Date(Date.now() - days * DAY - offset * 1000).toISOString();
  if (old.length === 0) return old;
  await env.DB.batch(
    old.flatMap((id, i) => [
      env.DB.prepare("UPDATE events SET received_at = ?2, occurred_at = ?2 WHERE id = ?1").bind(id, at(aged - i)),
      env.DB.prepare("UPDATE vehicle_accesses SET occurred_at = ?2 WHERE event_id = ?1").bind(id, at(aged - i)),
      env.DB.prepare("UPDATE raw_callbacks SET received_at = ?2 WHERE id = ?1").bind(id, at(aged - i)),
    ]),
  );
  return old;
}

const countWhere = (sql: string, ...values: unknown[]) =>
  env.DB.prepare(`SELECT count(*) AS n FROM ${sql}`)
    .bind(...values)
    .first<number>("n");

describe("retention", () => {
  it("defaults to 180 days for events, deliveries and grants; refuses a bad setting by name", () => {
    expect(readRetentionConfig({} as Env)).toMatchObject({ eventsDays: 180, deliveriesDays: 180, grantsDays: 180 });
    expect(() => readRetentionConfig({ RETENTION_EVENTS_DAYS: "-1" } as Env)).toThrow(/RETENTION_EVENTS_DAYS/);
  });

  it("prunes events past their period with everything hanging on them; counts them per day; the charts stay", async () => {
    const lot = uniqueLot("ret");
    await apiJson("/api/subscriptions", {
      method: "POST",
      body: JSON.stringify({ url: hookUrl(hookName("ret")), parkingId: lot }),
    });
    const old = await passes(lot, 5, 3, 200);
    const before = await loadStatus(env.DB);

    const report = await pruneExpired(workerEnv, Date.now());
    expect(report.eventsDeleted).toBe(3);
    expect(report.more).toBe(false);

    const ids = JSON.stringify(old);
    for (const table of ["events", "raw_callbacks"]) {
      expect(await countWhere(`${table} WHERE id IN (SELECT value FROM json_each(?1))`, ids)).toBe(0);
    }
    for (const table of ["vehicle_accesses", "deliveries"]) {
      expect(await countWhere(`${table} WHERE event_id IN (SELECT value FROM json_each(?1))`, ids)).toBe(0);
    }
    expect(await countWhere("events WHERE parking_id = ?", lot)).toBe(2);
    expect(await countWhere("deliveries d JOIN events e ON e.id = d.event_id WHERE e.parking_id = ?", lot)).toBe(2);

    // Counted before deleted: 3 passes on their (UTC+8) day, by direction.
    const { results: daily } = await env.DB.prepare(
      "SELECT event, direction, events FROM event_daily_counts WHERE parking_id = ? ORDER BY direction",
    )
      .bind(lot)
      .all();
    expect(daily).toEqual([
      { event: "vehicleAccess", direction: "in", events: 2 },
      { event: "vehicleAccess", direction: "out", events: 1 },
    ]);

    // The page's charts and counts read the recent window and the live state: unchanged.
    const after = await loadStatus(env.DB, { nowMs: Date.parse(before.generatedAt) });
    expect(after.lots.find((l) => l.parkingId === lot)).toEqual(before.lots.find((l) => l.parkingId === lot));
    // The latest passes: the same, less the pruned ones.
    const kept = before.latestAccesses.filter((entry) => !old.includes(entry.eventId));
    expect(after.latestAccesses.slice(0, kept.length)).toEqual(kept);
  });

  it("prunes finished deliveries and closed grants past their periods, never open ones", async () => {
    const lot = uniqueLot("ret");
    await apiJson("/api/subscriptions", {
      method: "POST",
      body: JSON.stringify({ url: hookUrl(hookName("ret")), parkingId: lot }),
    });
    await passes(lot, 2, 0, 0);
    const oldIso = new Date(Date.now() - 200 * DAY).toISOString();
    const { results: deliveries } = await env.DB.prepare(
      "SELECT d.id FROM deliveries d JOIN events e ON e.id = d.event_id WHERE e.parking_id = ? ORDER BY d.id",
    )
      .bind(lot)
      .all<{ id: string }>();
    expect(deliveries).toHaveLength(2);
    // One delivered long ago, one still failing since then (in play: kept).
    await env.DB.batch([
      env.DB.prepare("UPDATE deliveries SET status = 'delivered', created_at = ?2 WHERE id = ?1").bind(
        deliveries[0]?.id,
        oldIso,
      ),
      env.DB.prepare("UPDATE deliveries SET status = 'failed', created_at = ?2 WHERE id = ?1").bind(
        deliveries[1]?.id,
        oldIso,
      ),
    ]);

    const oldMs = Date.now() - 200 * DAY;
    const grant = (id: string, status: string, plate: string) =>
      env.DB.prepare(
        `INSERT INTO visitor_grants (id, parking_id, vehicle_code, visitor_name, visitor_phone, starts_at, ends_at,
           starts_at_local, ends_at_local, platform_start_date, platform_end_date, source, status, created_at, updated_at)
         VALUES (?1, ?2, ?3, '王五', '13900000000', ?4, ?4 + 1000, 'x', 'x', 'x', 'x', 'api', ?5, ?4, ?4)`,
      ).bind(id, lot, plate, oldMs, status);
    const closed = `vg_${lot}_closed`;
    const active = `vg_${lot}_active`;
    await env.DB.batch([
      grant(closed, "expired", "粤D10001"),
      grant(active, "active", "粤D10002"),
      env.DB.prepare("INSERT INTO grant_audit (grant_id, at, actor, action) VALUES (?1, ?2, 'api', 'created')").bind(
        closed,
        oldMs,
      ),
      env.DB.prepare("INSERT INTO grant_audit (grant_id, at, actor, action) VALUES (?1, ?2, 'api', 'created')").bind(
        active,
        oldMs,
      ),
    ]);

    const report = await pruneExpired(workerEnv, Date.now());
    expect(report.deliveriesDeleted).toBeGreaterThanOrEqual(1);
    expect(await countWhere("deliveries WHERE id = ?", deliveries[0]?.id)).toBe(0);
    expect(await countWhere("deliveries WHERE id = ?", deliveries[1]?.id)).toBe(1);
    expect(await countWhere("visitor_grants WHERE id = ?", closed)).toBe(0);
    expect(await countWhere("grant_audit WHERE grant_id = ?", closed)).toBe(0);
    expect(await countWhere("visitor_grants WHERE id = ?", active)).toBe(1);
    expect(await countWhere("grant_audit WHERE grant_id = ?", active)).toBe(1);
  });

  it("works through a backlog within its D1 budget per run, oldest first, until done", async () => {
    const lot = uniqueLot("ret");
    await passes(lot, 23, 23, 400);
    const counting = countingD1(env.DB);
    const limited = { ...workerEnv, DB: counting.db, RETENTION_BATCH_ROWS: "5", RETENTION_MAX_D1_QUERIES: "6" } as Env;

    const runs: number[] = [];
    for (let run = 0; run < 20; run++) {
      const before = counting.statements;
      const report = await pruneExpired(limited, Date.now());
      expect(counting.statements - before).toBeLessThanOrEqual(6);
      expect(report.d1Queries).toBe(counting.statements - before);
      runs.push(report.eventsDeleted);
      if (!report.more) break;
    }
    // 2 statements for deliveries and grants, then rounds of 3 (5 events each) while the budget lasts.
    expect(runs[0]).toBe(5);
    expect(runs.reduce((a, b) => a + b, 0)).toBe(23);
    expect(await countWhere("events WHERE parking_id = ?", lot)).toBe(0);
    expect(
      await env.DB.prepare("SELECT sum(events) AS n FROM event_daily_counts WHERE parking_id = ?").bind(lot).first("n"),
    ).toBe(23);
  });
});
