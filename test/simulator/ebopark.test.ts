/**
 * The simulator's Ebopark lots: signed reports of every kind, received by a loopback receiver and
 * checked with shared's verifyEboparkReport; retries until the exact success answer; faults on
 * deliveries; QueryMonthRule, carParkSession and the older calls served from the same state the
 * reports tell of; answers in gzip and GBK; the /__sim/ebopark/ control endpoints.
 */
import {
  EBOPARK_REPORT_SUCCESS,
  type EboparkReportId,
  eboparkReportIds,
  formatPlatformTime,
  normaliseEboparkReport,
  PlatformError,
  parkingEventKinds,
  verifyEboparkReport,
} from "@parkbridge/shared";
import type { RunningSimulator } from "@parkbridge/simulator";
import { afterEach, describe, expect, it } from "vitest";
import { clientFor, eboparkClientFor, postRaw, start, startReceiver } from "./helpers.js";

const PARTNER = "demo-partner";
const SECRET = "demo-ebopark-secret";
const LOT = "510107148";
const secretFor = (id: string) => (id === PARTNER ? SECRET : undefined);

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of cleanup.splice(0)) await close();
});

const success = { status: 200, body: EBOPARK_REPORT_SUCCESS };

async function setUp(
  answer: Parameters<typeof startReceiver>[0] = () => success,
  options: Parameters<typeof start>[0] = {},
) {
  const receiver = await startReceiver(answer);
  const reportUrl = receiver.url.replace(/\/callbacks$/, "/callbacks/ebopark");
  const sim = await start({ eboparkReportUrl: reportUrl, callbackRetryDelayMs: 5, ...options });
  cleanup.push(() => sim.close(), receiver.close);
  return { sim, receiver };
}

/** A received report, verified as the Worker will: report from the path, partnerid and sign from the query. */
async function verify(delivery: { url: string; body: string }) {
  const url = new URL(delivery.url, "http://receiver");
  expect(url.pathname).toMatch(/^\/callbacks\/ebopark\/\w+$/);
  return verifyEboparkReport({
    report: url.pathname.split("/").at(-1) as string,
    query: url.searchParams,
    body: delivery.body,
    secretFor,
  });
}

const now = () => formatPlatformTime(Date.now() + 1000, "second");

