/**
 * The protocol client against the simulator, operation by operation: each succeeds and changes
 * (or reads) the simulator's state, and each gets the platform's refusal where the platform would refuse.
 */
import { formatPlatformTime, operationIds, PlatformError, plateSchema } from "@parkbridge/shared";
import type { RunningSimulator } from "@parkbridge/simulator";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { clientFor, start } from "./helpers.js";

let sim: RunningSimulator;
let client: ReturnType<typeof clientFor>;
const today = () => formatPlatformTime(Date.now(), "date");
const inDays = (days: number) => formatPlatformTime(Date.now() + days * 86_400_000, "date");
const minutesFromNow = (m: number) => formatPlatformTime(Date.now() + m * 60_000, "minute");

beforeAll(async () => {
  sim = await start({ seed: 7 });
  client = clientFor(sim);
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

async function refusal(promise: Promise<unknown>): Promise<PlatformError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PlatformError);
  return error as PlatformError;
}

const newAuthorisation = (vehicleCode: string) => ({
  parkingId: "park1",
  vehicleCode,
  vehicleType: "1",
  userName: "张三",
  userPhoneNumber: "13800138000",
  startTime: today(),
  endTime: inDays(30),
  laneNos: "1,2",
  workNum: "10001",
  remark: "测试",
});

describe("vehicle authorisations", () => {
  it("addVehicle stores the authorisation and listVehicles answers it", async () => {
    await client.addVehicle(newAuthorisation("鲁A12345"));
    expect(sim.state.authorisation("park1", "鲁A12345")).toMatchObject({ userName: "张三", laneNos: "1,2", lotNum: 1 });
    const listed = [];
    for await (const v of client.iterate.listVehicles({ parkingId: "park1", pageSize: 7 })) listed.push(v);
    expect(listed).toHaveLength(sim.state.authorisations("park1").length);
    expect(listed.find((v) => v.vehicleCode === "鲁A12345")).toMatchObject({ workNo: "10001", vehicleType: "1" });
  });

  it("addVehicle takes a custom vehicle type id from listVehicleTypes, and refuses an unknown one", async () => {
    const types = await client.listVehicleTypes({ parkingId: "park1" });
    expect(types.hasMore).toBe(false);
    expect(types.data.length).toBeGreaterThan(0);
    const typeId = types.data[0]?.recordId as string;
    await client.addVehicle({ ...newAuthorisation("鲁A54321"), vehicleType: typeId });
    expect(sim.state.authorisation("park1", "鲁A54321")?.vehicleType).toBe(typeId);
    const error = await refusal(client.addVehicle({ ...newAuthorisation("鲁A54322"), vehicleType: "999" }));
    expect(error.msg).toBe("车辆类型不存在:999");
  });

  it("addVehicle refuses a plate already authorised, and a lane the lot does not have", async () => {
    const existing = sim.state.authorisations("park1")[0]?.vehicleCode as string;
    expect((await refusal(client.addVehicle(newAuthorisation(existing)))).msg).toContain("车辆已存在");
    const error = await refusal(client.addVehicle({ ...newAuthorisation("鲁A11111"), laneNos: "1,9" }));
    expect(error.msg).toBe("车道编号不存在:9");
  });

  it("updateVehicle changes an authorisation and refuses an unknown plate", async () => {
    const existing = sim.state.authorisations("park2")[0];
    if (!existing) throw new Error("seed has no authorisation in park2");
    await client.updateVehicle({ ...existing, vehicleType: "2", userName: "李四", endTime: inDays(90) });
    expect(sim.state.authorisation("park2", existing.vehicleCode)).toMatchObject({
      vehicleType: "2",
      userName: "李四",
      endTime: inDays(90),
    });
    const error = await refusal(client.updateVehicle({ ...newAuthorisation("鲁A00001"), vehicleType: "1" }));
    expect(error.msg).toBe("车辆不存在:鲁A00001");
  });

  it("deleteVehicle removes the authorisation; a second delete is refused", async () => {
    const plate = sim.state.authorisations("park1")[3]?.vehicleCode as string;
    await client.deleteVehicle({ parkingId: "park1", vehicleCode: plate });
    expect(sim.state.authorisation("park1", plate)).toBeUndefined();
    expect((await refusal(client.deleteVehicle({ parkingId: "park1", vehicleCode: plate }))).msg).toBe(
      `车辆不存在:${plate}`,
    );
    expect(sim.calls.filter((c) => c.operationId === "deleteVehicle")).toHaveLength(2);
  });
});

