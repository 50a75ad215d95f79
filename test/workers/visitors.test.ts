/**
 * The visitor grants API through the Worker's fetch handler, against the real simulator.
 */

import { env } from "cloudflare:workers";
import { formatPlatformTime } from "@parkbridge/shared";
import { describe, expect, it } from "vitest";
import type { Grant } from "../../workers/src/visitors/grant.js";
import { api, authorisationOf, callsFor, deletionsOf, plates, putAuthorisation } from "./visitors-support.js";

const nextPlate = plates("浙V");
const DAY = 86_400_000;
const inDays = (days: number) => new Date(Date.now() + days * DAY).toISOString();

interface ErrorAnswer {
  error: { code: string; message: string; field?: string; platformMsg?: string; grantId?: string };
}

async function create(body: Record<string, unknown>) {
  const response = await api("/api/visitor-grants", { body });
  return { status: response.status, json: (await response.json()) as Grant & ErrorAnswer };
}

const visitor = (overrides: Record<string, unknown> = {}) => ({
  parkingId: "park1",
  vehicleCode: nextPlate(),
  visitorName: "张三",
  visitorPhone: "13800138000",
  reason: "面试",
  endsAt: inDays(2),
  ...overrides,
});

describe("POST /api/visitor-grants", () => {
  it("authorises the plate on the platform as a free vehicle for the grant's days, then records it active", async () => {
    const endsAt = "2026-12-03 18:30";
    const body = visitor({ endsAt, laneNos: "1" });
    const { status, json } = await create(body);

    expect(status).toBe(201);
    expect(json).toMatchObject({
      parkingId: "park1",
      vehicleCode: body.vehicleCode,
      visitorName: "张三",
      status: "active",
      source: "api",
      endsAt: "2026-12-03T10:30:00.000Z",
      endsAtLocal: "2026-12-03 18:30:00",
      platformEndDate: "2026-12-03",
      platformStartDate: formatPlatformTime(Date.now(), "date"),
      laneNos: "1",
      attempts: 0,
      lastError: null,
    });
    expect(json.id).toMatch(/^vg_/);
    const onPlatform = await authorisationOf("park1", body.vehicleCode);
    expect(onPlatform).toMatchObject({
      vehicleType: "2",
      userName: "张三",
      startTime: json.platformStartDate,
      endTime: "2026-12-03",
      laneNos: "1",
    });
    expect(onPlatform?.remark).toBe(`面试 [pb:${json.id}]`);
  });

  it("reads an ISO instant with its offset: 15:59 UTC is 23:59 in UTC+8", async () => {
    const { status, json } = await create(visitor({ endsAt: "2026-12-04T15:59:00Z" }));
    expect(status).toBe(201);
    expect(json.endsAtLocal).toBe("2026-12-04 23:59:00");
    expect(json.platformEndDate).toBe("2026-12-04");
  });

  it("passes a platform refusal on with its msg, and records nothing active", async () => {
    const plate = nextPlate();
    await putAuthorisation("park1", plate, { vehicleType: "1", endTime: "2027-06-30" });

    const { status, json } = await create(visitor({ vehicleCode: plate }));

    expect(status).toBe(502);
    expect(json.error.code).toBe("platform_refused");
    expect(json.error.platformMsg).toBe(`车辆已存在:${plate},请勿重复添加`);
    expect(json.error.message).toContain(json.error.platformMsg);
    const listed = await api(`/api/visitor-grants?vehicleCode=${encodeURIComponent(plate)}`);
    const items = ((await listed.json()) as { items: Grant[] }).items;
    expect(items.map((g) => g.status)).toEqual(["rejected"]);
    expect(items[0]?.lastError).toContain("车辆已存在");
    // The monthly pass is untouched.
    expect(await authorisationOf("park1", plate)).toMatchObject({ vehicleType: "1", endTime: "2027-06-30" });
  });

  it("passes on the platform's refusal of an unknown lane", async () => {
    const { status, json } = await create(visitor({ laneNos: "99" }));
    expect(status).toBe(502);
    expect(json.error.platformMsg).toBe("车道编号不存在:99");
  });

  it.each([
    ["a missing name", { visitorName: undefined }, "visitorName", /visitorName is required/],
    ["a malformed plate", { vehicleCode: "ABC123" }, "vehicleCode", /vehicleCode must be a Chinese licence plate/],
    ["an unreadable end", { endsAt: "next tuesday" }, "endsAt", /endsAt must be an ISO 8601 instant/],
    ["an end in the past", { endsAt: "2020-01-01 10:00" }, "endsAt", /endsAt must be in the future/],
    ["an end before the start", { startsAt: inDays(3), endsAt: inDays(2) }, "endsAt", /endsAt must be after startsAt/],
    ["malformed lanes", { laneNos: "1, 2" }, "laneNos", /laneNos must be lane numbers separated by commas/],
    ["an unknown field", { colour: "red" }, "colour", /colour is not a known field/],
  ])("refuses %s, naming the field", async (_case, overrides, field, message) => {
    const body = visitor(overrides);
    const { status, json } = await create(body);
    expect(status).toBe(400);
    expect(json.error.code).toBe("invalid_input");
    expect(json.error.field).toBe(field);
    expect(json.error.message).toMatch(message);
    expect(await callsFor("addVehicle", String(body.vehicleCode))).toHaveLength(0);
  });

  it("refuses a second open grant for the same plate and lot", async () => {
    const first = await create(visitor());
    const second = await create(visitor({ vehicleCode: first.json.vehicleCode }));
    expect(second.status).toBe(409);
    expect(second.json.error).toMatchObject({ code: "grant_exists", field: "vehicleCode", grantId: first.json.id });
    expect(await callsFor("addVehicle", first.json.vehicleCode)).toHaveLength(1);
  });

  it("needs the bearer token", async () => {
    const response = await api("/api/visitor-grants", { body: visitor(), token: "wrong" });
    expect(response.status).toBe(401);
  });
});

