/**
 * The Parking Open Platform node against the simulator over real HTTP: every operation, paging,
 * pickers, dates, errors (field and platform messages), Continue On Fail, the credential test.
 */
import { type RunningSimulator, startSimulator } from "@parkbridge/simulator";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ParkingOpenPlatformApi } from "../../n8n-nodes/credentials/ParkingOpenPlatformApi.credentials";
import { callableOperationIds } from "../../n8n-nodes/nodes/ParkingOpenPlatform/operations";
import { ParkingOpenPlatform } from "../../n8n-nodes/nodes/ParkingOpenPlatform/ParkingOpenPlatform.node";
import { loadOptionsContext, type ParameterValue, runNode, testCredential } from "./harness";

let sim: RunningSimulator;
const node = new ParkingOpenPlatform();
const credentialType = new ParkingOpenPlatformApi();

beforeAll(async () => {
  sim = await startSimulator({ port: 0, seed: 1 });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => {
  sim.reset();
});
/** Every operation the simulator answered during this file (checked by the last test). */
const exercised = new Set<string>();
afterEach(() => {
  for (const call of sim.calls) if (call.code === 0) exercised.add(call.operationId);
});

const credentials = () => ({
  parkingOpenPlatformApi: {
    baseUrl: sim.url,
    appKey: "demo-app-key",
    appSecret: "demo-app-secret",
    sendIn: "header",
    pathOverrides: "{}",
  },
});

const lot = (value: string) => ({ __rl: true, mode: "id", value });

async function run(
  parameters: Record<string, ParameterValue>,
  extra: { items?: number; continueOnFail?: boolean } = {},
) {
  return await runNode(node, {
    parameters,
    credentials: credentials(),
    items: Array.from({ length: extra.items ?? 1 }, (_, i) => ({ json: { i } })),
    continueOnFail: extra.continueOnFail,
  });
}

const PLATE = "鲁A7N2K8";

describe("Parking Open Platform node: operations", () => {
  it("authorises, updates, lists and deletes a vehicle, converting n8n date-times to UTC+8 days", async () => {
    const added = await run({
      resource: "vehicleAuthorisation",
      operation: "addVehicle",
      parkingId: lot("park1"),
      vehicleCode: PLATE,
      vehicleType: "2",
      userName: "Li Lei",
      userPhoneNumber: "13800138000",
      // 20:30 UTC on the 21st is already the 22nd in China Standard Time.
      startTime: "2026-11-21T20:30:00Z",
      endTime: "2026-11-30",
      additionalFields: { laneNos: ["1", "2"], remark: "n8n test" },
    });
    expect(added.output).toEqual([
      expect.objectContaining({
        json: expect.objectContaining({ success: true, vehicleCode: PLATE }),
        pairedItem: { item: 0 },
      }),
    ]);
    const stored = sim.state.authorisation("park1", PLATE);
    expect(stored).toMatchObject({
      startTime: "2026-11-22",
      endTime: "2026-11-30",
      laneNos: "1,2",
      remark: "n8n test",
    });

    await run({
      resource: "vehicleAuthorisation",
      operation: "updateVehicle",
      parkingId: lot("park1"),
      vehicleCode: PLATE,
      vehicleType: "1",
      userName: "Li Lei",
      userPhoneNumber: "13800138001",
      startTime: "2026-11-22T00:00:00+08:00",
      endTime: "2026-12-31T12:00:00+08:00",
    });
    expect(sim.state.authorisation("park1", PLATE)).toMatchObject({ vehicleType: "1", endTime: "2026-12-31" });

    const listed = await run({
      resource: "vehicleAuthorisation",
      operation: "listVehicles",
      parkingId: lot("park1"),
      returnAll: true,
    });
    expect(listed.output.map((item) => item.json.vehicleCode)).toContain(PLATE);
    expect(listed.output).toHaveLength(sim.state.authorisations("park1").length);

    await run({
      resource: "vehicleAuthorisation",
      operation: "deleteVehicle",
      parkingId: lot("park1"),
      vehicleCode: PLATE,
    });
    expect(sim.state.authorisation("park1", PLATE)).toBeUndefined();
  });

  it("reads vehicles in park, a visitor booking, space counts, lanes, lots and vehicle types", async () => {
    const inPark = await run({
      resource: "vehiclesInPark",
      operation: "listInParkVehicles",
      returnAll: true,
      additionalFields: { parkingId: lot("park2") },
    });
    expect(inPark.output.map((i) => i.json.vehicleCode).sort()).toEqual(
      sim.state
        .inPark("park2")
        .map((v) => v.vehicleCode)
        .sort(),
    );

    const visitor = sim.state.visitors("park1")[0];
    if (!visitor) throw new Error("the seed has no visitor");
    const booking = await run({
      resource: "visitor",
      operation: "getVisitor",
      vehicleCode: visitor.vehicleCode,
      additionalFields: { parkingId: lot("park1") },
    });
    expect(booking.output[0]?.json).toMatchObject({ vehicleCode: visitor.vehicleCode, userName: visitor.userName });

    const stats = await run({
      resource: "parkingLot",
      operation: "getLotStats",
      additionalFields: { parkingId: lot("park3") },
    });
    expect(stats.output[0]?.json).toMatchObject({ parkingId: "park3", ...sim.state.stats("park3") });

    const lanes = await run({
      resource: "lane",
      operation: "listLanes",
      additionalFields: { parkingId: lot("park1") },
    });
    expect(lanes.output.map((i) => i.json.laneNo)).toEqual(sim.state.lot("park1")?.lanes.map((l) => l.laneNo));

    const lots = await run({ resource: "parkingLot", operation: "listParkingLots" });
    expect(lots.output.map((i) => i.json.value)).toEqual(sim.state.lots().map((l) => l.parkingId));

    const types = await run({ resource: "vehicleType", operation: "listVehicleTypes", parkingId: lot("park1") });
    expect(types.output.map((i) => String(i.json.recordId))).toEqual(
      sim.state.vehicleTypes("park1").map((t) => String(t.recordId)),
    );
  });

  it("bars and lets back a vehicle, issues a coupon, authorises an outing and opens a gate", async () => {
    await run({
      resource: "blacklist",
      operation: "addBlacklist",
      parkingId: lot("park1"),
      vehicleCode: PLATE,
      stopTime: "2026-12-31T10:00:00+08:00",
    });
    expect(sim.state.blacklist("park1").find((b) => b.vehicleCode === PLATE)?.stopTime).toBe("2026-12-31");
    const barred = await run({
      resource: "blacklist",
      operation: "listBlacklist",
      returnAll: true,
      additionalFields: { parkingId: lot("park1") },
    });
    expect(barred.output.map((i) => i.json.vehicleCode)).toContain(PLATE);
    await run({ resource: "blacklist", operation: "deleteBlacklist", parkingId: lot("park1"), vehicleCode: PLATE });
    expect(sim.state.blacklist("park1").some((b) => b.vehicleCode === PLATE)).toBe(false);

    const inside = sim.state.inPark("park1")[0];
    if (!inside) throw new Error("the seed has nobody inside park1");
    await run({
      resource: "coupon",
      operation: "issueCoupon",
      parkingId: lot("park1"),
      vehicleCode: inside.vehicleCode,
      couponType: 2,
      discount: 3,
      additionalFields: { expireTime: "2099-01-01T08:00:00Z" },
    });
    expect(sim.state.coupons("park1").at(-1)).toMatchObject({
      vehicleCode: inside.vehicleCode,
      couponType: 2,
      discount: 3,
      expireTime: "2099-01-01 16:00",
    });

    await run({
      resource: "vehiclesInPark",
      operation: "authorizeOuting",
      parkingId: lot("park1"),
      vehicleCode: inside.vehicleCode,
      startTime: "2099-01-01 09:00",
      endTime: "2099-01-01T11:30:00+08:00",
    });
    expect(sim.state.outings("park1").at(-1)).toMatchObject({
      startTime: "2099-01-01 09:00",
      endTime: "2099-01-01 11:30",
    });

    const lane = sim.state.lot("park1")?.lanes.find((l) => l.cameraOnline);
    if (!lane) throw new Error("no online lane");
    await run({ resource: "gate", operation: "openGate", laneId: { __rl: true, mode: "list", value: lane.laneId } });
    expect(sim.state.gateOpenings("park1").at(-1)?.laneId).toBe(lane.laneId);
  });

  it("lists access records over more than 24 hours (the client splits the windows)", async () => {
    const records = sim.state.records("park1");
    const now = Date.now();
    const result = await run({
      resource: "accessRecords",
      operation: "listAccessRecords",
      parkingId: lot("park1"),
      startTime: new Date(now - 3 * 86_400_000).toISOString(),
      endTime: new Date(now).toISOString(),
      returnAll: true,
    });
    const windows = sim.calls.filter((c) => c.operationId === "listAccessRecords").length;
    expect(windows).toBeGreaterThanOrEqual(3);
    expect(result.output.length).toBe(records.length);
    expect(new Set(result.output.map((i) => i.json.recordId)).size).toBe(result.output.length);
  });
});

describe("Parking Open Platform node: paging", () => {
  it("Return All follows hasMore across pages; Limit stops early", async () => {
    sim.state.addAuthorisations("park2", 1200);
    const total = sim.state.authorisations("park2").length;
    expect(total).toBeGreaterThan(1000);
    const all = await run({
      resource: "vehicleAuthorisation",
      operation: "listVehicles",
      parkingId: lot("park2"),
      returnAll: true,
    });
    expect(all.output).toHaveLength(total);
    expect(sim.calls.filter((c) => c.operationId === "listVehicles")).toHaveLength(2);

    const before = sim.calls.length;
    const limited = await run({
      resource: "vehicleAuthorisation",
      operation: "listVehicles",
      parkingId: lot("park2"),
      limit: 7,
    });
    expect(limited.output).toHaveLength(7);
    expect(sim.calls.slice(before).filter((c) => c.operationId === "listVehicles")).toHaveLength(1);
  });
});

describe("Parking Open Platform node: errors", () => {
  const addVehicle = (vehicleCode: ParameterValue) => ({
    resource: "vehicleAuthorisation",
    operation: "addVehicle",
    parkingId: lot("park1"),
    vehicleCode,
    vehicleType: "2",
    userName: "Han Meimei",
    userPhoneNumber: "13900139000",
    startTime: "2026-11-22",
    endTime: "2026-11-23",
  });

  it("surfaces the platform's own msg", async () => {
    sim.faults.add({ operation: "addVehicle", kind: "platformError", times: 1, msg: "车牌已存在" });
    const failure = await run(addVehicle(PLATE)).catch(
      (error: unknown) => error as Error & { context?: { itemIndex?: number } },
    );
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).name).toBe("NodeApiError");
    expect((failure as Error).message).toContain("车牌已存在");
    expect((failure as { context: { itemIndex?: number } }).context.itemIndex).toBe(0);
  });

  it("names the field and the reason for bad input, before anything is sent", async () => {
    const failure = (await run(addVehicle("NOT-A-PLATE")).catch((error: unknown) => error)) as Error;
    expect(failure.name).toBe("NodeOperationError");
    expect(failure.message).toMatch(/^Plate \(vehicleCode\) must be a Chinese licence plate/);
    expect(sim.calls.some((c) => c.operationId === "addVehicle")).toBe(false);

    const badDate = (await run({ ...addVehicle(PLATE), endTime: "next tuesday" }).catch(
      (error: unknown) => error,
    )) as Error;
    expect(badDate.message).toMatch(/^End Date \(endTime\) must be a date-time/);
  });

  it("Continue On Fail: a failed item becomes {error} paired to it and the others still run", async () => {
    const plates = ["BAD", PLATE, "京AD12345"];
    const result = await run(
      addVehicle((i: number) => plates[i]),
      { items: 3, continueOnFail: true },
    );
    expect(result.output).toHaveLength(3);
    expect(result.output[0]).toEqual({
      json: { error: expect.stringContaining("Plate (vehicleCode)") },
      pairedItem: { item: 0 },
    });
    expect(result.output[1]).toMatchObject({ json: { success: true, vehicleCode: PLATE }, pairedItem: { item: 1 } });
    expect(result.output[2]).toMatchObject({
      json: { success: true, vehicleCode: "京AD12345" },
      pairedItem: { item: 2 },
    });
    expect(sim.state.authorisation("park1", "京AD12345")).toBeDefined();

    sim.faults.add({ operation: "addVehicle", kind: "platformError", times: 1, msg: "车场已满" });
    const refused = await run(
      addVehicle(() => "京B54321"),
      { continueOnFail: true },
    );
    expect(refused.output).toEqual([{ json: { error: expect.stringContaining("车场已满") }, pairedItem: { item: 0 } }]);
  });

  it("without Continue On Fail the first failure stops the run with its item index", async () => {
    const plates = [PLATE, "BAD"];
    const failure = (await run(
      addVehicle((i: number) => plates[i]),
      { items: 2 },
    ).catch((error: unknown) => error)) as {
      context: { itemIndex?: number };
    };
    expect(failure.context.itemIndex).toBe(1);
  });

  it("fetches a new token when the platform expires it mid-run", async () => {
    await run({ resource: "parkingLot", operation: "listParkingLots" });
    sim.expireTokens();
    const again = await run({
      resource: "parkingLot",
      operation: "getLotStats",
      additionalFields: { parkingId: lot("park1") },
    });
    expect(again.output[0]?.json.parkingId).toBe("park1");
  });
});