describe("lots, lanes, space counts, gates", () => {
  it("listParkingLots answers the seeded lots", async () => {
    expect(await client.listParkingLots()).toEqual([
      { value: "park1", text: "一号停车场" },
      { value: "park2", text: "二号停车场" },
      { value: "park3", text: "三号停车场" },
    ]);
  });

  it("getLotStats counts the vehicles inside, and follows a vehicle entering", async () => {
    const before = await client.getLotStats({ parkingId: "park3" });
    expect(before.usedLot).toBe(sim.state.inPark("park3").length);
    await sim.traffic.vehicleEnters("park3", "苏E12345");
    const after = await client.getLotStats({ parkingId: "park3" });
    expect(after.usedLot).toBe(before.usedLot + 1);
    expect(after.tempLot).toBe((before.tempLot as number) - 1);
    expect(after.totalLot).toBe(120);
  });

  it("getLotStats, listLanes, listInParkVehicles and listBlacklist need a parkingId with several lots", async () => {
    for (const call of [
      () => client.getLotStats({}),
      () => client.listLanes({}),
      () => client.listInParkVehicles({ pageNo: 1, pageSize: 10 }),
      () => client.listBlacklist({ pageNo: 1, pageSize: 10 }),
    ]) {
      expect((await refusal(call())).msg).toContain("多车场必传");
    }
  });

  it("an unknown parkingId is refused by every operation that takes one", async () => {
    expect((await refusal(client.getLotStats({ parkingId: "park9" }))).msg).toBe("车场不存在:park9");
    expect((await refusal(client.listVehicles({ parkingId: "park9", pageNo: 1, pageSize: 10 }))).msg).toBe(
      "车场不存在:park9",
    );
    expect((await refusal(client.addVehicle({ ...newAuthorisation("鲁A12345"), parkingId: "park9" }))).msg).toBe(
      "车场不存在:park9",
    );
  });

  it("listLanes answers the lanes under data; openGate opens one by lane id", async () => {
    const lanes = await client.listLanes({ parkingId: "park1" });
    expect(lanes.map((l) => l.laneNo)).toEqual(["1", "2", "3", "4"]);
    await client.openGate({ laneId: "park1-2" });
    expect(sim.state.gateOpenings("park1")).toEqual([expect.objectContaining({ laneId: "park1-2", laneNo: "2" })]);
    expect((await refusal(client.openGate({ laneId: "park1-9" }))).msg).toBe("车道不存在:park1-9");
  });

  it("openGate is refused while the lane's camera is offline", async () => {
    await sim.traffic.cameraStatus("park2", "1", false);
    expect((await refusal(client.openGate({ laneId: "park2-1" }))).msg).toContain("离线");
    await sim.traffic.cameraStatus("park2", "1", true);
    await client.openGate({ laneId: "park2-1" });
  });
});

describe("accounts that own some lots", () => {
  it("see only their lots, are refused the others' as unknown, and each call is recorded with its account", async () => {
    const scoped = await start({
      seed: 7,
      accounts: [
        { appKey: "demo-app-key", appSecret: "demo-app-secret", parkingIds: ["park1", "park2"] },
        { appKey: "second-app-key", appSecret: "second-app-secret", parkingIds: ["park3"] },
      ],
    });
    try {
      const first = clientFor(scoped);
      const second = clientFor(scoped, { appKey: "second-app-key", appSecret: "second-app-secret" });
      expect((await first.listParkingLots()).map((l) => l.value)).toEqual(["park1", "park2"]);
      expect((await second.listParkingLots()).map((l) => l.value)).toEqual(["park3"]);
      expect((await refusal(first.getLotStats({ parkingId: "park3" }))).msg).toBe("车场不存在:park3");
      expect((await refusal(second.addVehicle(newAuthorisation("鲁A54321")))).msg).toBe("车场不存在:park1");
      expect((await refusal(second.openGate({ laneId: "park1-2" }))).msg).toBe("车道不存在:park1-2");
      await second.getLotStats({ parkingId: "park3" });
      const calls = scoped.calls.filter((c) => c.operationId === "getLotStats");
      expect(calls.map((c) => [c.appKey, c.code])).toEqual([
        ["demo-app-key", 1],
        ["second-app-key", 0],
      ]);
    } finally {
      await scoped.close();
    }
  });
});

