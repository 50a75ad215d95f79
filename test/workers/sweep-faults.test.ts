/**
 * The sweep when the platform misbehaves: 500s, dropped requests, expired tokens, refusals.
 * Faults are the simulator's (shared by the run), added just before they are needed with a
 * count, so they are spent by the time the test ends.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { Env } from "../../workers/src/env.js";
import { backoffMs, PENDING_GRACE_MS, runVisitorSweep } from "../../workers/src/sweep/sweep.js";
import type { GrantRow } from "../../workers/src/visitors/grant.js";
import { getAudit, getGrant, insertGrant } from "../../workers/src/visitors/repository.js";
import { GrantService } from "../../workers/src/visitors/service.js";
import {
  addFault,
  authorisationOf,
  callsFor,
  clearLedger,
  cst,
  deletionsOf,
  envWith,
  plates,
  sim,
} from "./visitors-support.js";

const nextPlate = plates("浙X");
// A short platform timeout so a dropped request costs little.
const fastEnv = envWith({ PLATFORM_TIMEOUT_MS: "300" });
const reload = async (row: GrantRow) => (await getGrant(env.DB, row.id)) as GrantRow;

async function grant(endsAtLocal: string, createdAt = cst("2026-11-21 20:00"), environment: Env = fastEnv) {
  return new GrantService(environment, () => createdAt).create({
    parkingId: "park1",
    vehicleCode: nextPlate(),
    visitorName: "王五",
    visitorPhone: "13700000000",
    endsAt: endsAtLocal,
  });
}

beforeEach(clearLedger);

describe("platform faults", () => {
  it("ends with every due grant revoked exactly once after enough runs (500s, dropped requests, expired tokens)", async () => {
    const grants = await Promise.all(Array.from({ length: 4 }, (_, i) => grant(`2026-11-22 0${i + 1}:00`)));
    let now = Date.parse("2026-11-22T12:00:00Z");

    const faults = [
      await addFault({ operation: "deleteVehicle", kind: "http500", times: 1 }),
      await addFault({ operation: "deleteVehicle", kind: "timeout", times: 1, latencyMs: 1500 }),
      // The token expires mid-run (the simulator forgets it): the client fetches a new one once.
      await addFault({ operation: "deleteVehicle", kind: "tokenExpired", times: 1 }),
      await addFault({ operation: "listVehicles", kind: "http502", times: 2 }),
    ];
    const reports = [];
    for (let run = 0; run < 8 && grants.length; run++) {
      reports.push(await runVisitorSweep(fastEnv, { now }));
      now += 31 * 60_000; // past any backoff
      const statuses = await Promise.all(grants.map(async (g) => (await reload(g)).status));
      if (statuses.every((s) => s === "expired")) break;
    }

    const applied = (await sim<Array<{ id: string; applied: number; times: number }>>("/__sim/faults")).filter((f) =>
      faults.includes(f.id),
    );
    // Every fault was spent (by these runs, unless another file's request met it first).
    for (const f of applied) expect(f.applied).toBe(f.times);

    for (const g of grants) {
      const ended = await reload(g);
      expect(ended.status).toBe("expired");
      expect(await deletionsOf(g.vehicle_code)).toBe(1);
      expect(await authorisationOf("park1", g.vehicle_code)).toBeUndefined();
    }
    // Failed attempts were recorded with their error, then retried by a later run.
    const retried = reports.reduce((sum, r) => sum + r.retrying, 0);
    const trails = await Promise.all(grants.map((g) => getAudit(env.DB, g.id)));
    const failures = trails.flat().filter((row) => row.action === "attempt_failed");
    expect(retried).toBeGreaterThan(0);
    expect(failures).toHaveLength(retried);
    for (const row of failures)
      expect(JSON.parse(row.detail ?? "{}").error).toMatch(/deleteVehicle|listVehicles|HTTP|answer/);
  });

  it("treats a deletion whose answer was lost as done once the platform shows the plate gone", async () => {
    const g = await grant("2026-11-22 01:00");
    const now = Date.parse("2026-11-22T12:00:00Z");
    // The platform acts, but answers after the client has given up.
    await addFault({ operation: "deleteVehicle", kind: "latency", times: 1, latencyMs: 800 });

    const first = await runVisitorSweep(fastEnv, { now });
    expect(first.retrying).toBe(1);
    const waiting = await reload(g);
    expect(waiting.status).toBe("active");
    expect(waiting.attempts).toBe(1);
    expect(waiting.last_error).toMatch(/deleteVehicle: no (complete )?answer within 300 ms/);
    expect(waiting.next_attempt_at).toBe(now + backoffMs(1));

    // Before the backoff has passed, the grant is left alone.
    await runVisitorSweep(fastEnv, { now: now + 30_000 });
    expect((await reload(g)).attempts).toBe(1);

    // The platform did delete it: the next run finds it gone and closes the grant without deleting again.
    await new Promise((resolve) => setTimeout(resolve, 900));
    const second = await runVisitorSweep(fastEnv, { now: now + backoffMs(1) });
    expect(second.expired).toBe(1);
    const closed = await reload(g);
    expect(closed.status).toBe("expired");
    expect(closed.closed_reason).toMatch(/no authorisation for the plate any more/);
    expect(await callsFor("deleteVehicle", g.vehicle_code)).toHaveLength(1);
  });

  it("marks a grant failed after SWEEP_MAX_ATTEMPTS, keeping the platform's error", async () => {
    // A lot the account does not have (any more): every look at it is refused.
    const id = "vg_test_failed_after_max";
    const endsAt = cst("2026-11-22 01:00");
    await insertGrant(env.DB, {
      id,
      parking_id: "park9",
      vehicle_code: nextPlate(),
      visitor_name: "赵六",
      visitor_phone: "13600000000",
      reason: null,
      lane_nos: null,
      starts_at: endsAt - 3_600_000,
      ends_at: endsAt,
      starts_at_local: "2026-11-22 00:00:00",
      ends_at_local: "2026-11-22 01:00:00",
      platform_start_date: "2026-11-22",
      platform_end_date: "2026-11-22",
      source: "api",
      source_ref: null,
      app_key: null,
      status: "active",
      created_at: endsAt - 3_600_000,
    }).run();
    const limitedEnv = envWith({ SWEEP_MAX_ATTEMPTS: "3" });
    let now = Date.parse("2026-11-22T12:00:00Z");
    const seen: Array<{ status: string; attempts: number }> = [];
    for (let run = 0; run < 4; run++) {
      await runVisitorSweep(limitedEnv, { now });
      const row = (await getGrant(env.DB, id)) as GrantRow;
      seen.push({ status: row.status, attempts: row.attempts });
      now = (row.next_attempt_at ?? now) + 1;
    }
    expect(seen).toEqual([
      { status: "active", attempts: 1 },
      { status: "active", attempts: 2 },
      { status: "failed", attempts: 3 },
      { status: "failed", attempts: 3 },
    ]);
    const failed = (await getGrant(env.DB, id)) as GrantRow;
    expect(failed.last_error).toMatch(/^listVehicles: .+ \(code 1\)$/);
    expect(failed.closed_reason).toMatch(/gave up after 3 attempts/);
    const trail = await getAudit(env.DB, id);
    expect(trail.map((a) => a.action)).toEqual(["attempt_failed", "attempt_failed", "failed"]);
  });
});

describe("a create whose answer was lost", () => {
  it("stays pending, then the sweep activates it when the platform holds its authorisation", async () => {
    const createdAt = cst("2026-11-22 09:00");
    // The platform authorises the plate, but the answer comes after the client's 300 ms.
    await addFault({ operation: "addVehicle", kind: "latency", times: 1, latencyMs: 800 });
    const plate = nextPlate();
    const service = new GrantService(fastEnv, () => createdAt);
    const failure = await service
      .create({
        parkingId: "park1",
        vehicleCode: plate,
        visitorName: "钱七",
        visitorPhone: "13500000000",
        endsAt: "2026-11-22 18:00",
      })
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ status: 502, code: "platform_unreachable" });
    const grantId = (failure as { extra: { grantId: string } }).extra.grantId;
    expect((await getGrant(env.DB, grantId))?.status).toBe("pending");
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect(await authorisationOf("park1", plate)).toBeDefined();

    // Within the grace period the sweep leaves it (the request may still be running).
    await runVisitorSweep(fastEnv, { now: createdAt + 60_000 });
    expect((await getGrant(env.DB, grantId))?.status).toBe("pending");

    const report = await runVisitorSweep(fastEnv, { now: createdAt + PENDING_GRACE_MS + 60_000 });
    expect(report.activated).toBe(1);
    expect((await getGrant(env.DB, grantId))?.status).toBe("active");
    expect((await getAudit(env.DB, grantId)).map((a) => a.action)).toEqual([
      "created",
      "outcome_unknown",
      "reconciled_active",
    ]);
  });

  it("stays pending, then the sweep rejects it when the platform never authorised the plate", async () => {
    const createdAt = cst("2026-11-22 09:00");
    await addFault({ operation: "addVehicle", kind: "timeout", times: 1, latencyMs: 600 });
    const plate = nextPlate();
    const failure = await new GrantService(fastEnv, () => createdAt)
      .create({
        parkingId: "park1",
        vehicleCode: plate,
        visitorName: "孙八",
        visitorPhone: "13400000000",
        endsAt: "2026-11-22 18:00",
      })
      .catch((error: unknown) => error);
    const grantId = (failure as { extra: { grantId: string } }).extra.grantId;
    expect((await getGrant(env.DB, grantId))?.status).toBe("pending");

    const report = await runVisitorSweep(fastEnv, { now: createdAt + PENDING_GRACE_MS + 60_000 });
    expect(report.rejected).toBe(1);
    const settled = await getGrant(env.DB, grantId);
    expect(settled?.status).toBe("rejected");
    expect(settled?.closed_reason).toMatch(/platform has no authorisation of this grant/);
    expect(await authorisationOf("park1", plate)).toBeUndefined();
  });
});
