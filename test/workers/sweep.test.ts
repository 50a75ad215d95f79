/**
 * The visitor-expiry sweep against the real simulator: grants are made through the grant
 * service (which authorises them on the simulator), then the sweep runs at chosen instants.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { Env } from "../../workers/src/env.js";
import worker from "../../workers/src/index.js";
import { runVisitorSweep } from "../../workers/src/sweep/sweep.js";
import type { GrantRow } from "../../workers/src/visitors/grant.js";
import { DUE_GRANTS_SQL, getAudit, getGrant } from "../../workers/src/visitors/repository.js";
import { GrantService } from "../../workers/src/visitors/service.js";
import {
  authorisationOf,
  callsFor,
  clearLedger,
  countingD1,
  cst,
  deletionsOf,
  envWith,
  plates,
  putAuthorisation,
} from "./visitors-support.js";

const nextPlate = plates("浙W");
const workerEnv = env as unknown as Env;

/** A grant made through the service as if at `createdAt`, authorised on the simulator. */
async function grant(endsAtLocal: string, options: { parkingId?: string; createdAt?: number; plate?: string } = {}) {
  const createdAt = options.createdAt ?? cst("2026-11-21 20:00");
  const service = new GrantService(workerEnv, () => createdAt);
  return service.create({
    parkingId: options.parkingId ?? "park1",
    vehicleCode: options.plate ?? nextPlate(),
    visitorName: "李四",
    visitorPhone: "13900000000",
    reason: "送货",
    endsAt: endsAtLocal,
  });
}

/** The cron as workerd runs it: the default export's scheduled handler at `scheduledTime`. */
async function cronAt(scheduledTime: number) {
  const controller = createScheduledController({ scheduledTime, cron: "* * * * *" });
  const ctx = createExecutionContext();
  await worker.scheduled(controller, workerEnv, ctx);
  await waitOnExecutionContext(ctx);
}

const reload = async (row: GrantRow) => (await getGrant(env.DB, row.id)) as GrantRow;

beforeEach(clearLedger);

describe("the sweep ends grants whose end has passed", () => {
  it("revokes due grants on the platform, marks them expired with an audit row, and leaves the rest", async () => {
    const due = await grant("2026-11-22 10:00");
    const later = await grant("2026-11-23 10:00");
    expect(await authorisationOf("park1", due.vehicle_code)).toMatchObject({ vehicleType: "2", endTime: "2026-11-22" });

    await cronAt(Date.parse("2026-11-22T03:00:00Z")); // 11:00 UTC+8

    const ended = await reload(due);
    expect(ended.status).toBe("expired");
    expect(ended.closed_reason).toMatch(/authorisation was deleted/);
    expect(await authorisationOf("park1", due.vehicle_code)).toBeUndefined();
    expect(await deletionsOf(due.vehicle_code)).toBe(1);
    const trail = await getAudit(env.DB, due.id);
    expect(trail.map((a) => a.action)).toEqual(["created", "activated", "expired"]);
    expect(trail.at(-1)).toMatchObject({ from_status: "active", to_status: "expired" });
    expect(trail.at(-1)?.actor).toMatch(/^sweep:/);

    expect((await reload(later)).status).toBe("active");
    expect(await authorisationOf("park1", later.vehicle_code)).toBeDefined();
    expect(await callsFor("deleteVehicle", later.vehicle_code)).toHaveLength(0);
  });

  it("reads the UTC cron against UTC+8 ends: 23:59 local is untouched at 15:58 UTC and revoked at 15:59 UTC", async () => {
    const g = await grant("2026-11-22 23:59");
    expect(g.ends_at).toBe(Date.parse("2026-11-22T15:59:00Z"));
    // The platform's authorisation is day-granular: it still says 2026-11-22.
    expect(await authorisationOf("park1", g.vehicle_code)).toMatchObject({ endTime: "2026-11-22" });

    await cronAt(Date.parse("2026-11-22T15:58:00Z"));
    expect((await reload(g)).status).toBe("active");
    expect(await authorisationOf("park1", g.vehicle_code)).toBeDefined();
    expect(await callsFor("deleteVehicle", g.vehicle_code)).toHaveLength(0);

    await cronAt(Date.parse("2026-11-22T15:59:00Z"));
    expect((await reload(g)).status).toBe("expired");
    expect(await authorisationOf("park1", g.vehicle_code)).toBeUndefined();
    expect(await deletionsOf(g.vehicle_code)).toBe(1);
  });

  it("ends a grant made across the local midnight on the right UTC day", async () => {
    // 2026-11-23 07:30 local is 2026-11-22 23:30 UTC: the UTC date is the day before.
    const g = await grant("2026-11-23 07:30");
    expect(await authorisationOf("park1", g.vehicle_code)).toMatchObject({ endTime: "2026-11-23" });
    await cronAt(Date.parse("2026-11-22T23:29:00Z"));
    expect((await reload(g)).status).toBe("active");
    await cronAt(Date.parse("2026-11-22T23:30:00Z"));
    expect((await reload(g)).status).toBe("expired");
  });
});

