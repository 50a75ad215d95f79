/**
 * The `/__sim/` control endpoints (for tests inside workerd), seeded determinism, reset,
 * Ebopark's endpoints through shared's Ebopark client, and a large lot.
 */
import { PlatformError, signPartnerBody } from "@parkbridge/shared";
import type { RunningSimulator } from "@parkbridge/simulator";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { clientFor, eboparkClientFor, postRaw, start, startReceiver } from "./helpers.js";

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await start({ seed: 3 });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

const control = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${sim.url}/__sim${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as never as Record<string, unknown> & unknown[] };
};

describe("control endpoints", () => {
  it("GET /__sim/state describes the lots", async () => {
    const { json } = await control("GET", "/state");
    const lots = (json as unknown as { lots: Array<{ parkingId: string; lanes: unknown[]; authorisations: number }> })
      .lots;
    expect(lots.map((l) => l.parkingId)).toEqual(["park1", "park2", "park3"]);
    expect(lots[0]?.authorisations).toBe(50);
    expect(lots[0]?.lanes).toHaveLength(4);
  });

  it("POST /__sim/authorisations puts one; GET finds it; deleteVehicle through the client removes it", async () => {
    const put = await control("POST", "/authorisations", {
      parkingId: "park2",
      vehicleCode: "鲁B12345",
      vehicleType: "1",
      userName: "王五",
      userPhoneNumber: "13700137000",
      startTime: "2026-01-01",
      endTime: "2026-12-31",
    });
    expect(put.status).toBe(200);
    const query = `/authorisations?parkingId=park2&vehicleCode=${encodeURIComponent("鲁B12345")}`;
    expect((await control("GET", query)).json).toEqual([expect.objectContaining({ userName: "王五", lotNum: 1 })]);
    await clientFor(sim).deleteVehicle({ parkingId: "park2", vehicleCode: "鲁B12345" });
    expect((await control("GET", query)).json).toEqual([]);
    const calls = await control("GET", `/calls?operation=deleteVehicle&vehicleCode=${encodeURIComponent("鲁B12345")}`);
    expect(calls.json).toHaveLength(1);
  });

  it("POST /__sim/authorisations refuses a bad body naming the field", async () => {
    const { status, json } = await control("POST", "/authorisations", { parkingId: "park2", vehicleCode: "XYZ" });
    expect(status).toBe(400);
    expect(String(json.error)).toMatch(/vehicleCode must be a Chinese licence plate/);
  });

  it("POST /__sim/faults adds a rule the next request meets; DELETE clears them", async () => {
    const client = clientFor(sim);
    const added = await control("POST", "/faults", {
      operation: "listParkingLots",
      kind: "platformError",
      msg: "维护中",
    });
    expect(added.json).toEqual({ id: expect.any(String) });
    await expect(client.listParkingLots()).rejects.toMatchObject({ msg: "维护中" });
    await control("DELETE", "/faults");
    expect(await client.listParkingLots()).toHaveLength(3);
    expect((await control("POST", "/faults", { kind: "nope" })).status).toBe(400);
  });

  it("POST /__sim/tokens/expire makes the next call refresh its token", async () => {
    const client = clientFor(sim);
    await client.listParkingLots();
    await control("POST", "/tokens/expire");
    await client.listParkingLots();
    expect(client.stats.tokenFetches).toBe(2);
  });

  it("POST /__sim/traffic/step delivers events and answers the attempts", async () => {
    const receiver = await startReceiver();
    const withCallbacks = await start({ callbackUrl: receiver.url });
    try {
      const response = await fetch(`${withCallbacks.url}/__sim/traffic/step`, {
        method: "POST",
        body: JSON.stringify({ count: 5 }),
      });
      const sent = (await response.json()) as Array<{ ok: boolean; callbackType: string }>;
      expect(sent).toHaveLength(5);
      expect(sent.every((s) => s.ok)).toBe(true);
      expect(receiver.received).toHaveLength(5);
    } finally {
      await withCallbacks.close();
      await receiver.close();
    }
  });

  it("POST /__sim/vehicles/enter moves a vehicle in; POST /__sim/reset restores the seeded state", async () => {
    const before = sim.state.stats("park1").usedLot;
    const entered = await control("POST", "/vehicles/enter", { parkingId: "park1", vehicleCode: "鲁A77777" });
    expect(entered.status).toBe(200);
    expect(sim.state.stats("park1").usedLot).toBe(before + 1);
    expect((await control("POST", "/vehicles/enter", { parkingId: "park1", vehicleCode: "鲁A77777" })).status).toBe(
      409,
    );
    await control("POST", "/reset");
    expect(sim.state.stats("park1").usedLot).toBe(before);
    expect(sim.calls).toEqual([]);
  });

  it("POST /__sim/lots adds an empty lot of a test's own; bulk items fill it; calls filter by lot", async () => {
    const created = await control("POST", "/lots", { parkingId: "burst-1", plateRegion: "浙Z" });
    expect(created.status).toBe(200);
    expect((await control("POST", "/lots", { parkingId: "burst-1" })).json).toMatchObject({
      error: "parkingId burst-1 names a lot already",
    });
    expect((await control("POST", "/lots", { parkingId: "no spaces" })).status).toBe(400);
    const item = { vehicleType: "2", userName: "访客", userPhoneNumber: "13800000000", startTime: "2026-11-21" };
    const bulk = await control("POST", "/authorisations/bulk", {
      parkingId: "burst-1",
      items: [
        { ...item, vehicleCode: "浙Y00001", endTime: "2026-11-22", remark: "[pb:vg_1]" },
        { ...item, vehicleCode: "浙Y00002", endTime: "2026-11-22" },
      ],
    });
    expect(bulk.json).toEqual({ added: 2 });
    const refused = await control("POST", "/authorisations/bulk", {
      parkingId: "burst-1",
      items: [{ ...item, vehicleCode: "XYZ", endTime: "2026-11-22" }],
    });
    expect(refused.status).toBe(400);
    expect(String(refused.json.error)).toMatch(/^items\[0\]\.vehicleCode /);
    await control("POST", "/authorisations/bulk", { parkingId: "burst-1", count: 5 });
    const page = await clientFor(sim).listVehicles({ parkingId: "burst-1", pageNo: 1, pageSize: 10 });
    expect(page.data.map((a) => a.vehicleCode).slice(0, 2)).toEqual(["浙Y00001", "浙Y00002"]);
    expect(page.data).toHaveLength(7);
    await clientFor(sim).listVehicles({ parkingId: "park1", pageNo: 1, pageSize: 1 });
    const calls = await control("GET", "/calls?operation=listVehicles&parkingId=burst-1");
    expect(calls.json).toHaveLength(1);
    expect(calls.json[0]).toMatchObject({ code: 0, answeredAt: expect.any(Number) });
  });

  it("unknown control paths answer 404", async () => {
    expect((await control("GET", "/nothing")).status).toBe(404);
  });
});

