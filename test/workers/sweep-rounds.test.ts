/**
 * Visitor expiry in rounds (the cron and the `parkbridge-expiry` queue) against the real
 * simulator, each test in a lot of its own: a lot of 50,000 authorisations, faults mid-burst,
 * overlapping crons, and the queue as Miniflare runs it. The driver (expiry-support.ts) counts
 * every invocation's platform calls and D1 statements: none may pass the free plan's 50.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { Env } from "../../workers/src/env.js";
import worker from "../../workers/src/index.js";
import type { GrantRow } from "../../workers/src/visitors/grant.js";
import { getAudit, getGrant } from "../../workers/src/visitors/repository.js";
import { dueGrants, ENDED_AT, expiryDriver, type Invocation, lotOfItsOwn } from "./expiry-support.js";
import {
  addFault,
  clearLedger,
  deletionsOf,
  envWith,
  plates,
  putAuthorisation,
  type SimCall,
  sim,
} from "./visitors-support.js";

const nextPlate = plates("浙Y");
const workerEnv = env as unknown as Env;
const reload = async (row: GrantRow) => (await getGrant(env.DB, row.id)) as GrantRow;
const FREE_PLAN = 50;

beforeEach(async () => {
  await clearLedger();
  await env.DB.batch([
    env.DB.prepare("DELETE FROM expiry_rounds"),
    env.DB.prepare("DELETE FROM expiry_chunks"),
    env.DB.prepare("DELETE FROM expiry_sightings"),
  ]);
});

/** A lot of `filler` other authorisations with `due` due grants spread through it (added in `spread` batches). */
async function lotWithDueGrants(name: string, filler: number, due: number, spread = 5) {
  const lot = await lotOfItsOwn(name, 0);
  const grants: GrantRow[] = [];
  for (let part = 0; part < spread; part++) {
    await sim("/__sim/authorisations/bulk", { body: { parkingId: lot, count: Math.ceil(filler / spread) } });
    const count = Math.floor(due / spread) + (part < due % spread ? 1 : 0);
    grants.push(...(await dueGrants(lot, Array.from({ length: count }, nextPlate))));
  }
  return { lot, grants };
}

const deletionsIn = async (lot: string) =>
  (await sim<SimCall[]>(`/__sim/calls?operation=deleteVehicle&parkingId=${lot}`)).filter((c) => c.code === 0);

function withinFreePlan(invocations: Invocation[]) {
  for (const invocation of invocations) {
    expect(invocation.platformCalls).toBeLessThanOrEqual(FREE_PLAN);
    expect(invocation.d1Statements).toBeLessThanOrEqual(FREE_PLAN);
  }
}

describe("a burst in a large lot", () => {
  it("ends 150 grants in a lot of 50,000 authorisations, no invocation past 50 calls or 50 D1 statements", async () => {
    const { lot, grants } = await lotWithDueGrants("big", 50_000, 150);
    // Since they were made: two plates given a monthly pass, two authorisations removed by hand.
    const [monthly1, monthly2, gone1, gone2] = grants as [GrantRow, GrantRow, GrantRow, GrantRow];
    for (const g of [monthly1, monthly2]) {
      await putAuthorisation(lot, g.vehicle_code, { vehicleType: "1", startTime: "2026-11-01", endTime: "2027-10-31" });
    }
    for (const g of [gone1, gone2]) {
      await sim(`/__sim/authorisations?parkingId=${lot}&vehicleCode=${encodeURIComponent(g.vehicle_code)}`, {
        method: "DELETE",
      });
    }

    const driver = expiryDriver(workerEnv);
    await driver.cron(ENDED_AT + 60_000);
    await driver.drain();

    withinFreePlan(driver.invocations);
    const reports = driver.invocations.map((i) => i.report);
    // 53 overlapping windows cover 50,150 authorisations; each scan task reads 4.
    expect(reports.reduce((sum, r) => sum + (r?.windowsRead ?? 0), 0)).toBeGreaterThanOrEqual(53);
    // No invocation reads more pages than EXPIRY_SCAN_PAGES (4): its CPU time stays near 10 ms.
    for (const i of driver.invocations) expect(i.report?.windowsRead ?? 0).toBeLessThanOrEqual(4);

    for (const g of [monthly1, monthly2]) {
      expect((await reload(g)).status).toBe("superseded");
      expect(await deletionsOf(g.vehicle_code)).toBe(0);
    }
    for (const g of [gone1, gone2]) {
      const closed = await reload(g);
      expect(closed.status).toBe("expired");
      expect((await getAudit(env.DB, g.id)).at(-1)?.action).toBe("expired_already_gone");
    }
    const deleted = grants.slice(4);
    for (const g of deleted) expect((await reload(g)).status).toBe("expired");
    // One deletion per grant still holding its authorisation, none of any other plate of the lot.
    const calls = await deletionsIn(lot);
    expect(calls).toHaveLength(deleted.length);
    expect(new Set(calls.map((c) => String(c.body.vehicleCode)))).toEqual(new Set(deleted.map((g) => g.vehicle_code)));
    const round = await env.DB.prepare("SELECT * FROM expiry_rounds WHERE parking_id = ?1").bind(lot).all();
    expect(round.results).toMatchObject([{ status: "done", scan_complete: 1, grants: 150 }]);
    const size = await env.DB.prepare("SELECT authorisations FROM expiry_lots WHERE parking_id = ?1").bind(lot).first();
    expect(size).toEqual({ authorisations: 50_000 + 150 - 2 });
  });
});