describe("GET /api/visitor-grants", () => {
  it("filters by status, lot and plate, newest first, page by page", async () => {
    const plateA = nextPlate();
    const plateB = nextPlate();
    const a = (await create(visitor({ vehicleCode: plateA }))).json;
    const b = (await create(visitor({ vehicleCode: plateB, parkingId: "park2" }))).json;
    const c = (await create(visitor({ vehicleCode: nextPlate() }))).json;
    expect((await api(`/api/visitor-grants/${c.id}`, { method: "DELETE" })).status).toBe(200);

    const page = async (query: string) =>
      (await (await api(`/api/visitor-grants?${query}`)).json()) as { items: Grant[]; nextCursor: string | null };

    expect((await page(`vehicleCode=${encodeURIComponent(plateA)}`)).items.map((g) => g.id)).toEqual([a.id]);
    const park2 = (await page("parkingId=park2&status=active")).items;
    expect(park2.map((g) => g.id)).toContain(b.id);
    expect(park2.every((g) => g.parkingId === "park2" && g.status === "active")).toBe(true);
    const revoked = (await page("status=revoked")).items;
    expect(revoked.map((g) => g.id)).toContain(c.id);
    expect(revoked.every((g) => g.status === "revoked")).toBe(true);

    // Newest first, one at a time, following the cursor.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const next: { items: Grant[]; nextCursor: string | null } = await page(
        `limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      );
      seen.push(...next.items.map((g) => g.id));
      cursor = next.nextCursor;
    } while (cursor);
    const all = (await page("limit=500")).items.map((g) => g.id);
    expect(seen).toEqual(all);
    expect(all.indexOf(c.id)).toBeLessThan(all.indexOf(a.id));

    const bad = await api("/api/visitor-grants?status=finished");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as ErrorAnswer).error.field).toBe("status");
  });

  it("shows one grant with its audit trail, and 404 for an unknown id", async () => {
    const { json } = await create(visitor());
    const one = (await (await api(`/api/visitor-grants/${json.id}`)).json()) as Grant & {
      audit: Array<{ action: string; actor: string; toStatus: string }>;
    };
    expect(one.id).toBe(json.id);
    expect(one.audit.map((a) => [a.action, a.toStatus])).toEqual([
      ["created", "pending"],
      ["activated", "active"],
    ]);
    const missing = await api("/api/visitor-grants/vg_nope");
    expect(missing.status).toBe(404);
  });
});

describe("PATCH /api/visitor-grants/:id", () => {
  it("extends and shortens, on the platform too", async () => {
    const { json } = await create(visitor({ endsAt: "2026-12-05 12:00" }));
    const patch = (endsAt: string) => api(`/api/visitor-grants/${json.id}`, { method: "PATCH", body: { endsAt } });

    const extended = await patch("2026-12-09 20:00");
    expect(extended.status).toBe(200);
    expect(await extended.json()).toMatchObject({ endsAtLocal: "2026-12-09 20:00:00", platformEndDate: "2026-12-09" });
    expect(await authorisationOf("park1", json.vehicleCode)).toMatchObject({ endTime: "2026-12-09", vehicleType: "2" });

    const shortened = await patch("2026-12-07 09:00");
    expect(await shortened.json()).toMatchObject({ endsAt: "2026-12-07T01:00:00.000Z", platformEndDate: "2026-12-07" });
    expect(await authorisationOf("park1", json.vehicleCode)).toMatchObject({ endTime: "2026-12-07" });
    expect(await callsFor("updateVehicle", json.vehicleCode)).toHaveLength(2);

    // Within the same day only the ledger changes (the platform is day-granular).
    const sameDay = await patch("2026-12-07 08:00");
    expect(await sameDay.json()).toMatchObject({ endsAtLocal: "2026-12-07 08:00:00" });
    expect(await callsFor("updateVehicle", json.vehicleCode)).toHaveLength(2);

    const trail = (await (await api(`/api/visitor-grants/${json.id}`)).json()) as { audit: Array<{ action: string }> };
    expect(trail.audit.map((a) => a.action)).toEqual(["created", "activated", "extended", "shortened", "shortened"]);
  });

  it("refuses to change a plate whose authorisation is no longer the grant's", async () => {
    const { json } = await create(visitor());
    await putAuthorisation("park1", json.vehicleCode, { vehicleType: "1", endTime: "2027-12-31" });
    const response = await api(`/api/visitor-grants/${json.id}`, { method: "PATCH", body: { endsAt: inDays(20) } });
    expect(response.status).toBe(409);
    expect(((await response.json()) as ErrorAnswer).error).toMatchObject({ code: "platform_changed" });
    expect(await authorisationOf("park1", json.vehicleCode)).toMatchObject({ vehicleType: "1", endTime: "2027-12-31" });
    expect(await callsFor("updateVehicle", json.vehicleCode)).toHaveLength(0);
  });

  it("waits for the expiry sweep: a grant the sweep holds answers 409 busy and is not touched", async () => {
    const { json } = await create(visitor());
    await env.DB.prepare("UPDATE visitor_grants SET lease_owner = 'sweep:run', lease_until = ?2 WHERE id = ?1")
      .bind(json.id, Date.now() + 60_000)
      .run();
    const patched = await api(`/api/visitor-grants/${json.id}`, { method: "PATCH", body: { endsAt: inDays(9) } });
    expect(patched.status).toBe(409);
    expect(((await patched.json()) as ErrorAnswer).error.code).toBe("busy");
    const deleted = await api(`/api/visitor-grants/${json.id}`, { method: "DELETE" });
    expect(deleted.status).toBe(409);
    expect(await callsFor("updateVehicle", json.vehicleCode)).toHaveLength(0);
    expect(await callsFor("deleteVehicle", json.vehicleCode)).toHaveLength(0);
    expect(await authorisationOf("park1", json.vehicleCode)).toBeDefined();
  });

  it("names the field of a bad end", async () => {
    const { json } = await create(visitor());
    const past = await api(`/api/visitor-grants/${json.id}`, { method: "PATCH", body: { endsAt: "2021-01-01 00:00" } });
    expect(past.status).toBe(400);
    expect(((await past.json()) as ErrorAnswer).error).toMatchObject({ field: "endsAt" });
    const missing = await api(`/api/visitor-grants/${json.id}`, { method: "PATCH", body: {} });
    expect(((await missing.json()) as ErrorAnswer).error).toMatchObject({
      field: "endsAt",
      message: "endsAt is required",
    });
  });
});

describe("DELETE /api/visitor-grants/:id", () => {
  it("revokes on the platform now, once", async () => {
    const { json } = await create(visitor());
    const response = await api(`/api/visitor-grants/${json.id}`, { method: "DELETE" });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: json.id, status: "revoked" });
    expect(await authorisationOf("park1", json.vehicleCode)).toBeUndefined();

    const again = await api(`/api/visitor-grants/${json.id}`, { method: "DELETE" });
    expect(again.status).toBe(200);
    expect(await deletionsOf(json.vehicleCode)).toBe(1);
    expect(await callsFor("deleteVehicle", json.vehicleCode)).toHaveLength(1);
  });

  it("leaves access given since alone and says so", async () => {
    const { json } = await create(visitor());
    await putAuthorisation("park1", json.vehicleCode, { vehicleType: "1", endTime: "2027-12-31" });
    const response = await api(`/api/visitor-grants/${json.id}`, { method: "DELETE" });
    const closed = (await response.json()) as Grant;
    expect(closed.status).toBe("superseded");
    expect(closed.closedReason).toMatch(/left in place.*monthly/);
    expect(await authorisationOf("park1", json.vehicleCode)).toMatchObject({ vehicleType: "1" });
    expect(await callsFor("deleteVehicle", json.vehicleCode)).toHaveLength(0);
  });
});

describe("GET /openapi.json", () => {
  it("describes the visitor grant routes", async () => {
    const response = await api("/openapi.json");
    expect(response.status).toBe(200);
    const doc = (await response.json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths["/api/visitor-grants"] ?? {}).sort()).toEqual(["get", "post"]);
    expect(Object.keys(doc.paths["/api/visitor-grants/{id}"] ?? {}).sort()).toEqual(["delete", "get", "patch"]);
  });
});