describe("vehicles in the park, outings, access records", () => {
  it("listInParkVehicles pages through the vehicles inside", async () => {
    const inside = sim.state.inPark("park1");
    const first = await client.listInParkVehicles({ parkingId: "park1", pageNo: 1, pageSize: 2 });
    expect(first.hasMore).toBe(inside.length > 2);
    expect(first.data.map((v) => v.vehicleCode)).toEqual(inside.slice(0, 2).map((v) => v.vehicleCode));
    expect(first.data[0]?.intime).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  });

  it("authorizeOuting records the window for a vehicle inside and refuses one outside", async () => {
    const plate = sim.state.inPark("park1")[0]?.vehicleCode as string;
    const window = { parkingId: "park1", startTime: minutesFromNow(0), endTime: minutesFromNow(60) };
    await client.authorizeOuting({ ...window, vehicleCode: plate });
    expect(sim.state.outings("park1")).toEqual([expect.objectContaining({ vehicleCode: plate })]);
    expect((await refusal(client.authorizeOuting({ ...window, vehicleCode: "鲁A00002" }))).msg).toBe(
      "车辆不在场:鲁A00002",
    );
  });

  it("listAccessRecords answers the records of a window; a vehicle leaving adds one (accessType 2)", async () => {
    const plate = sim.state.inPark("park2")[0]?.vehicleCode as string;
    await sim.traffic.vehicleLeaves("park2", plate);
    const now = Date.now();
    const records = await client.listAccessRecords({
      parkingId: "park2",
      pageNo: 1,
      pageSize: 1000,
      startTime: formatPlatformTime(now - 23 * 3_600_000, "second"),
      endTime: formatPlatformTime(now + 60_000, "second"),
    });
    const last = records.data.at(-1);
    expect(last).toMatchObject({ vehicleCode: plate, accessType: "2", direction: "out", parkingId: "park2" });
    expect(records.data.length).toBeGreaterThan(1);
  });

  it("listAccessRecords over three days is split by the client into windows the simulator accepts", async () => {
    const now = Date.now();
    const records = await client.listAccessRecords({
      parkingId: "park1",
      pageNo: 1,
      pageSize: 50,
      startTime: formatPlatformTime(now - 80 * 3_600_000, "second"),
      endTime: formatPlatformTime(now, "second"),
    });
    expect(records.data).toHaveLength(sim.state.records("park1").length);
    expect(sim.calls.filter((c) => c.operationId === "listAccessRecords" && c.code !== 0)).toEqual([]);
  });
});

