/**
 * POST /callbacks/ebopark/{report} in the Workers runtime with real D1, KV and Queues: every
 * report kind stored once and normalised into the one vocabulary, the documented example a
 * barrierOverride, every refusal storing nothing, the answer byte for byte, a plate the camera
 * could not read kept and delivered, bodies in GBK or gzip read by what they declare.
 */
import { env } from "cloudflare:workers";
import { EBOPARK_REPORT_SUCCESS, formatPlatformTime } from "@parkbridge/shared";
import { describe, expect, it } from "vitest";
import type { Env } from "../../workers/src/env.js";
import { eboparkClientFor } from "../../workers/src/lib/ebopark-client.js";
import { deliveriesOf, eventually, hookName, type SinkRequest, sinkRequests, subscribe } from "./delivery-support.js";
import {
  api,
  apiJson,
  counts,
  localTime,
  sendCallback,
  sendReport,
  uniqueLot,
  vehicleAccess,
} from "./ingest-support.js";

type Item = Record<string, unknown> & { id: string; event: string; data: Record<string, unknown> };
const eventsOf = async (query: string) => (await apiJson<{ items: Item[] }>(`/api/events?${query}`)).items;

// Ebopark's published example of the abnormal barrier lift, byte for byte.
const DOCUMENTED_EXAMPLE =
  '{"parkCode":"510107148","parkName":"测试车场","plateNumber":"川ATES25","entryTime":"2024-10-24 08:49:40","exitTime":"2024-10-24 09:49:40","parkMins":60,"chargeType":"TEMP","reason":"异常抬杆","operatorName":"张三","entryChannelName":"一号入口","exitChannelName":"二号出口","chargeAmount":12,"deductAmount":0,"couponAmount":0,"incomeAmount":12,"carType":"小型车","imageUrl":"https://ebo-image-v6.oss-cn-shenzhen.aliyuncs.com/4b4b13ff-2043d88f-20240413175906","notes":"异常抬杆"}';

const entry = (parkCode: string, extra: Record<string, unknown> = {}) => ({
  parkCode,
  parkName: "宜泊测试车场",
  plateNumber: "川A12345",
  entryTime: localTime(1),
  entryChannelId: "E1",
  entryChannelName: "一号入口",
  carType: "小型车",
  ...extra,
});

describe("the answer and the documented example", () => {
  it("answers exactly {code:0,msg:success,data:null} and stores the example as a barrierOverride", async () => {
    const before = await counts();
    const response = await sendReport("abnormalPass", DOCUMENTED_EXAMPLE);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(EBOPARK_REPORT_SUCCESS);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const after = await counts();
    expect(after.raw_callbacks - before.raw_callbacks).toBe(1);
    expect(after.events - before.events).toBe(1);

    const raw = await env.DB.prepare(
      "SELECT body, app_key, query FROM raw_callbacks WHERE callback_type = 'abnormalPass' AND body = ?",
    )
      .bind(DOCUMENTED_EXAMPLE)
      .first<{ body: string; app_key: string; query: string }>();
    expect(raw).toMatchObject({ app_key: "demo-partner" });
    expect(raw?.query).toMatch(/^partnerid=demo-partner&sign=[0-9a-f]{32}$/);

    const [event] = await eventsOf("platform=ebopark&type=barrierOverride&parkingId=510107148");
    expect(event).toMatchObject({
      platform: "ebopark",
      event: "barrierOverride",
      callbackType: "abnormalPass",
      appKey: "demo-partner",
      parkingId: "510107148",
      vehicleCode: "川ATES25",
      plateRecognised: true,
      laneName: "二号出口",
      occurredAtLocal: "2024-10-24 09:49:40",
      occurredAt: "2024-10-24T01:49:40.000Z",
      reason: "异常抬杆",
      // Names are shortened unless a read asks for them in full (docs/privacy.md).
      operatorName: "张*",
      amounts: { charge: 12, deduct: 0, coupon: 0, income: 12 },
      data: expect.objectContaining({ parkName: "测试车场", imageUrl: expect.stringContaining("ebo-image") }),
    });
    const row = await env.DB.prepare("SELECT * FROM barrier_overrides WHERE event_id = ?")
      .bind(event?.id)
      .first<Record<string, unknown>>();
    expect(row).toMatchObject({
      platform: "ebopark",
      parking_id: "510107148",
      reason: "异常抬杆",
      operator_name: "张三",
      charge_amount: 12,
      income_amount: 12,
    });
  });

  it("a redelivery answers success and is stored once", async () => {
    const body = JSON.stringify(entry(uniqueLot("eb-redeliver")));
    const before = await counts();
    for (let i = 0; i < 3; i++) {
      const response = await sendReport("vehicleEntry", body);
      expect(await response.text()).toBe(EBOPARK_REPORT_SUCCESS);
    }
    const after = await counts();
    expect(after.raw_callbacks - before.raw_callbacks).toBe(1);
    expect(after.events - before.events).toBe(1);
    expect(after.vehicle_accesses - before.vehicle_accesses).toBe(1);
  });

  it("a report with unknown extra fields is accepted and keeps them", async () => {
    const parkCode = uniqueLot("eb-extra");
    const response = await sendReport("vehicleEntry", entry(parkCode, { berthNo: "B-17", vipLevel: 3 }));
    expect(await response.text()).toBe(EBOPARK_REPORT_SUCCESS);
    const [event] = await eventsOf(`platform=ebopark&parkingId=${parkCode}`);
    expect(event?.data).toMatchObject({ berthNo: "B-17", vipLevel: 3, carType: "小型车" });
  });
});