describe("Ebopark reports", () => {
  it("a traffic run pushes reports of every kind; each verifies, parses and normalises", async () => {
    const { sim, receiver } = await setUp();
    await sim.ebopark.traffic.step(400);
    const kinds = new Set<string>();
    const events = new Set<string>();
    expect(receiver.received.length).toBe(sim.ebopark.traffic.events.length);
    for (const delivery of receiver.received) {
      const verified = await verify(delivery);
      if (!verified.ok) throw new Error(`${verified.reason}: ${verified.message} (${delivery.url})`);
      kinds.add(verified.report.report);
      const event = normaliseEboparkReport(verified.report, new Date());
      expect(parkingEventKinds).toContain(event.event);
      events.add(event.event);
      // Every report names an Ebopark lot.
      expect(sim.ebopark.state.lot(event.parkingId)).toBeDefined();
    }
    expect([...kinds].sort()).toEqual([...eboparkReportIds].sort());
    expect([...events].sort()).toEqual(
      ["barrierOverride", "cameraStatus", "deviceStatus", "lotStatus", "parkingOrder", "vehicleAccess"].sort(),
    );
    expect(sim.ebopark.reports.sent.every((s) => s.ok && s.attempt === 1)).toBe(true);
  });

  it("the abnormal lift's body has exactly the documented fields, in the documented order", async () => {
    const { sim } = await setUp();
    const plate = "川A5L1F7";
    await sim.ebopark.traffic.vehicleEnters(LOT, plate);
    const sent =
      (await sim.ebopark.traffic.abnormalLift(LOT, { plate, reason: "异常抬杆", operatorName: "张三" })) ?? [];
    expect(sent.map((s) => s.report)).toEqual(["abnormalPass", "vehicleExit"]);
    expect(Object.keys(sent[0]?.event.data ?? {})).toEqual([
      "parkCode",
      "parkName",
      "plateNumber",
      "entryTime",
      "exitTime",
      "parkMins",
      "chargeType",
      "reason",
      "operatorName",
      "entryChannelName",
      "exitChannelName",
      "chargeAmount",
      "deductAmount",
      "couponAmount",
      "incomeAmount",
      "carType",
      "imageUrl",
      "notes",
    ]);
    expect(sent[0]?.event.data).toMatchObject({
      plateNumber: plate,
      reason: "异常抬杆",
      operatorName: "张三",
      incomeAmount: 0,
    });
    expect(sim.ebopark.state.lot(LOT)?.inPark.has(plate)).toBe(false);
  });

  it("an exit is reported with its payment, in Ebopark's order", async () => {
    const { sim } = await setUp();
    const leaves = async (plate: string, payment?: "order" | "seamless") => {
      await sim.ebopark.traffic.vehicleEnters(LOT, plate);
      // Two hours inside: a temporary stay that costs something.
      const session = sim.ebopark.state.lot(LOT)?.inPark.get(plate);
      if (session) session.enteredAt -= 2 * 3600_000;
      return ((await sim.ebopark.traffic.vehicleLeaves(LOT, plate, { payment })) ?? []).map((s) => s.report);
    };
    expect(await leaves("川A0RD01", "order")).toEqual(["parkingOrder", "vehicleExit"]);
    expect(await leaves("川A0RD02", "seamless")).toEqual(["vehicleExit", "seamlessExit"]);
    const order = sim.ebopark.state.lot(LOT)?.orders.at(-1);
    expect(order).toMatchObject({ plateNumber: "川A0RD02", seamless: true, chargeAmount: 10 });
  });

  it("anything but the exact success body is a failure, retried with the same body and sign", async () => {
    const answers = [
      { status: 200, body: '{"code":0,"msg":"ok","data":null}' },
      { status: 500, body: EBOPARK_REPORT_SUCCESS },
      success,
    ];
    const { sim, receiver } = await setUp((n) => answers[n - 1] ?? success);
    const sent = (await sim.ebopark.traffic.lotInfo(LOT)) ?? [];
    expect(sent.map((s) => [s.attempt, s.status, s.ok])).toEqual([
      [1, 200, false],
      [2, 500, false],
      [3, 200, true],
    ]);
    expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);
    expect(new Set(receiver.received.map((r) => r.url)).size).toBe(1);
    expect(sent[0]?.answer).toBe('{"code":0,"msg":"ok","data":null}');
  });

  it("gives up after the retries", async () => {
    const { sim, receiver } = await setUp(() => 503, { callbackRetries: 2 });
    await sim.ebopark.traffic.lotInfo(LOT);
    expect(receiver.received).toHaveLength(3);
    expect(sim.ebopark.reports.sent.map((s) => s.ok)).toEqual([false, false, false]);
  });

  it("fault switches: duplicate and drop a report; the open platform's callbacks are not touched", async () => {
    const { sim, receiver } = await setUp();
    sim.faults.add({ operation: "vehicleEntry", kind: "duplicateCallback", times: 1 });
    const sent = (await sim.ebopark.traffic.vehicleEnters(LOT, "川A0DUP1")) ?? [];
    expect(sent).toHaveLength(2);
    expect(sent[1]?.duplicateOf).toBe(sent[0]?.deliveryId);
    sim.faults.add({ operation: "report", kind: "dropCallback", times: 1 });
    expect(await sim.ebopark.traffic.vehicleLeaves(LOT, "川A0DUP1")).toEqual([]);
    // The exit happened all the same: it is in the state (and carParkSession), only its report was lost.
    expect(sim.ebopark.reports.dropped.map((d) => d.report)).toContain("vehicleExit");
    expect(sim.ebopark.state.lot(LOT)?.inPark.has("川A0DUP1")).toBe(false);
    expect(receiver.received).toHaveLength(2);
  });

  it("reports are signed by the configured partner", async () => {
    const { sim, receiver } = await setUp(undefined, { eboparkPartnerId: "p-42", eboparkSecretKey: "k-42" });
    await sim.ebopark.traffic.lotInfo(LOT);
    const url = new URL(receiver.received[0]?.url ?? "", "http://r");
    expect(url.searchParams.get("partnerid")).toBe("p-42");
    const verified = await verifyEboparkReport({
      report: "lotInfo",
      query: url.searchParams,
      body: receiver.received[0]?.body ?? "",
      secretFor: (id) => (id === "p-42" ? "k-42" : undefined),
    });
    expect(verified.ok).toBe(true);
  });

  it("nothing passes a channel whose device is offline", async () => {
    const { sim } = await setUp();
    const lot = sim.ebopark.state.requireLot("510185001");
    const [entry] = lot.channels.filter((c) => c.direction === "in");
    const sent = (await sim.ebopark.traffic.deviceStatus(lot.parkCode, entry?.deviceId ?? "", false)) ?? [];
    expect(sent[0]?.event.data).toMatchObject({ status: 0, channelId: entry?.channelId, deviceType: "camera" });
    await sim.ebopark.traffic.step(80);
    // Replay the reports: while that lane's device is offline, no vehicle enters the lot.
    let online = false;
    let whileOffline = 0;
    for (const { report, data } of sim.ebopark.traffic.events.slice(1)) {
      if (data.parkCode !== lot.parkCode) continue;
      if (report === "deviceStatus" && data.deviceId === entry?.deviceId) online = data.status === 1;
      else if (!online) whileOffline++;
      if (!online) expect(report).not.toBe("vehicleEntry");
    }
    expect(online || whileOffline > 0).toBe(true);
  });

  it("the same seed generates the same reports; Ebopark traffic does not shift the open platform's", async () => {
    const a = await start({ seed: 42 });
    const b = await start({ seed: 42 });
    cleanup.push(a.close, b.close);
    await a.ebopark.traffic.step(40);
    await b.ebopark.traffic.step(40);
    const shape = (sim: RunningSimulator) =>
      sim.ebopark.traffic.events.map((e) =>
        JSON.stringify({
          ...e.data,
          time: undefined,
          entryTime: undefined,
          exitTime: undefined,
          payTime: undefined,
          imageUrl: undefined,
          parkMins: undefined,
        }),
      );
    expect(shape(a)).toEqual(shape(b));
    await a.traffic.step(20);
    const c = await start({ seed: 42 });
    cleanup.push(c.close);
    await c.traffic.step(20);
    const open = (sim: RunningSimulator) =>
      sim.traffic.events.map((e) => JSON.stringify({ ...e, data: { ...e.data, time: undefined } }));
    expect(open(a)).toEqual(open(c));
  });
});