describe("faults mid-burst", () => {
  it("ends with every grant revoked exactly once (500s, dropped requests, lost answers, expired tokens, 502 pages)", async () => {
    const { lot, grants } = await lotWithDueGrants("faults", 6_000, 60);
    // Each request meets at most one of these (a fault that answers stops the later ones).
    const faults = [
      // The shared token expires mid-burst: the client fetches a new one and shares it.
      await addFault({ operation: "deleteVehicle", parkingId: lot, kind: "tokenExpired", times: 2 }),
      await addFault({ operation: "deleteVehicle", parkingId: lot, kind: "http500", rate: 0.3, times: 6 }),
      await addFault({ operation: "deleteVehicle", parkingId: lot, kind: "timeout", times: 3, latencyMs: 100 }),
      await addFault({ operation: "listVehicles", parkingId: lot, kind: "http502", times: 2 }),
    ];
    const driver = expiryDriver(envWith({ PLATFORM_TIMEOUT_MS: "300" }));
    let now = ENDED_AT + 60_000;
    for (let run = 0; run < 10; run++) {
      await driver.cron(now);
      await driver.drain();
      if (run === 0) {
        // On the retries: the platform acts, but answers after the client gave up; the next round finds the plates gone.
        faults.push(
          await addFault({ operation: "deleteVehicle", parkingId: lot, kind: "latency", times: 2, latencyMs: 700 }),
        );
      }
      const open = await env.DB.prepare(
        "SELECT count(*) AS n FROM visitor_grants WHERE parking_id = ?1 AND status IN ('active', 'pending')",
      )
        .bind(lot)
        .first<{ n: number }>();
      if (open?.n === 0) break;
      now += 31 * 60_000; // past any backoff
      // The driver skips the 31 minutes; let the platform finish answers it still holds (the lost ones).
      await new Promise((resolve) => setTimeout(resolve, 800));
    }
    withinFreePlan(driver.invocations);
    for (const g of grants) {
      expect((await reload(g)).status).toBe("expired");
      expect(await deletionsOf(g.vehicle_code)).toBe(1);
    }
    // No plate's deletion reached the platform twice (a second one would be refused: 车辆不存在).
    const acted = (await sim<SimCall[]>(`/__sim/calls?operation=deleteVehicle&parkingId=${lot}`)).filter(
      (c) => c.code === 0 || (c.code === 1 && /车辆不存在/.test(c.msg ?? "")),
    );
    expect(acted).toHaveLength(grants.length);
    const applied = (await sim<Array<{ id: string; applied: number; times?: number }>>("/__sim/faults")).filter((f) =>
      faults.includes(f.id),
    );
    for (const f of applied) expect(f.applied).toBeGreaterThan(0);
    // Every failed attempt is on the grant's trail with its error, then a later round ended it.
    const trails = (await Promise.all(grants.map((g) => getAudit(env.DB, g.id)))).flat();
    const failures = trails.filter((row) => row.action === "attempt_failed");
    expect(failures.length).toBeGreaterThanOrEqual(5);
    for (const row of failures) expect(JSON.parse(row.detail ?? "{}").error).toMatch(/deleteVehicle|listVehicles/);
    expect(trails.filter((row) => row.action === "expired_already_gone").length).toBeGreaterThanOrEqual(2);
    // Each grant ended once.
    for (const g of grants) {
      const endings = (await getAudit(env.DB, g.id)).filter((row) => row.to_status === "expired");
      expect(endings).toHaveLength(1);
    }
  });
});