describe("every report kind, stored and normalised", () => {
  it("entries and exits are vehicleAccess in and out, with their typed rows", async () => {
    const parkCode = uniqueLot("eb-access");
    expect(await (await sendReport("vehicleEntry", entry(parkCode))).text()).toBe(EBOPARK_REPORT_SUCCESS);
    const exit = {
      parkCode,
      plateNumber: "川A12345",
      entryTime: localTime(1),
      exitTime: localTime(61),
      exitChannelId: "X2",
      exitChannelName: "二号出口",
      parkMins: 60,
    };
    expect(await (await sendReport("vehicleExit", exit)).text()).toBe(EBOPARK_REPORT_SUCCESS);
    const events = await eventsOf(`platform=ebopark&parkingId=${parkCode}`);
    expect(events.map((e) => [e.event, e.direction, e.laneNo, e.laneName, e.callbackType])).toEqual([
      ["vehicleAccess", "out", "X2", "二号出口", "vehicleExit"],
      ["vehicleAccess", "in", "E1", "一号入口", "vehicleEntry"],
    ]);
    const rows = await env.DB.prepare(
      "SELECT platform, direction, lane_no, vehicle_code FROM vehicle_accesses WHERE parking_id = ? ORDER BY occurred_at",
    )
      .bind(parkCode)
      .all();
    expect(rows.results).toEqual([
      { platform: "ebopark", direction: "in", lane_no: "E1", vehicle_code: "川A12345" },
      { platform: "ebopark", direction: "out", lane_no: "X2", vehicle_code: "川A12345" },
    ]);
  });

  it("orders and seamless exits are parkingOrder, with amounts", async () => {
    const parkCode = uniqueLot("eb-order");
    const order = {
      parkCode,
      plateNumber: "川A12345",
      orderNo: "O-1",
      payTime: localTime(50),
      parkMins: 49,
      chargeAmount: "10.00",
      incomeAmount: 8,
      couponAmount: 2,
    };
    expect(await (await sendReport("parkingOrder", order)).text()).toBe(EBOPARK_REPORT_SUCCESS);
    const seamless = { ...order, orderNo: "S-1", payTime: localTime(51) };
    expect(await (await sendReport("seamlessExit", seamless)).text()).toBe(EBOPARK_REPORT_SUCCESS);
    const events = await eventsOf(`platform=ebopark&type=parkingOrder&parkingId=${parkCode}`);
    expect(events.map((e) => [e.orderNo, e.seamless, e.parkMins, e.amounts])).toEqual([
      ["S-1", true, 49, { charge: 10, deduct: null, coupon: 2, income: 8 }],
      ["O-1", false, 49, { charge: 10, deduct: null, coupon: 2, income: 8 }],
    ]);
  });

  it("lot information is lotStatus and moves the lot's live counts, kept apart from an open-platform lot of the same id", async () => {
    const parkCode = uniqueLot("eb-lot");
    const info = { parkCode, parkName: "宜泊一号", totalSpace: 300, freeSpace: 42, time: localTime(5) };
    expect(await (await sendReport("lotInfo", info)).text()).toBe(EBOPARK_REPORT_SUCCESS);
    const [event] = await eventsOf(`platform=ebopark&type=lotStatus&parkingId=${parkCode}`);
    expect(event).toMatchObject({
      lotName: "宜泊一号",
      spaces: { totalSpaces: 300, freeSpaces: 42, freeTemporarySpaces: null, vehiclesInside: null },
      vehicleCode: null,
      plateRecognised: null,
    });
    const lot = await apiJson(`/api/lots/${parkCode}`);
    expect(lot).toMatchObject({ platform: "ebopark", lotName: "宜泊一号", totalSpaces: 300, freeSpaces: 42 });

    // The open platform reports a lot of the very same id: two lots, the platform picks one.
    expect((await sendCallback(vehicleAccess({ parkingId: parkCode, totalLot: 7 }))).status).toBe(200);
    // (KV, eventually consistent, learns of the second lot after the answer.)
    await eventually(async () => {
      const both = await api(`/api/lots/${parkCode}`);
      expect(both.status).toBe(400);
      expect(await both.json()).toMatchObject({ error: { field: "platform" } });
    });
    expect(await apiJson(`/api/lots/${parkCode}?platform=open`)).toMatchObject({ platform: "open", freeSpaces: 7 });
    expect(await apiJson(`/api/lots/${parkCode}?platform=ebopark`)).toMatchObject({ freeSpaces: 42 });
    const open = await eventsOf(`platform=open&parkingId=${parkCode}`);
    expect(open.map((e) => e.event)).toEqual(["vehicleAccess"]);
  });

  it("device status is a lane's cameraStatus when it names a channel, else the lot's deviceStatus", async () => {
    const parkCode = uniqueLot("eb-device");
    const lane = {
      parkCode,
      channelId: "E1",
      channelName: "一号入口",
      deviceId: "cam-1",
      status: 0,
      time: localTime(2),
    };
    expect(await (await sendReport("deviceStatus", lane)).text()).toBe(EBOPARK_REPORT_SUCCESS);
    const board = { parkCode, deviceId: "led-1", deviceName: "余位屏", deviceType: "display", status: "ONLINE" };
    expect(await (await sendReport("deviceStatus", board)).text()).toBe(EBOPARK_REPORT_SUCCESS);
    const events = await eventsOf(`platform=ebopark&parkingId=${parkCode}`);
    const byKind = Object.fromEntries(events.map((e) => [e.event, e]));
    expect(byKind.cameraStatus).toMatchObject({ laneNo: "E1", online: false, deviceId: "cam-1" });
    expect(byKind.deviceStatus).toMatchObject({
      laneNo: null,
      online: true,
      deviceName: "余位屏",
      deviceType: "display",
    });
    const lanes = await apiJson<{ items: Array<Record<string, unknown>> }>(
      `/api/lanes?parkingId=${parkCode}&platform=ebopark`,
    );
    expect(lanes.items).toEqual([expect.objectContaining({ platform: "ebopark", laneNo: "E1", online: false })]);
  });
});

