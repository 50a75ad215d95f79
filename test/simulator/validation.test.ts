/**
 * The platform's refusals, over raw HTTP where the client would refuse to send: each is HTTP 200
 * with `{code: 1, msg}` in Chinese, built from the same catalogue the client validates with.
 */
import { operations, signCallback, toFieldIssues, toPlatformMessage } from "@parkbridge/shared";
import type { RunningSimulator } from "@parkbridge/simulator";
import { TOKEN_FAILURE_MSG } from "@parkbridge/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APP_KEY, APP_SECRET, clientFor, postRaw, start } from "./helpers.js";

let sim: RunningSimulator;
let token: string;

beforeAll(async () => {
  sim = await start();
  token = await clientFor(sim).accessToken();
});
afterAll(() => sim.close());

const call = (operationId: string, body: unknown, accessToken = token) =>
  postRaw(sim, `/${operationId}`, body, { AccessToken: accessToken });

describe("getAccessToken", () => {
  const tokenRequest = (overrides: Record<string, unknown> = {}) => {
    const timestamp = Date.now();
    return { appKey: APP_KEY, timestamp, sign: signCallback(APP_KEY, timestamp, APP_SECRET), ...overrides };
  };

  it("issues a token for a correct signature", async () => {
    const { status, json } = await postRaw(sim, "/getAccessToken", tokenRequest());
    expect(status).toBe(200);
    expect(json).toMatchObject({ code: 0, result: { expiresIn: 7200 } });
    expect(operations.getAccessToken.result.safeParse(json.result).success).toBe(true);
  });

  it("refuses a wrong signature, an unknown appKey and a stale timestamp", async () => {
    expect((await postRaw(sim, "/getAccessToken", tokenRequest({ sign: "0".repeat(32) }))).json).toEqual({
      code: 1,
      msg: "签名错误",
    });
    const unknown = await postRaw(sim, "/getAccessToken", tokenRequest({ appKey: "someone-else" }));
    expect(unknown.json).toEqual({ code: 1, msg: "appKey不存在:someone-else" });
    const old = Date.now() - 3_600_000;
    const stale = await postRaw(
      sim,
      "/getAccessToken",
      tokenRequest({ timestamp: old, sign: signCallback(APP_KEY, old, APP_SECRET) }),
    );
    expect(stale.json).toMatchObject({ code: 1, msg: expect.stringContaining("时间戳") });
  });
});

describe("the AccessToken", () => {
  it("a missing or unknown token is refused with the platform's token message", async () => {
    expect((await postRaw(sim, "/listParkingLots", {})).json).toEqual({ code: 1, msg: TOKEN_FAILURE_MSG });
    expect((await call("listParkingLots", {}, "not-a-token")).json).toEqual({ code: 1, msg: TOKEN_FAILURE_MSG });
    expect(TOKEN_FAILURE_MSG).toBe("AccessToken无效或已过期");
  });

  it("is accepted as a query parameter too", async () => {
    const { json } = await postRaw(sim, `/listParkingLots?AccessToken=${token}`, {});
    expect(json.code).toBe(0);
  });

  it("expires after tokenTtlSeconds", async () => {
    const short = await start({ tokenTtlSeconds: 1 });
    try {
      const shortToken = await clientFor(short).accessToken();
      expect((await postRaw(short, "/listParkingLots", {}, { AccessToken: shortToken })).json.code).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect((await postRaw(short, "/listParkingLots", {}, { AccessToken: shortToken })).json).toEqual({
        code: 1,
        msg: TOKEN_FAILURE_MSG,
      });
    } finally {
      await short.close();
    }
  });
});

describe("request validation", () => {
  it("a missing field is named in Chinese and English, exactly as shared's toPlatformMessage words it", async () => {
    const body = { parkingId: "park1" };
    const { status, json } = await call("deleteVehicle", body);
    const expected = operations.deleteVehicle.request.safeParse(body);
    if (expected.success) throw new Error("the catalogue accepted an incomplete body");
    expect(status).toBe(200);
    expect(json).toEqual({
      code: 1,
      msg: toPlatformMessage(toFieldIssues(expected.error, operations.deleteVehicle.request, body)),
    });
    expect(json.msg).toBe("参数错误:车牌号(vehicleCode)不能为空");
  });

  it("a malformed plate, date or unknown field is refused", async () => {
    const bad = await call("deleteVehicle", { parkingId: "park1", vehicleCode: "ABC" });
    expect(bad.json).toMatchObject({ code: 1, msg: expect.stringContaining("车牌号(vehicleCode)格式不正确") });
    const date = await call("addBlacklist", { parkingId: "park1", vehicleCode: "鲁A12345", stopTime: "2026-02-30" });
    expect(date.json).toMatchObject({ code: 1, msg: expect.stringContaining("截止时间(stopTime)") });
    const extra = await call("deleteVehicle", { parkingId: "park1", vehicleCode: "鲁A12345", colour: "red" });
    expect(extra.json).toMatchObject({ code: 1, msg: expect.stringContaining("colour") });
    expect((await call("deleteVehicle", "{not json")).json).toEqual({ code: 1, msg: "参数错误:请求体不是有效的JSON" });
  });

  it("pageSize over 1000 is refused", async () => {
    const { json } = await call("listVehicles", { parkingId: "park1", pageNo: 1, pageSize: 1001 });
    expect(json).toMatchObject({ code: 1, msg: expect.stringContaining("每页最大1000条(pageSize)") });
  });

  it("an access-record range over 24 h is refused; exactly 24 h is accepted", async () => {
    const range = { parkingId: "park1", pageNo: 1, pageSize: 10 };
    const over = await call("listAccessRecords", {
      ...range,
      startTime: "2026-11-20 00:00:00",
      endTime: "2026-11-21 00:00:01",
    });
    expect(over.json).toEqual({
      code: 1,
      msg: `查询时间范围不能超过${operations.listAccessRecords.limits.maxRangeHours}小时`,
    });
    const exact = await call("listAccessRecords", {
      ...range,
      startTime: "2026-11-20 00:00:00",
      endTime: "2026-11-21 00:00:00",
    });
    expect(exact.json.code).toBe(0);
  });

  it("success answers use result or data as the catalogue's resultKey says, and parse with its result schemas", async () => {
    const stats = await call("getLotStats", { parkingId: "park1" });
    expect(stats.json).toHaveProperty("data");
    expect(operations.getLotStats.result.safeParse(stats.json.data).success).toBe(true);
    const lanes = await call("listLanes", { parkingId: "park1" });
    expect(operations.listLanes.result.safeParse(lanes.json.data).success).toBe(true);
    const vehicles = await call("listVehicles", { parkingId: "park1", pageNo: 1, pageSize: 5 });
    expect(vehicles.json.result).toMatchObject({ hasMore: true });
    expect(operations.listVehicles.result.safeParse(vehicles.json.result).success).toBe(true);
    const write = await call("openGate", { laneId: "park1-1" });
    expect(write.json).toEqual({ code: 0, msg: "操作成功" });
  });

  it("unknown paths answer 404 and the calls log records every platform request with its code", async () => {
    const response = await fetch(`${sim.url}/noSuchOperation`, { method: "POST", body: "{}" });
    expect(response.status).toBe(404);
    const refused = sim.calls.filter((c) => c.operationId === "listVehicles" && c.code === 1);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]?.msg).toContain("pageSize");
  });
});