describe("never a wrong revocation", () => {
  it("leaves a plate that was given a monthly pass since alone", async () => {
    const g = await grant("2026-11-22 10:00");
    await putAuthorisation("park1", g.vehicle_code, {
      vehicleType: "1",
      startTime: "2026-11-22",
      endTime: "2027-11-21",
    });

    await cronAt(Date.parse("2026-11-22T03:00:00Z"));

    const closed = await reload(g);
    expect(closed.status).toBe("superseded");
    expect(closed.closed_reason).toMatch(/vehicleType 1 \(monthly\)/);
    expect(await authorisationOf("park1", g.vehicle_code)).toMatchObject({ vehicleType: "1", endTime: "2027-11-21" });
    expect(await callsFor("deleteVehicle", g.vehicle_code)).toHaveLength(0);
    const last = (await getAudit(env.DB, g.id)).at(-1);
    expect(last).toMatchObject({ action: "superseded", to_status: "superseded" });
    expect(last?.detail).toMatch(/monthly/);
  });

  it("leaves an authorisation extended past the grant's end alone", async () => {
    const g = await grant("2026-11-22 10:00");
    await putAuthorisation("park1", g.vehicle_code, { vehicleType: "2", endTime: "2026-11-25", remark: "前台延期" });

    await cronAt(Date.parse("2026-11-22T03:00:00Z"));

    expect((await reload(g)).status).toBe("superseded");
    expect((await reload(g)).closed_reason).toMatch(/ends 2026-11-25/);
    expect(await authorisationOf("park1", g.vehicle_code)).toMatchObject({ endTime: "2026-11-25" });
    expect(await callsFor("deleteVehicle", g.vehicle_code)).toHaveLength(0);
  });

  it("leaves a same-day authorisation made by someone else alone", async () => {
    const g = await grant("2026-11-22 10:00");
    await putAuthorisation("park1", g.vehicle_code, {
      vehicleType: "2",
      endTime: "2026-11-22",
      remark: "保安手工登记",
    });

    await cronAt(Date.parse("2026-11-22T03:00:00Z"));

    expect((await reload(g)).status).toBe("superseded");
    expect(await authorisationOf("park1", g.vehicle_code)).toBeDefined();
    expect(await callsFor("deleteVehicle", g.vehicle_code)).toHaveLength(0);
  });

  it("closes a grant whose authorisation is already gone without deleting anything", async () => {
    const g = await grant("2026-11-22 10:00");
    await fetch(
      `${env.SIMULATOR_URL}/__sim/authorisations?parkingId=park1&vehicleCode=${encodeURIComponent(g.vehicle_code)}`,
      {
        method: "DELETE",
      },
    );

    await cronAt(Date.parse("2026-11-22T03:00:00Z"));

    const closed = await reload(g);
    expect(closed.status).toBe("expired");
    expect(closed.closed_reason).toMatch(/no authorisation for the plate any more/);
    expect(await callsFor("deleteVehicle", g.vehicle_code)).toHaveLength(0);
    expect((await getAudit(env.DB, g.id)).at(-1)?.action).toBe("expired_already_gone");
  });
});

describe("overlapping runs", () => {
  it("two concurrent sweeps revoke each due grant exactly once", async () => {
    const grants = await Promise.all(
      Array.from({ length: 6 }, (_, i) => grant(`2026-11-22 1${i}:00`, { parkingId: i % 2 ? "park1" : "park2" })),
    );
    const now = Date.parse("2026-11-22T12:00:00Z");

    const [a, b] = await Promise.all([
      runVisitorSweep(workerEnv, { now, runId: "run-a" }),
      runVisitorSweep(workerEnv, { now, runId: "run-b" }),
    ]);

    expect(a.expired + b.expired).toBe(6);
    for (const g of grants) {
      expect((await reload(g)).status).toBe("expired");
      expect(await callsFor("deleteVehicle", g.vehicle_code)).toHaveLength(1);
      expect(await authorisationOf(g.parking_id, g.vehicle_code)).toBeUndefined();
    }
    // Each grant's trail has exactly one ending, by one of the two runs.
    for (const g of grants) {
      const endings = (await getAudit(env.DB, g.id)).filter((row) => row.action === "expired");
      expect(endings).toHaveLength(1);
      expect(endings[0]?.actor).toMatch(/^sweep:run-[ab]$/);
    }
  });

  it("skips a grant another run holds, and takes it once that run's lease has lapsed", async () => {
    const g = await grant("2026-11-22 10:00");
    const now = Date.parse("2026-11-22T03:00:00Z");
    // A run that died half-way: it took the lease and never came back.
    await env.DB.prepare("UPDATE visitor_grants SET lease_owner = 'sweep:dead', lease_until = ?2 WHERE id = ?1")
      .bind(g.id, now + 60_000)
      .run();

    const blocked = await runVisitorSweep(workerEnv, { now });
    expect(blocked.expired).toBe(0);
    expect((await reload(g)).status).toBe("active");

    const after = await runVisitorSweep(workerEnv, { now: now + 120_000 });
    expect(after.expired).toBe(1);
    expect((await reload(g)).status).toBe("expired");
    expect(await deletionsOf(g.vehicle_code)).toBe(1);
  });
});

