/**
 * Visitor grants on more than one platform account. A lot belongs to one account (the simulator
 * here: "second-app-key" owns park3 only, and refuses it the other lots), so a grant is made,
 * changed and ended with its lot's account, whichever way it came in: a second account's
 * PARKING_VISITOR callback, or the API (asked for, or the account whose callbacks report the lot).
 */

import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { Env } from "../../workers/src/env.js";
import { runVisitorSweep } from "../../workers/src/sweep/sweep.js";
import type { Grant } from "../../workers/src/visitors/grant.js";
import { getGrant } from "../../workers/src/visitors/repository.js";
import { sendCallback, vehicleAccess } from "./ingest-support.js";
import {
  api,
  authorisationOf,
  callsFor,
  clearLedger,
  cst,
  envWith,
  plates,
  putAuthorisation,
} from "./visitors-support.js";

const nextPlate = plates("浙S");
const workerEnv = env as unknown as Env;
const SECOND = { appKey: "second-app-key", secret: "second-app-secret" };
const DAY = 86_400_000;

interface ErrorAnswer {
  error: { code: string; message: string; field?: string; grantId?: string };
}

beforeEach(clearLedger);

/** The account each successful call of `operation` for the plate was made with. */
async function accountsCalling(operation: string, plate: string): Promise<Array<string | undefined>> {
  return (await callsFor(operation, plate)).filter((c) => c.code === 0).map((c) => c.appKey);
}

describe("a second account's visitor booking", () => {
  it("is recorded with that account, and the sweep revokes it with that account's token", async () => {
    const plate = nextPlate();
    const booking = {
      callbackType: "PARKING_VISITOR",
      data: {
        parkingId: "park3",
        vehicleCode: plate,
        userName: "钱七",
        userPhoneNumber: "13500000000",
        startTime: "2026-11-24",
        endTime: "2026-11-25",
      },
    };
    expect((await sendCallback(booking, SECOND)).status).toBe(200);
    await putAuthorisation("park3", plate, { startTime: "2026-11-24", endTime: "2026-11-25", remark: "" });

    const listed = await api(`/api/visitor-grants?vehicleCode=${encodeURIComponent(plate)}`);
    const [grant] = ((await listed.json()) as { items: Grant[] }).items;
    expect(grant).toMatchObject({ source: "callback", appKey: SECOND.appKey, status: "active" });

    const report = await runVisitorSweep(workerEnv, { now: cst("2026-11-26 00:00") });
    expect(report.expired).toBe(1);
    expect(await authorisationOf("park3", plate)).toBeUndefined();
    expect(await accountsCalling("deleteVehicle", plate)).toEqual([SECOND.appKey]);
  });

  it("fails visibly, with the reason, when the account's secret was removed since", async () => {
    const plate = nextPlate();
    const booking = {
      callbackType: "PARKING_VISITOR",
      data: { parkingId: "park3", vehicleCode: plate, startTime: "2026-11-24", endTime: "2026-11-25" },
    };
    expect((await sendCallback(booking, SECOND)).status).toBe(200);
    await putAuthorisation("park3", plate, { startTime: "2026-11-24", endTime: "2026-11-25", remark: "" });

    // PLATFORM_ACCOUNTS no longer lists the second account: the sweep cannot end it there.
    const withoutSecond = envWith({ PLATFORM_ACCOUNTS: "{}", SWEEP_MAX_ATTEMPTS: "2" });
    const first = await runVisitorSweep(withoutSecond, { now: cst("2026-11-26 00:00") });
    expect(first).toMatchObject({ retrying: 1, platformCalls: 0 });
    const second = await runVisitorSweep(withoutSecond, { now: cst("2026-11-26 01:00") });
    expect(second.failed).toBe(1);
    const [row] = (
      await env.DB.prepare("SELECT * FROM visitor_grants WHERE vehicle_code = ?").bind(plate).all<{ id: string }>()
    ).results;
    const failed = await getGrant(env.DB, row?.id as string);
    expect(failed?.status).toBe("failed");
    expect(failed?.last_error).toMatch(/"second-app-key" is not configured \(PLATFORM_APP_KEY or PLATFORM_ACCOUNTS\)/);
    // Nothing was deleted with another account.
    expect(await authorisationOf("park3", plate)).toBeDefined();
    expect(await callsFor("deleteVehicle", plate)).toEqual([]);
  });
});

describe("a grant made through the API", () => {
  const visitor = (overrides: Record<string, unknown> = {}) => ({
    parkingId: "park3",
    vehicleCode: nextPlate(),
    visitorName: "孙八",
    visitorPhone: "13700000000",
    endsAt: new Date(Date.now() + 2 * DAY).toISOString(),
    ...overrides,
  });

  it("uses the account asked for, and changes and revokes the grant with it", async () => {
    const body = visitor({ appKey: SECOND.appKey });
    const created = await api("/api/visitor-grants", { body });
    expect(created.status).toBe(201);
    const grant = (await created.json()) as Grant;
    expect(grant.appKey).toBe(SECOND.appKey);

    const changed = await api(`/api/visitor-grants/${grant.id}`, {
      method: "PATCH",
      body: { endsAt: new Date(Date.now() + 5 * DAY).toISOString() },
    });
    expect(changed.status).toBe(200);
    expect((await api(`/api/visitor-grants/${grant.id}`, { method: "DELETE" })).status).toBe(200);

    const plate = body.vehicleCode as string;
    expect(await accountsCalling("addVehicle", plate)).toEqual([SECOND.appKey]);
    expect(await accountsCalling("updateVehicle", plate)).toEqual([SECOND.appKey]);
    expect(await accountsCalling("deleteVehicle", plate)).toEqual([SECOND.appKey]);
  });

  it("defaults to the account whose callbacks report the lot", async () => {
    // park3's events arrive signed by the second account, so park3 is that account's lot.
    expect((await sendCallback(vehicleAccess({ parkingId: "park3", vehicleCode: nextPlate() }), SECOND)).status).toBe(
      200,
    );
    const body = visitor();
    const created = await api("/api/visitor-grants", { body });
    expect(created.status).toBe(201);
    expect(((await created.json()) as Grant).appKey).toBe(SECOND.appKey);
    expect(await accountsCalling("addVehicle", body.vehicleCode as string)).toEqual([SECOND.appKey]);
  });

  it("defaults to the primary account for a lot no callback has reported", async () => {
    const body = visitor({ parkingId: "park1" });
    const created = await api("/api/visitor-grants", { body });
    expect(created.status).toBe(201);
    expect(((await created.json()) as Grant).appKey).toBe("demo-app-key");
  });

  it("refuses an account the Worker does not have, naming the field", async () => {
    const response = await api("/api/visitor-grants", { body: visitor({ appKey: "someone-elses-key" }) });
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorAnswer).error).toMatchObject({ code: "invalid_input", field: "appKey" });
  });

  it("answers 409 account_not_configured to a change once the grant's account is removed", async () => {
    const created = await api("/api/visitor-grants", { body: visitor({ appKey: SECOND.appKey }) });
    const grant = (await created.json()) as Grant;
    await env.DB.prepare("UPDATE visitor_grants SET app_key = 'removed-app-key' WHERE id = ?").bind(grant.id).run();
    const response = await api(`/api/visitor-grants/${grant.id}`, { method: "DELETE" });
    expect(response.status).toBe(409);
    expect(((await response.json()) as ErrorAnswer).error).toMatchObject({
      code: "account_not_configured",
      grantId: grant.id,
    });
  });
});