describe("refusals: Ebopark's envelope naming the reason and field, nothing stored", () => {
  const body = () => JSON.stringify(entry(uniqueLot("eb-refused")));
  const cases: Array<[string, () => Promise<Response>, number, string, string | undefined]> = [
    ["a wrong sign", () => sendReport("vehicleEntry", body(), { sign: "0".repeat(32) }), 401, "bad_sign", "sign"],
    [
      "a sign made with another partner's key",
      () => sendReport("vehicleEntry", body(), { secretKey: "second-ebopark-secret" }),
      401,
      "bad_sign",
      "sign",
    ],
    [
      "an unknown partner",
      () => sendReport("vehicleEntry", body(), { partnerId: "stranger", secretKey: "x" }),
      401,
      "unknown_partner",
      "partnerid",
    ],
    ["no sign", () => sendReport("vehicleEntry", body(), { omit: "sign" }), 401, "missing_parameter", "sign"],
    [
      "no partnerid",
      () => sendReport("vehicleEntry", body(), { omit: "partnerid" }),
      401,
      "missing_parameter",
      "partnerid",
    ],
    [
      "a body changed after signing",
      async () => {
        const signed = body();
        const { signReportBody } = await import("@parkbridge/shared");
        const sign = signReportBody(signed, "demo-ebopark-secret");
        return sendReport("vehicleEntry", signed.replace("川A12345", "川A99999"), { sign });
      },
      401,
      "bad_sign",
      "sign",
    ],
    ["a report that does not exist", () => sendReport("vehicleParked", body()), 404, "unknown_report", "report"],
    [
      "an entry without its lot",
      () => sendReport("vehicleEntry", { plateNumber: "川A12345", entryTime: localTime(0) }),
      400,
      "malformed_body",
      "parkCode",
    ],
    [
      "an entry time that is not a time",
      () => sendReport("vehicleEntry", entry("p", { entryTime: "yesterday" })),
      400,
      "malformed_body",
      "entryTime",
    ],
    [
      "a plate with a control character",
      () => sendReport("vehicleEntry", entry("p", { plateNumber: "川A\u000712345" })),
      400,
      "malformed_body",
      "plateNumber",
    ],
    ["a body that is not JSON", () => sendReport("vehicleEntry", "{parkCode"), 400, "malformed_body", "(body)"],
  ];

  it.each(cases)("%s", async (_name, send, status, reason, field) => {
    const before = await counts();
    const response = await send();
    expect(response.status).toBe(status);
    const answer = (await response.json()) as { code: number; msg: string; data: { reason: string; field?: string } };
    expect(answer).toMatchObject({ code: 1, data: { reason, ...(field ? { field } : {}) } });
    expect(answer.msg.length).toBeGreaterThan(0);
    expect(await counts()).toEqual(before);
  });

  it("a second partner's own reports are accepted (several partners per Worker)", async () => {
    const response = await sendReport("vehicleEntry", body(), {
      partnerId: "partner-2",
      secretKey: "second-ebopark-secret",
    });
    expect(await response.text()).toBe(EBOPARK_REPORT_SUCCESS);
  });
});