describe("bounded work", () => {
  it("spends at most SWEEP_MAX_PLATFORM_CALLS requests per run and finishes the rest in later runs", async () => {
    const grants = await Promise.all(Array.from({ length: 8 }, (_, i) => grant(`2026-11-22 0${i + 1}:00`)));
    const cappedEnv = envWith({ SWEEP_MAX_PLATFORM_CALLS: "5" });
    let now = Date.parse("2026-11-22T12:00:00Z");
    const perRun: number[] = [];
    const expiredPerRun: number[] = [];
    for (let run = 0; run < 6; run++) {
      // Count what actually leaves the Worker, independently of the sweep's own counter.
      let requests = 0;
      const counting: typeof fetch = (input, init) => {
        requests++;
        return fetch(input, init);
      };
      const report = await runVisitorSweep(cappedEnv, { now, fetch: counting });
      perRun.push(requests);
      expiredPerRun.push(report.expired);
      expect(report.platformCalls).toBe(requests);
      now += 60_000;
    }
    expect(Math.max(...perRun)).toBeLessThanOrEqual(5);
    // A run pays for a token and the lot's list, then one deletion per grant: 3 per run.
    expect(expiredPerRun.slice(0, 3)).toEqual([3, 3, 2]);
    for (const g of grants) {
      expect((await reload(g)).status).toBe("expired");
      expect(await deletionsOf(g.vehicle_code)).toBe(1);
    }
  });

  it("runs at most SWEEP_MAX_D1_QUERIES D1 statements per run (D1 allows 50 per invocation on the free plan)", async () => {
    const grants = await Promise.all(Array.from({ length: 5 }, (_, i) => grant(`2026-11-22 0${i + 1}:00`)));
    const counted = countingD1(env.DB);
    const cappedEnv = envWith({ SWEEP_MAX_D1_QUERIES: "11", DB: counted.db });
    let now = Date.parse("2026-11-22T12:00:00Z");
    const expiredPerRun: number[] = [];
    const statementsPerRun: number[] = [];
    for (let run = 0; run < 3; run++) {
      counted.reset();
      const report = await runVisitorSweep(cappedEnv, { now });
      expiredPerRun.push(report.expired);
      statementsPerRun.push(counted.statements);
      now += 60_000;
    }
    // 2 selects, then 3 statements a grant (lease; change + audit row): 3 grants a run.
    expect(expiredPerRun).toEqual([3, 2, 0]);
    expect(Math.max(...statementsPerRun)).toBeLessThanOrEqual(11);
    for (const g of grants) expect((await reload(g)).status).toBe("expired");
  });

  it("finds due grants through the partial index of active grants, not by scanning the ledger", async () => {
    const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${DUE_GRANTS_SQL}`)
      .bind(0, 10)
      .all<{ detail: string }>();
    const plan = results.map((row) => row.detail).join("; ");
    expect(plan).toMatch(/SEARCH visitor_grants USING INDEX visitor_grants_due \(ends_at<\?\)/);
    expect(plan).not.toMatch(/SCAN visitor_grants/);
  });

  it("reads a lot's authorisations once per run, however many grants end there", async () => {
    const grants = await Promise.all(
      Array.from({ length: 3 }, (_, i) => grant(`2026-11-22 0${i + 1}:00`, { parkingId: "park3" })),
    );
    const report = await runVisitorSweep(workerEnv, { now: Date.parse("2026-11-22T12:00:00Z") });
    expect(report.expired).toBe(3);
    // token + one list of park3 (its authorisations fit a page) + 3 deletions.
    expect(report.platformCalls).toBe(5);
    for (const g of grants) expect((await reload(g)).status).toBe("expired");
  });
});