describe("blacklist, visitors, coupons", () => {
  it("addBlacklist, listBlacklist and deleteBlacklist", async () => {
    await client.addBlacklist({ parkingId: "park1", vehicleCode: "京AD12345", stopTime: inDays(10) });
    const listed = [];
    for await (const b of client.iterate.listBlacklist({ parkingId: "park1", pageSize: 2 })) listed.push(b);
    expect(listed).toContainEqual({ vehicleCode: "京AD12345", stopTime: inDays(10) });
    expect(listed).toHaveLength(sim.state.blacklist("park1").length);
    await client.deleteBlacklist({ parkingId: "park1", vehicleCode: "京AD12345" });
    expect(sim.state.blacklist("park1").some((b) => b.vehicleCode === "京AD12345")).toBe(false);
    expect((await refusal(client.deleteBlacklist({ parkingId: "park1", vehicleCode: "京AD12345" }))).msg).toContain(
      "黑名单中不存在",
    );
  });

  it("getVisitor answers a booking, inside its window with a recognition time, and refuses an unknown plate", async () => {
    const visitor = sim.state.visitors("park1")[0];
    if (!visitor) throw new Error("seed has no visitor in park1");
    const answer = await client.getVisitor({ parkingId: "park1", vehicleCode: visitor.vehicleCode });
    expect(answer).toMatchObject({
      vehicleCode: visitor.vehicleCode,
      startTime: visitor.startTime,
      memo: visitor.memo,
    });
    await client.getVisitor({
      parkingId: "park1",
      vehicleCode: visitor.vehicleCode,
      time: `${visitor.startTime}:30`,
    });
    expect(
      (
        await refusal(
          client.getVisitor({ parkingId: "park1", vehicleCode: visitor.vehicleCode, time: "2020-01-01 00:00:00" }),
        )
      ).msg,
    ).toContain("不在预约时段内");
    expect((await refusal(client.getVisitor({ parkingId: "park1", vehicleCode: "鲁A00003" }))).msg).toBe(
      "未查询到访客信息:鲁A00003",
    );
  });

  it("issueCoupon records the coupon and refuses an expiry in the past", async () => {
    await client.issueCoupon({ parkingId: "park1", vehicleCode: "鲁A12345", couponType: 2, discount: 3 });
    expect(sim.state.coupons("park1")).toEqual([
      expect.objectContaining({ vehicleCode: "鲁A12345", couponType: 2, discount: 3 }),
    ]);
    const error = await refusal(
      client.issueCoupon({
        parkingId: "park1",
        vehicleCode: "鲁A12345",
        couponType: 1,
        discount: 1,
        expireTime: "2020-01-01 00:00",
      }),
    );
    expect(error.msg).toBe("到期时间不能早于当前时间");
  });
});

describe("coverage of the catalogue", () => {
  it("every operation id was called successfully by this file's tests (via the calls log)", async () => {
    // Run one of each so this test stands alone (the reset cleared the log; a new token is fetched too).
    client.invalidateToken();
    const plate = sim.state.inPark("park1")[0]?.vehicleCode as string;
    const visitor = sim.state.visitors("park1")[0]?.vehicleCode as string;
    const now = Date.now();
    await client.addVehicle(newAuthorisation("鲁A12345"));
    await client.updateVehicle({ ...newAuthorisation("鲁A12345"), vehicleType: "2" });
    await client.listVehicles({ parkingId: "park1", pageNo: 1, pageSize: 1 });
    await client.deleteVehicle({ parkingId: "park1", vehicleCode: "鲁A12345" });
    await client.listInParkVehicles({ parkingId: "park1", pageNo: 1, pageSize: 1 });
    await client.getVisitor({ parkingId: "park1", vehicleCode: visitor });
    await client.getLotStats({ parkingId: "park1" });
    await client.listLanes({ parkingId: "park1" });
    await client.addBlacklist({ parkingId: "park1", vehicleCode: "鲁A12345", stopTime: inDays(1) });
    await client.listBlacklist({ parkingId: "park1", pageNo: 1, pageSize: 1 });
    await client.deleteBlacklist({ parkingId: "park1", vehicleCode: "鲁A12345" });
    await client.listParkingLots();
    await client.listAccessRecords({
      parkingId: "park1",
      pageNo: 1,
      pageSize: 1,
      startTime: formatPlatformTime(now - 3_600_000, "second"),
      endTime: formatPlatformTime(now, "second"),
    });
    await client.listVehicleTypes({ parkingId: "park1" });
    await client.issueCoupon({ parkingId: "park1", vehicleCode: plate, couponType: 3, discount: 5 });
    await client.authorizeOuting({
      parkingId: "park1",
      vehicleCode: plate,
      startTime: minutesFromNow(0),
      endTime: minutesFromNow(30),
    });
    await client.openGate({ laneId: "park1-1" });
    const succeeded = new Set(sim.calls.filter((c) => c.code === 0).map((c) => c.operationId));
    expect([...operationIds].filter((id) => !succeeded.has(id))).toEqual([]);
  });

  it("generated plates are valid Chinese plates", () => {
    const plates = [
      ...sim.state.authorisations().map((a) => a.vehicleCode),
      ...sim.state.inPark().map((v) => v.vehicleCode),
      ...sim.state.blacklist().map((b) => b.vehicleCode),
      ...sim.state.visitors().map((v) => v.vehicleCode),
    ];
    expect(plates.length).toBeGreaterThan(150);
    expect(plates.filter((p) => !plateSchema.safeParse(p).success)).toEqual([]);
  });
});