describe("Ebopark calls served from the lots' state", () => {
  it("carParkSession lists the stays the reports told of, consistent field by field", async () => {
    const { sim, receiver } = await setUp();
    const from = formatPlatformTime(Date.now() - 1000, "second");
    await sim.ebopark.traffic.step(150);
    const client = eboparkClientFor(sim);
    const { carParkSessionList } = await client.carParkSession({ parkCode: LOT, startTime: from, endTime: now() });
    const reported = [];
    for (const delivery of receiver.received) {
      const verified = await verify(delivery);
      if (verified.ok && verified.report.data.parkCode === LOT) reported.push(verified.report);
    }
    const entries = reported.filter((r) => r.report === "vehicleEntry");
    const exits = reported.filter((r) => r.report === "vehicleExit");
    expect(entries.length + exits.length).toBeGreaterThan(10);
    // A plate may enter, leave and enter again within one second at this pace: match among the candidates.
    const key = (plate: unknown, entryTime: unknown) => `${plate}@${entryTime}`;
    const sessionsOf = (plate: unknown, entryTime: unknown) =>
      carParkSessionList.filter((s) => key(s.plateNumber, s.entryTime) === key(plate, entryTime));
    for (const entry of entries) {
      expect(sessionsOf(entry.data.plateNumber, entry.data.entryTime), `${entry.data.plateNumber}`).toContainEqual(
        expect.objectContaining({
          entryChannelId: String(entry.data.entryChannelId),
          chargeType: entry.data.chargeType,
        }),
      );
    }
    for (const exit of exits) {
      // An exit in range whose entry was before the range is listed too (by its exit).
      expect(sessionsOf(exit.data.plateNumber, exit.data.entryTime), `${exit.data.plateNumber}`).toContainEqual(
        expect.objectContaining({
          exitTime: exit.data.exitTime,
          exitChannelName: exit.data.exitChannelName,
          incomeAmount: exit.data.incomeAmount,
          couponAmount: exit.data.couponAmount,
        }),
      );
    }
    // Every session in the range has its entry or its exit reported.
    const reportedKeys = new Set([...entries, ...exits].map((r) => key(r.data.plateNumber, r.data.entryTime)));
    for (const s of carParkSessionList) expect(reportedKeys.has(key(s.plateNumber, s.entryTime))).toBe(true);
    // The published example's keys are there.
    for (const name of [
      "entryChannelId",
      "miscAmount",
      "isNewEnergy",
      "freeReason",
      "entryNotes",
      "companyName",
      "chargeType",
      "operatorName",
      "plateColor",
      "entryPlateImage",
      "exitPlateImage",
      "carColor",
      "couponAmount",
    ]) {
      expect(carParkSessionList[0]).toHaveProperty(name);
    }
  });

  it("carParkSession is signed, validated and answers {code, msg} refusals", async () => {
    const { sim } = await setUp();
    const range = { startTime: "2026-01-01 00:00:00", endTime: "2026-01-02 00:00:00" };
    await expect(eboparkClientFor(sim, "wrong").carParkSession({ parkCode: LOT, ...range })).rejects.toMatchObject({
      code: 401,
      msg: "签名错误",
    });
    const error = await eboparkClientFor(sim)
      .carParkSession({ parkCode: "park1", ...range })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformError);
    expect(error).toMatchObject({ code: 400, msg: "车场不存在:park1" });
    const body = JSON.stringify({ parkCode: LOT, startTime: "2026-01-01", endTime: "2026-01-02 00:00:00" });
    const { signPartnerBody } = await import("@parkbridge/shared");
    const raw = await postRaw(
      sim,
      `/ebo/park/query/carParkSession?partnerid=${PARTNER}&sign=${signPartnerBody(body, SECRET)}`,
      body,
    );
    expect(raw.json).toMatchObject({ code: 400, msg: expect.stringContaining("startTime") });
    expect(sim.calls.map((c) => [c.operationId, c.code])).toEqual([
      ["carParkSession", 401],
      ["carParkSession", 400],
      ["carParkSession", 400],
    ]);
  });

  it("QueryMonthRule lists the rules; AddMonthCarV2 with one makes the next entry a monthly one", async () => {
    const { sim } = await setUp();
    const client = eboparkClientFor(sim);
    const rules = await client.QueryMonthRule({ ParkCode: LOT });
    expect(rules.map((r) => [r.ruleName, r.chargeType])).toEqual([
      ["标准月租", "MONTH"],
      ["固定车位", "FIX"],
    ]);
    const rule = rules[1];
    const today = formatPlatformTime(Date.now(), "date");
    await client.AddMonthCarV2({
      ParkCode: LOT,
      CarNos: ["川A8M888"],
      UserName: "李四",
      userMobile: "13900139000",
      lotDesc: [{ lotNo: "B1-001", startTime: today, endTime: "2099-12-31", fixRuleId: rule?.ruleId }],
    });
    expect(sim.ebopark.state.monthCar(LOT, "川A8M888")).toMatchObject({
      chargeType: "FIX",
      ruleId: Number(rule?.ruleId),
    });
    const [entry] = (await sim.ebopark.traffic.vehicleEnters(LOT, "川A8M888")) ?? [];
    expect(entry?.event.data).toMatchObject({ chargeType: "FIX" });
    const fee = (await client.QueryMonthCarFeeV2({ parkCode: LOT, carNo: "川A8M888", count: 3 })) as { fee: number };
    expect(fee.fee).toBe(1400);
    await expect(
      client.AddMonthCarV2({
        ParkCode: LOT,
        CarNos: ["川A8M889"],
        UserName: "李四",
        userMobile: "13900139000",
        lotDesc: [{ startTime: today, endTime: "2099-12-31", monthRuleId: 999 }],
      }),
    ).rejects.toMatchObject({ msg: "月租规则不存在:999" });
    await expect(client.QueryMonthRule({ ParkCode: "nowhere" })).rejects.toMatchObject({ msg: "车场不存在:nowhere" });
  });

  it("QueryDeduList answers {state, total, result: {total, records}, desc}, filtered and paged", async () => {
    const { sim } = await setUp();
    const client = eboparkClientFor(sim);
    const all = await client.QueryDeduList({ parkCode: LOT, page: 1, pageSize: 100 });
    expect(all.total).toBe(5);
    expect(all.records).toHaveLength(5);
    const unused = await client.QueryDeduList({ parkCode: LOT, page: 1, pageSize: 100, status: 0 });
    expect(unused.records.every((r) => r.status === 0)).toBe(true);
    const page = await client.QueryDeduList({ parkCode: LOT, page: 2, pageSize: 2 });
    expect(page).toMatchObject({ total: 5 });
    expect(page.records).toHaveLength(2);
  });

  it("findByCarNo finds a vehicle inside an Ebopark lot", async () => {
    const { sim } = await setUp();
    const inside = [...(sim.ebopark.state.lot(LOT)?.inPark.values() ?? [])][0];
    if (!inside) throw new Error("nobody inside");
    const found = await eboparkClientFor(sim).findByCarNo({ carNo: inside.plateNumber.slice(1), parkCode: LOT });
    expect(found).toMatchObject({ carNo: inside.plateNumber, carImage: inside.entryPlateImage });
    expect(found.stopTime).toBe(`${inside.entryTime.replace(" ", "T")}+08:00`);
  });

  it("gzip and gbk faults: answers as Ebopark's servers send them, which the client decodes", async () => {
    const { sim } = await setUp();
    sim.faults.add({ operation: "QueryMonthRule", kind: "gbk" });
    sim.faults.add({ operation: "QueryMonthRule", kind: "gzip", times: 1 });
    const client = eboparkClientFor(sim);
    const first = await client.QueryMonthRule({ ParkCode: LOT });
    const second = await client.QueryMonthRule({ ParkCode: LOT });
    expect(first[0]?.ruleName).toBe("标准月租");
    expect(second).toEqual(first);
    const raw = await fetch(`${sim.url}/partnerService/QueryMonthRule`, { method: "POST", body: "{}" });
    expect(raw.headers.get("content-type")).toBe("application/json; charset=GBK");
    expect(sim.faults.list().map((f) => f.applied)).toEqual([3, 1]);
  });

  it("the open platform's lots stay what they were: the older calls still accept their parkingIds", async () => {
    const { sim } = await setUp();
    await clientFor(sim).issueCoupon({ parkingId: "park1", vehicleCode: "鲁A12345", couponType: 2, discount: 2 });
    const list = await eboparkClientFor(sim).QueryDeduList({ parkCode: "park1", page: 1, pageSize: 10 });
    expect(list).toMatchObject({ total: 1, records: [{ carNo: "鲁A12345" }] });
  });
});