describe("Parking Open Platform: pickers and credential", () => {
  it("lists lots and lanes from the platform", async () => {
    const context = loadOptionsContext(node, {
      parameters: { resource: "vehicleAuthorisation", operation: "addVehicle", parkingId: lot("park1") },
      credentials: credentials(),
    });
    const lots = await node.methods.listSearch.searchParkingLots.call(context);
    expect(lots.results.map((r) => r.value)).toEqual(["park1", "park2", "park3"]);
    const filtered = await node.methods.listSearch.searchParkingLots.call(context, "park2");
    expect(filtered.results.map((r) => r.value)).toEqual(["park2"]);
    const lanes = await node.methods.loadOptions.getLanes.call(context);
    expect(lanes.map((l) => l.value)).toEqual(sim.state.lot("park1")?.lanes.map((l) => l.laneNo));
    const types = await node.methods.loadOptions.getVehicleTypes.call(context);
    expect(types.map((t) => String(t.value))).toEqual([
      "1",
      "2",
      ...sim.state.vehicleTypes("park1").map((t) => String(t.recordId)),
    ]);
    const gates = await node.methods.listSearch.searchLanes.call(context);
    expect(gates.results.map((r) => r.value)).toContain("park3-1");
  });

  it("the credential test passes with good keys and fails with the platform's message on bad ones", async () => {
    const good = await testCredential(credentialType, credentials().parkingOpenPlatformApi);
    expect(good.status).toBe("OK");
    const bad = await testCredential(credentialType, { ...credentials().parkingOpenPlatformApi, appSecret: "wrong" });
    expect(bad.status).toBe("Error");
    expect(bad.message).toMatch(/refused the App Key \/ App Secret: .+/);
  });
});

describe("Parking Open Platform node: coverage", () => {
  it("ran every operation of the catalogue but getAccessToken successfully in this file", () => {
    expect(callableOperationIds).toHaveLength(17);
    expect(callableOperationIds.filter((id) => !exercised.has(id))).toEqual([]);
  });
});