describe("seeded data", () => {
  it("the same seed gives the same lots, plates and records; another seed does not", async () => {
    const again = await start({ seed: 3 });
    const other = await start({ seed: 4 });
    try {
      const plates = (s: RunningSimulator) => s.state.authorisations().map((a) => a.vehicleCode);
      const records = (s: RunningSimulator) =>
        s.state.records().map((r) => `${r.recordId}:${r.vehicleCode}:${r.laneNo}`);
      expect(plates(again)).toEqual(plates(sim));
      expect(records(again)).toEqual(records(sim));
      expect(plates(other)).not.toEqual(plates(sim));
    } finally {
      await again.close();
      await other.close();
    }
  });

  it("100,000 authorisations list in 100 pages of 1000", async () => {
    const added = sim.state.addAuthorisations("park3", 100_000 - sim.state.authorisations("park3").length);
    expect(added.length).toBeGreaterThan(99_000);
    const token = await clientFor(sim).accessToken();
    const plates = new Set<string>();
    let hasMore = true;
    for (let pageNo = 1; hasMore; pageNo++) {
      const { json } = await postRaw(
        sim,
        "/listVehicles",
        { parkingId: "park3", pageNo, pageSize: 1000 },
        { AccessToken: token },
      );
      const result = json.result as { hasMore: boolean; data: Array<{ vehicleCode: string }> };
      for (const v of result.data) plates.add(v.vehicleCode);
      hasMore = result.hasMore;
    }
    expect(plates.size).toBe(100_000);
    expect(sim.calls.filter((c) => c.operationId === "listVehicles")).toHaveLength(100);
  });
});