describe("/__sim/ebopark/ control endpoints", () => {
  const post = (sim: RunningSimulator, path: string, body: unknown) =>
    fetch(`${sim.url}${path}`, { method: "POST", body: JSON.stringify(body) }).then(async (r) => ({
      status: r.status,
      json: (await r.json()) as Record<string, unknown>,
    }));
  const get = (sim: RunningSimulator, path: string) => fetch(`${sim.url}${path}`).then((r) => r.json());

  it("state, vehicles, lifts, devices, lot info, reports and sessions over HTTP", async () => {
    const { sim } = await setUp();
    const state = (await get(sim, "/__sim/ebopark/state")) as { lots: Array<{ parkCode: string; freeSpace: number }> };
    expect(state.lots.map((l) => l.parkCode)).toEqual([LOT, "510185001"]);
    const before = state.lots[0]?.freeSpace ?? 0;

    const entered = await post(sim, "/__sim/ebopark/vehicles/enter", {
      parkCode: LOT,
      plateNumber: "川A0CTL1",
      channelId: 9462,
    });
    expect(entered).toMatchObject({ status: 200, json: { freeSpace: before - 1 } });
    expect((entered.json.sent as Array<{ event: { data: unknown } }>)[0]?.event.data).toMatchObject({
      entryChannelName: "三号入口",
    });
    expect((await post(sim, "/__sim/ebopark/vehicles/enter", { parkCode: LOT, plateNumber: "川A0CTL1" })).status).toBe(
      409,
    );
    const left = await post(sim, "/__sim/ebopark/vehicles/leave", {
      parkCode: LOT,
      plateNumber: "川A0CTL1",
      payment: "abnormal",
    });
    expect((left.json.sent as Array<{ report: EboparkReportId }>).map((s) => s.report)).toEqual([
      "abnormalPass",
      "vehicleExit",
    ]);
    expect((await post(sim, "/__sim/ebopark/vehicles/leave", { parkCode: LOT, plateNumber: "川A0CTL1" })).status).toBe(
      409,
    );

    expect((await post(sim, "/__sim/ebopark/abnormal-lift", { parkCode: LOT, reason: "测试" })).json).toMatchObject({
      sent: [{ report: "abnormalPass", event: { data: { reason: "测试", plateNumber: "" } } }],
    });
    expect(
      (await post(sim, "/__sim/ebopark/devices", { parkCode: LOT, deviceId: "LED-510107148", online: false })).json,
    ).toMatchObject({
      sent: [{ report: "deviceStatus", event: { data: { status: 0, deviceType: "display" } } }],
    });
    expect((await post(sim, "/__sim/ebopark/lot-info", { parkCode: LOT })).json).toMatchObject({
      sent: [{ report: "lotInfo", event: { data: { totalSpace: 300 } } }],
    });
    const stepped = await post(sim, "/__sim/ebopark/traffic/step", { count: 5 });
    expect(Array.isArray(stepped.json)).toBe(true);

    const lifts = (await get(sim, "/__sim/ebopark/reports?report=abnormalPass")) as unknown[];
    expect(lifts.length).toBeGreaterThanOrEqual(2);
    const sessions = (await get(
      sim,
      `/__sim/ebopark/sessions?parkCode=${LOT}&startTime=${encodeURIComponent(formatPlatformTime(Date.now() - 60_000, "second"))}`,
    )) as Array<{ plateNumber: string }>;
    expect(sessions.some((s) => s.plateNumber === "川A0CTL1")).toBe(true);
  });

  it("bad input is answered 400 with the field named", async () => {
    const { sim } = await setUp();
    expect(
      (await post(sim, "/__sim/ebopark/vehicles/enter", { parkCode: "park1", plateNumber: "川A1" })).json.error,
    ).toMatch(/parkCode must name an Ebopark lot/);
    expect((await post(sim, "/__sim/ebopark/vehicles/enter", { parkCode: LOT, plateNumber: "" })).json.error).toMatch(
      /plateNumber/,
    );
    expect(
      (await post(sim, "/__sim/ebopark/vehicles/enter", { parkCode: LOT, plateNumber: "川A1", channelId: 9461 })).json
        .error,
    ).toMatch(/no entry channel 9461/);
    expect(
      (await post(sim, "/__sim/ebopark/devices", { parkCode: LOT, deviceId: "X", online: true })).json.error,
    ).toMatch(/no device X/);
    expect(
      (await post(sim, "/__sim/ebopark/vehicles/leave", { parkCode: LOT, plateNumber: "川A1", payment: "cash" })).json
        .error,
    ).toMatch(/payment/);
    expect((await get(sim, "/__sim/ebopark/sessions?parkCode=510107148&startTime=soon")) as object).toMatchObject({
      error: expect.stringContaining("startTime"),
    });
  });

  it("reset puts the Ebopark lots back too", async () => {
    const { sim } = await setUp();
    const before = sim.ebopark.state.snapshot();
    await sim.ebopark.traffic.step(20);
    await post(sim, "/__sim/reset", {});
    expect(sim.ebopark.reports.sent).toHaveLength(0);
    const after = sim.ebopark.state.snapshot();
    expect(after.lots.map((l) => [l.parkCode, l.sessions, l.inPark.map((s) => s.plateNumber)])).toEqual(
      before.lots.map((l) => [l.parkCode, l.sessions, l.inPark.map((s) => s.plateNumber)]),
    );
  });
});