describe("overlapping crons", () => {
  it("two crons at once open one round per lot; a cron while it runs opens none; each grant is revoked once", async () => {
    const { lot, grants } = await lotWithDueGrants("overlap", 5_000, 40);
    const driver = expiryDriver(workerEnv);
    const [a, b] = await Promise.all([driver.cron(ENDED_AT + 60_000), driver.cron(ENDED_AT + 60_000)]);
    expect(a.roundsOpened + b.roundsOpened).toBe(1);
    // The next minute's cron, with the round still open: it leaves the lot to it.
    const later = await driver.cron(ENDED_AT + 120_000);
    expect(later.roundsOpened).toBe(0);
    await driver.drain();

    withinFreePlan(driver.invocations);
    const rounds = await env.DB.prepare("SELECT status FROM expiry_rounds WHERE parking_id = ?1").bind(lot).all();
    expect(rounds.results).toEqual([{ status: "done" }]);
    for (const g of grants) {
      expect((await reload(g)).status).toBe("expired");
      expect(await deletionsOf(g.vehicle_code)).toBe(1);
    }
    expect(await deletionsIn(lot)).toHaveLength(grants.length);
  });
});

describe("what a round leaves", () => {
  it("its sightings and chunks are pruned an hour after it closed, the round itself after a week", async () => {
    const { lot } = await lotWithDueGrants("prune", 1_500, 10, 1);
    const driver = expiryDriver(workerEnv);
    await driver.cron(ENDED_AT + 60_000);
    await driver.drain();
    const count = async (table: string) =>
      (
        await env.DB.prepare(
          `SELECT count(*) AS n FROM ${table} WHERE ${table === "expiry_rounds" ? "id" : "round_id"} IN (SELECT id FROM expiry_rounds WHERE parking_id = ?1)`,
        )
          .bind(lot)
          .first<{ n: number }>()
      )?.n;
    expect([await count("expiry_rounds"), await count("expiry_sightings")]).toEqual([1, 10]);
    expect(await count("expiry_chunks")).toBeGreaterThan(0);
    await driver.cron(ENDED_AT + 2 * 3_600_000);
    expect([await count("expiry_rounds"), await count("expiry_sightings"), await count("expiry_chunks")]).toEqual([
      1, 0, 0,
    ]);
    await driver.cron(ENDED_AT + 8 * 86_400_000);
    expect(await count("expiry_rounds")).toBe(0);
  });
});

describe("waking up between cron ticks (EXPIRY_WAKE_UP)", () => {
  it("ends grants that end 20 s after a tick within seconds of their end, not at the next tick", async () => {
    const lot = await lotOfItsOwn("wake", 2_000);
    const tick = ENDED_AT + 60_000;
    const grants = await dueGrants(lot, Array.from({ length: 20 }, nextPlate), tick + 20_000);
    const off = expiryDriver(workerEnv);
    await off.cron(tick);
    expect(off.queued()).toBe(0);

    const driver = expiryDriver(envWith({ EXPIRY_WAKE_UP: "on" }));
    const report = await driver.cron(tick);
    expect(report.roundsOpened).toBe(0);
    expect(driver.queued()).toBe(1);
    await driver.drain();
    withinFreePlan(driver.invocations);
    for (const g of grants) {
      expect((await reload(g)).status).toBe("expired");
      expect(await deletionsOf(g.vehicle_code)).toBe(1);
      const ended = (await getAudit(env.DB, g.id)).at(-1);
      expect(ended?.action).toBe("expired");
      // The wake-up came at the grants' end (whole seconds), the round a moment later: far from the 60 s tick.
      expect(ended?.at).toBeGreaterThanOrEqual(tick + 20_000);
      expect(ended?.at).toBeLessThan(tick + 30_000);
    }
  });
});

describe("through the Worker's own handlers", () => {
  it("the scheduled handler opens the round and the queue (as Miniflare delivers it) ends it", async () => {
    const { lot, grants } = await lotWithDueGrants("queue", 6_000, 30);
    const ctx = createExecutionContext();
    await worker.scheduled(
      createScheduledController({ scheduledTime: ENDED_AT + 60_000, cron: "* * * * *" }),
      workerEnv,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    // The rest is the queue's: wait for the consumers.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const open = await env.DB.prepare(
        "SELECT count(*) AS n FROM visitor_grants WHERE parking_id = ?1 AND status = 'active'",
      )
        .bind(lot)
        .first<{ n: number }>();
      if (open?.n === 0 || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (const g of grants) {
      expect((await reload(g)).status).toBe("expired");
      expect(await deletionsOf(g.vehicle_code)).toBe(1);
      expect((await getAudit(env.DB, g.id)).at(-1)?.actor).toMatch(/^sweep:xr_/);
    }
  });
});