describe("bodies as Ebopark's servers send them", () => {
  it("a GBK body (declared in the charset) is verified over its bytes and stored as text", async () => {
    const parkCode = uniqueLot("eb-gbk");
    // {"parkCode":"…","plateNumber":"川A12345","entryTime":"…","parkName":"测试车场"} with 川 and 测试车场 in GBK.
    const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));
    const bytes = new Uint8Array([
      ...ascii(`{"parkCode":"${parkCode}","plateNumber":"`),
      0xb4,
      0xa8, // 川
      ...ascii(`A12345","entryTime":"${localTime(3)}","parkName":"`),
      0xb2,
      0xe2,
      0xca,
      0xd4,
      0xb3,
      0xb5,
      0xb3,
      0xa1, // 测试车场
      ...ascii('"}'),
    ]);
    const response = await sendReport("vehicleEntry", bytes, { contentType: "application/json; charset=GBK" });
    expect(await response.text()).toBe(EBOPARK_REPORT_SUCCESS);
    const [event] = await eventsOf(`platform=ebopark&parkingId=${parkCode}`);
    expect(event).toMatchObject({ vehicleCode: "川A12345", data: expect.objectContaining({ parkName: "测试车场" }) });
  });

  it("a gzip-compressed body is verified over the bytes received and read uncompressed", async () => {
    const parkCode = uniqueLot("eb-gzip");
    const text = JSON.stringify(entry(parkCode));
    const gzipped = new Uint8Array(
      await new Response(new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer(),
    );
    expect(await (await sendReport("vehicleEntry", gzipped)).text()).toBe(EBOPARK_REPORT_SUCCESS);
    const [event] = await eventsOf(`platform=ebopark&parkingId=${parkCode}`);
    expect(event).toMatchObject({ event: "vehicleAccess", direction: "in", laneNo: "E1" });
  });
});