describe("Ebopark", () => {
  it("findByCarNo finds a vehicle inside by a partial plate", async () => {
    const vehicle = sim.state.inPark("park1")[0];
    if (!vehicle) throw new Error("seed has nobody inside park1");
    const found = await eboparkClientFor(sim).findByCarNo({ carNo: vehicle.vehicleCode.slice(1), parkCode: "park1" });
    expect(found).toMatchObject({ carNo: vehicle.vehicleCode, areaCode: expect.stringMatching(/^B[12]$/) });
    expect(found.stopTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/);
    await expect(eboparkClientFor(sim).findByCarNo({ carNo: "鲁Z00000", parkCode: "park1" })).rejects.toMatchObject({
      msg: "未找到车辆:鲁Z00000",
    });
  });

  it("findByCarNo and partnerService refuse a wrong secret", async () => {
    const wrong = eboparkClientFor(sim, "wrong-secret");
    await expect(wrong.findByCarNo({ carNo: "鲁A12345", parkCode: "park1" })).rejects.toMatchObject({
      msg: "签名错误",
    });
    await expect(wrong.callPartner("DelMonthCar", { carNo: "鲁A12345" })).rejects.toBeInstanceOf(PlatformError);
  });

  it("the sign covers the exact body string: the same JSON re-spaced is refused", async () => {
    const body = JSON.stringify({ parkCode: "park1", carNo: "鲁A12345", count: 1 });
    const sign = signPartnerBody(body, "demo-ebopark-secret");
    const path = `/partnerService/QueryMonthCarFeeV2?partnerid=demo-partner&sign=${sign}`;
    expect((await postRaw(sim, path, body.replace(/,/g, ", "))).json).toMatchObject({ state: 1, desc: "签名错误" });
  });

  it("AddMonthCarV2 authorises the plates; QueryMonthCarFeeV2 prices them", async () => {
    const ebopark = eboparkClientFor(sim);
    await ebopark.AddMonthCarV2({
      ParkCode: "park2",
      CarNos: ["鲁B66666"],
      UserName: "赵六",
      userMobile: "13600136000",
      lotDesc: [{ startTime: "2026-01-01", endTime: "2026-12-31" }],
    });
    expect(sim.state.authorisation("park2", "鲁B66666")).toMatchObject({ vehicleType: "1", userName: "赵六" });
    expect(await ebopark.QueryMonthCarFeeV2({ parkCode: "park2", carNo: "鲁B66666", count: 2 })).toMatchObject({
      fee: 600,
    });
    expect(sim.calls.map((c) => c.operationId)).toEqual(["AddMonthCarV2", "QueryMonthCarFeeV2"]);
  });

  it("QueryDeduList lists the coupons issued through the platform", async () => {
    await clientFor(sim).issueCoupon({ parkingId: "park1", vehicleCode: "鲁A12345", couponType: 2, discount: 2 });
    const list = (await eboparkClientFor(sim).QueryDeduList({ parkCode: "park1", page: 1, pageSize: 10 })) as {
      total: number;
    };
    expect(list.total).toBe(1);
  });
});
