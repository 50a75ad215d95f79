/**
 * The PARKING_VISITOR rule: a booking made on the platform becomes a grant ending at the end
 * of its last day (23:59:59 UTC+8), and expires through the same sweep.
 */

import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { signCallback } from "@parkbridge/shared";
import { beforeEach, describe, expect, it } from "vitest";
import type { Env } from "../../workers/src/env.js";
import worker from "../../workers/src/index.js";
import { runVisitorSweep } from "../../workers/src/sweep/sweep.js";
import { grantIdForEvent, recordGrantFromVisitorCallback } from "../../workers/src/visitors/from-callback.js";
import type { Grant, GrantRow } from "../../workers/src/visitors/grant.js";
import { getAudit, getGrant } from "../../workers/src/visitors/repository.js";
import {
  api,
  authorisationOf,
  callsFor,
  clearLedger,
  deletionsOf,
  plates,
  putAuthorisation,
} from "./visitors-support.js";

const nextPlate = plates("浙U");
const workerEnv = env as unknown as Env;

const booking = (plate: string, overrides: Record<string, string> = {}) => ({
  parkingId: "park2",
  vehicleCode: plate,
  userName: "周九",
  userPhoneNumber: "13300000000",
  startTime: "2026-11-24",
  endTime: "2026-11-25",
  memo: "拜访",
  ...overrides,
});

beforeEach(clearLedger);

describe("recordGrantFromVisitorCallback", () => {
  it("records an active grant ending 23:59:59 UTC+8 on the booking's last day, with its audit row", async () => {
    const plate = nextPlate();
    await env.DB.batch(
      recordGrantFromVisitorCallback(env.DB, {
        eventId: "evt_1",
        data: booking(plate),
        receivedAt: Date.parse("2026-11-22T05:00:00Z"),
        appKey: "demo-app-key",
      }),
    );

    const grant = (await getGrant(env.DB, grantIdForEvent("evt_1"))) as GrantRow;
    expect(grant).toMatchObject({
      parking_id: "park2",
      vehicle_code: plate,
      visitor_name: "周九",
      reason: "拜访",
      source: "callback",
      source_ref: "evt_1",
      status: "active",
      starts_at: Date.parse("2026-11-23T16:00:00Z"),
      ends_at: Date.parse("2026-11-25T15:59:59Z"),
      starts_at_local: "2026-11-24 00:00:00",
      ends_at_local: "2026-11-25 23:59:59",
      platform_end_date: "2026-11-25",
    });
    expect((await getAudit(env.DB, grant.id)).map((a) => [a.actor, a.action, a.to_status])).toEqual([
      ["callback", "recorded", "active"],
    ]);
  });

  it("records one grant however often the same event is replayed", async () => {
    const plate = nextPlate();
    const statements = () =>
      recordGrantFromVisitorCallback(env.DB, {
        eventId: "evt_2",
        data: booking(plate),
        receivedAt: Date.now(),
        appKey: "demo-app-key",
      });
    await env.DB.batch(statements());
    await env.DB.batch(statements());
    const { results } = await env.DB.prepare("SELECT id FROM visitor_grants WHERE vehicle_code = ?").bind(plate).all();
    expect(results).toHaveLength(1);
    expect(await getAudit(env.DB, grantIdForEvent("evt_2"))).toHaveLength(1);
  });

  it("keeps the plate's open grant, noting the ignored booking on its trail (and does not fail the batch)", async () => {
    const plate = nextPlate();
    await env.DB.batch(
      recordGrantFromVisitorCallback(env.DB, {
        eventId: "evt_3",
        data: booking(plate),
        receivedAt: Date.now(),
        appKey: "demo-app-key",
      }),
    );
    const results = await env.DB.batch(
      recordGrantFromVisitorCallback(env.DB, {
        eventId: "evt_4",
        data: booking(plate, { endTime: "2026-11-30" }),
        receivedAt: Date.now(),
        appKey: "demo-app-key",
      }),
    );
    expect(results.every((r) => r.success)).toBe(true);
    expect(await getGrant(env.DB, grantIdForEvent("evt_4"))).toBeNull();
    const trail = await getAudit(env.DB, grantIdForEvent("evt_3"));
    expect(trail.map((a) => a.action)).toEqual(["recorded", "booking_ignored"]);
    expect(JSON.parse(trail[1]?.detail ?? "{}")).toMatchObject({ eventId: "evt_4" });
  });
});

describe("a booking's grant expires through the sweep", () => {
  it("is untouched until 23:59:59 UTC+8 of its last day, then revokes the booking's authorisation", async () => {
    const plate = nextPlate();
    await env.DB.batch(
      recordGrantFromVisitorCallback(env.DB, {
        eventId: "evt_5",
        data: booking(plate),
        receivedAt: Date.now(),
        appKey: "demo-app-key",
      }),
    );
    // The lot also authorised the visitor's plate as a free vehicle for those days.
    await putAuthorisation("park2", plate, {
      vehicleType: "2",
      startTime: "2026-11-24",
      endTime: "2026-11-25",
      remark: "",
    });

    await runVisitorSweep(workerEnv, { now: Date.parse("2026-11-25T15:59:00Z") });
    expect((await getGrant(env.DB, grantIdForEvent("evt_5")))?.status).toBe("active");
    expect(await callsFor("deleteVehicle", plate)).toHaveLength(0);

    await runVisitorSweep(workerEnv, { now: Date.parse("2026-11-25T16:00:00Z") });
    expect((await getGrant(env.DB, grantIdForEvent("evt_5")))?.status).toBe("expired");
    expect(await authorisationOf("park2", plate)).toBeUndefined();
    expect(await deletionsOf(plate)).toBe(1);
  });

  it("closes without deleting when the platform holds no authorisation for the booking", async () => {
    const plate = nextPlate();
    await env.DB.batch(
      recordGrantFromVisitorCallback(env.DB, {
        eventId: "evt_6",
        data: booking(plate),
        receivedAt: Date.now(),
        appKey: "demo-app-key",
      }),
    );
    await runVisitorSweep(workerEnv, { now: Date.parse("2026-11-25T16:00:00Z") });
    const grant = await getGrant(env.DB, grantIdForEvent("evt_6"));
    expect(grant?.status).toBe("expired");
    expect(grant?.closed_reason).toMatch(/no authorisation/);
    expect(await callsFor("deleteVehicle", plate)).toHaveLength(0);
  });
});

describe("through the callback endpoint", () => {
  it("a signed PARKING_VISITOR callback records the booking's grant with its event", async () => {
    const plate = nextPlate();
    const timestamp = Date.now();
    const body = JSON.stringify({ callbackType: "PARKING_VISITOR", data: booking(plate) });
    const response = await fetchWorker("/callbacks", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        appKey: env.PLATFORM_APP_KEY,
        timestamp: String(timestamp),
        sign: signCallback(env.PLATFORM_APP_KEY, timestamp, env.PLATFORM_APP_SECRET),
      },
      body,
    });
    expect(response.status).toBe(200);

    const listed = await api(`/api/visitor-grants?source=callback&vehicleCode=${encodeURIComponent(plate)}`);
    const items = ((await listed.json()) as { items: Grant[] }).items;
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ source: "callback", status: "active", endsAtLocal: "2026-11-25 23:59:59" });
  });
});

async function fetchWorker(path: string, init: RequestInit) {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(`https://parkbridge.test${path}`, init), workerEnv, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}