describe("the received-plate rule, and delivery of Ebopark's events", () => {
  const bodyOf = (request: SinkRequest) => JSON.parse(request.body) as Record<string, unknown>;

  it("an entry of a vehicle without a readable plate (无牌车) is stored, flagged and delivered; the platform filter holds", async () => {
    const parkCode = uniqueLot("eb-noplate");
    const ebopark = hookName("eb-only");
    const open = hookName("open-only");
    const orders = hookName("eb-orders");
    // Full personal data: its deliveries carry the raw body (privacy.test.ts has the masked default).
    const eboparkSub = await subscribe(ebopark, {
      platform: "ebopark",
      events: ["vehicleAccess"],
      parkingId: parkCode,
      personalData: "full",
    });
    await subscribe(open, { platform: "open", parkingId: parkCode });
    await subscribe(orders, { platform: "ebopark", events: ["parkingOrder"], parkingId: parkCode });

    for (const plate of ["无牌车", "未识别", "川A1234?"]) {
      const response = await sendReport(
        "vehicleEntry",
        entry(parkCode, { plateNumber: plate, entryTime: localTime(9) }),
      );
      expect(await response.text(), plate).toBe(EBOPARK_REPORT_SUCCESS);
    }
    const stored = await eventsOf(`platform=ebopark&parkingId=${parkCode}`);
    expect(stored.map((e) => [e.vehicleCode, e.plateRecognised]).sort()).toEqual([
      ["川A1234?", false],
      ["无牌车", false],
      ["未识别", false],
    ]);

    await eventually(async () => expect(await deliveriesOf(eboparkSub.id, "delivered")).toHaveLength(3));
    const delivered = (await sinkRequests(ebopark)).map(bodyOf);
    const noPlate = delivered.find((b) => b.vehicleCode === "无牌车");
    expect(noPlate).toMatchObject({
      platform: "ebopark",
      event: "vehicleAccess",
      callbackType: "vehicleEntry",
      plateRecognised: false,
      timeSuspect: false,
      direction: "in",
      raw: expect.objectContaining({ plateNumber: "无牌车", parkCode }),
    });
    expect(await sinkRequests(open)).toEqual([]);
    expect(await sinkRequests(orders)).toEqual([]);
  });

  it("an entry whose time is far ahead is delivered with timeSuspect: true, ordered by its receipt", async () => {
    const parkCode = uniqueLot("eb-ahead");
    const name = hookName("eb-ahead");
    const subscription = await subscribe(name, { platform: "ebopark", parkingId: parkCode });
    const ahead = formatPlatformTime(Date.now() + 2 * 3600_000, "second");
    const response = await sendReport("vehicleEntry", entry(parkCode, { entryTime: ahead }));
    expect(await response.text()).toBe(EBOPARK_REPORT_SUCCESS);
    await eventually(async () => expect(await deliveriesOf(subscription.id, "delivered")).toHaveLength(1));
    const [request] = await sinkRequests(name);
    const body = request && bodyOf(request);
    expect(body).toMatchObject({ platform: "ebopark", timeSuspect: true, occurredAtLocal: ahead });
    expect(Date.parse(String(body?.occurredAt))).toBeLessThanOrEqual(Date.now());
  });

  it("the open platform's 无牌车 entry is stored and delivered too", async () => {
    const parkingId = uniqueLot("open-noplate");
    const name = hookName("open-noplate");
    const subscription = await subscribe(name, { platform: "open", parkingId });
    expect((await sendCallback(vehicleAccess({ parkingId, vehicleCode: "无牌车" }))).status).toBe(200);
    await eventually(async () => expect(await deliveriesOf(subscription.id, "delivered")).toHaveLength(1));
    const [request] = await sinkRequests(name);
    expect(request && bodyOf(request)).toMatchObject({
      platform: "open",
      vehicleCode: "无牌车",
      plateRecognised: false,
      timeSuspect: false,
    });
  });
});

describe("the status page", () => {
  it("shows Ebopark's lots beside the open platform's, labelled, and lists its barrier overrides", async () => {
    const eboLot = uniqueLot("eb-page");
    const openLot = uniqueLot("open-page");
    const info = { parkCode: eboLot, parkName: "宜泊展示车场", totalSpace: 120, freeSpace: 30, time: localTime(20) };
    expect(await (await sendReport("lotInfo", info)).text()).toBe(EBOPARK_REPORT_SUCCESS);
    const lift = {
      parkCode: eboLot,
      plateNumber: "川A54321",
      exitTime: localTime(21),
      reason: "人工放行",
      exitChannelName: "北门出口",
    };
    expect(await (await sendReport("abnormalPass", lift)).text()).toBe(EBOPARK_REPORT_SUCCESS);
    expect((await sendCallback(vehicleAccess({ parkingId: openLot, totalLot: 9, time: localTime(20) }))).status).toBe(
      200,
    );

    const response = await api("/");
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toMatch(new RegExp(`<article class="card lot" data-parking-id="${eboLot}" data-platform="ebopark">`));
    expect(html).toMatch(new RegExp(`<article class="card lot" data-parking-id="${openLot}" data-platform="open">`));
    expect(html).toContain("宜泊展示车场");
    const overrides = html.slice(html.indexOf('<section id="barrier-overrides">'));
    expect(overrides).toContain("人工放行");
    expect(overrides).toContain("北门出口");
    expect(overrides).toContain('data-platform="ebopark"');
  });
});

describe("the Worker's Ebopark client", () => {
  it("reads a lot's sessions on the ump host (EBOPARK_UMP_BASE_URL), signed as a partner of EBOPARK_PARTNERS", async () => {
    const client = eboparkClientFor(env as unknown as Env, "demo-partner");
    const answer = (await client.carParkSession({
      parkCode: "510107148",
      startTime: "2000-01-01 00:00:00",
      endTime: "2099-12-31 23:59:59",
    })) as { carParkSessionList: unknown[] };
    expect(Array.isArray(answer.carParkSessionList)).toBe(true);
    expect(() => eboparkClientFor(env as unknown as Env, "stranger")).toThrow(/not in EBOPARK_PARTNERS/);
  });
});
