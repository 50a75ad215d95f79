/**
 * Ebopark's reports: the catalogue (documented vs inferred fields), the verifier (sign over the
 * raw bytes, checked first; typed rejections), the exact answers, and the normalisation of every
 * report (and of the open platform's callbacks) into the one event vocabulary.
 */
import {
  callbacks,
  EBOPARK_REPORT_SUCCESS,
  type EboparkReport,
  eboparkReportIds,
  eboparkReportRefusal,
  eboparkReports,
  isEboparkReportSuccess,
  laneUpdateOf,
  lotUpdateOf,
  md5Hex,
  normaliseCallback,
  normaliseEboparkReport,
  type ParkingEventOf,
  parkingEventKinds,
  reportFieldMeta,
  sha256Hex,
  signReportBody,
  verifyEboparkReport,
} from "@parkbridge/shared";
import { encodeGbk } from "@parkbridge/simulator";
import { describe, expect, it } from "vitest";

/** The abnormal barrier lift's example body, verbatim from Ebopark's published page (as quoted in issue 15). */
const ABNORMAL_LIFT_EXAMPLE =
  '{"parkCode":"510107148","parkName":"测试车场","plateNumber":"川ATES25","entryTime":"2024-10-24 08:49:40","exitTime":"2024-10-24 09:49:40","parkMins":60,"chargeType":"TEMP","reason":"异常抬杆","operatorName":"张三","entryChannelName":"一号入口","exitChannelName":"二号出口","chargeAmount":12,"deductAmount":0,"couponAmount":0,"incomeAmount":12,"carType":"小型车","imageUrl":"https://ebo-image-v6.oss-cn-shenzhen.aliyuncs.com/4b4b13ff-2043d88f-20240413175906","notes":"异常抬杆"}';
const DOCUMENTED_FIELDS = Object.keys(JSON.parse(ABNORMAL_LIFT_EXAMPLE));

const PARTNER = "partner-7";
const SECRET = "eb0-s3cret";
const secretFor = (id: string) => (id === PARTNER ? SECRET : undefined);
const RECEIVED = new Date("2026-11-22T08:00:00Z");

/** A report as Ebopark would push it: the body and its query string. */
function pushed(body: string | Uint8Array, secret = SECRET, partner = PARTNER) {
  return { query: `partnerid=${partner}&sign=${signReportBody(body, secret)}`, body };
}

async function verified(report: string, body: string) {
  const result = await verifyEboparkReport({ report, ...pushed(body), secretFor });
  if (!result.ok) throw new Error(`${result.reason}: ${result.message}`);
  return result;
}

describe("the report catalogue", () => {
  it("has the seven reports of section 3.3, each with its Chinese name", () => {
    expect(eboparkReportIds).toEqual([
      "vehicleEntry",
      "vehicleExit",
      "parkingOrder",
      "seamlessExit",
      "lotInfo",
      "abnormalPass",
      "deviceStatus",
    ]);
    expect(eboparkReportIds.map((id) => eboparkReports[id].zh)).toEqual([
      "车辆入场上报",
      "车辆出场上报",
      "车场订单上报",
      "第三方无感出场",
      "停车场基础信息上报",
      "异常抬杆数据上报",
      "设备状态上报",
    ]);
  });

  it("the abnormal lift types exactly the fields of Ebopark's page, in its order, all documented", () => {
    const shape = eboparkReports.abnormalPass.fields;
    expect(Object.keys(shape)).toEqual(DOCUMENTED_FIELDS);
    for (const schema of Object.values(shape)) expect(reportFieldMeta(schema)?.source).toBe("documented");
    expect(eboparkReports.abnormalPass.documented).toBe(true);
  });

  it("every field of the six unpublished reports is marked inferred, and carries its Chinese term", () => {
    for (const id of eboparkReportIds.filter((r) => r !== "abnormalPass")) {
      expect(eboparkReports[id].documented).toBe(false);
      for (const [name, schema] of Object.entries(eboparkReports[id].fields)) {
        const meta = reportFieldMeta(schema as never);
        expect(meta?.source, `${id}.${name}`).toBe("inferred");
        expect(meta?.zh, `${id}.${name}`).toMatch(/\p{Script=Han}/u);
      }
    }
  });

  it("the documented example parses as received, unknown fields kept", () => {
    const body = { ...JSON.parse(ABNORMAL_LIFT_EXAMPLE), gateNo: 3, extra: { by: "值班室" } };
    expect(eboparkReports.abnormalPass.data.parse(body)).toEqual(body);
  });

  it("never refuses a report for a missing optional field, null, or an empty string", () => {
    const minimal = { parkCode: "510107148", plateNumber: "川A12345", entryTime: "2026-11-22 08:00:00" };
    expect(eboparkReports.vehicleEntry.data.parse(minimal)).toEqual(minimal);
    const sparse = { ...minimal, parkName: null, entryChannelId: "", imageUrl: null, isNewEnergy: "" };
    expect(eboparkReports.vehicleEntry.data.parse(sparse)).toEqual({ ...sparse, isNewEnergy: null });
    expect(eboparkReports.abnormalPass.data.parse({ parkCode: "510107148", plateNumber: "", entryTime: "" })).toEqual({
      parkCode: "510107148",
      // No plate (nobody let out) is no plate, not a blank one.
      plateNumber: null,
      entryTime: null,
    });
  });

  it("normalises values leniently: numbers as strings and back, unpadded times re-padded", () => {
    const parsed = eboparkReports.vehicleExit.data.parse({
      parkCode: 510107148,
      plateNumber: "川A12345",
      exitTime: "2026-11-2 9:5:7",
      parkMins: "65",
      chargeAmount: "10.50",
      exitChannelId: 9461,
      isNewEnergy: true,
    });
    expect(parsed).toMatchObject({
      parkCode: "510107148",
      exitTime: "2026-11-02 09:05:07",
      parkMins: 65,
      chargeAmount: 10.5,
      exitChannelId: "9461",
      isNewEnergy: 1,
    });
  });

  it.each([
    ["vehicleEntry", { plateNumber: "川A12345", entryTime: "2026-11-22 08:00:00" }, "parkCode", "is required"],
    ["vehicleEntry", { parkCode: "1", plateNumber: "川A12345", entryTime: "22/11/2026" }, "entryTime", "formatted"],
    [
      "vehicleExit",
      { parkCode: "1", plateNumber: "川A1", exitTime: "2026-11-22 08:00:00", parkMins: -3 },
      "parkMins",
      "whole number from 0",
    ],
    ["abnormalPass", { parkCode: "1", chargeAmount: "twelve" }, "chargeAmount", "amount"],
    ["deviceStatus", { parkCode: "1", status: 2 }, "status", "1 (online) or 0 (offline)"],
    ["lotInfo", { parkCode: "1", freeSpace: 1.5 }, "freeSpace", "whole number"],
  ])("%s: a field of the wrong kind is refused by name (%s)", (report, body, field, reason) => {
    const parsed = eboparkReports[report as keyof typeof eboparkReports].data.safeParse(body);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual([field]);
    if (reason !== "is required") expect(parsed.error?.issues[0]?.message).toContain(reason);
  });
});

describe("verifyEboparkReport", () => {
  it("accepts the documented example signed md5(raw body + secretKey), and says what it is", async () => {
    const result = await verified("abnormalPass", ABNORMAL_LIFT_EXAMPLE);
    expect(result).toMatchObject({
      ok: true,
      partnerId: PARTNER,
      sign: md5Hex(ABNORMAL_LIFT_EXAMPLE + SECRET),
      report: { report: "abnormalPass", data: JSON.parse(ABNORMAL_LIFT_EXAMPLE) },
      bodyText: ABNORMAL_LIFT_EXAMPLE,
      bodyDigest: await sha256Hex(ABNORMAL_LIFT_EXAMPLE),
    });
  });

  it.each([
    ["a wrong sign", { query: `partnerid=${PARTNER}&sign=${"0".repeat(32)}` }, "bad_sign", 401, "sign"],
    ["a sign made with another secret", pushed(ABNORMAL_LIFT_EXAMPLE, "other-secret"), "bad_sign", 401, "sign"],
    ["an unknown partner", pushed(ABNORMAL_LIFT_EXAMPLE, SECRET, "stranger"), "unknown_partner", 401, "partnerid"],
    [
      "no partnerid",
      { query: `sign=${signReportBody(ABNORMAL_LIFT_EXAMPLE, SECRET)}` },
      "missing_parameter",
      401,
      "partnerid",
    ],
    ["no sign", { query: `partnerid=${PARTNER}` }, "missing_parameter", 401, "sign"],
  ])("refuses %s", async (_name, request, reason, status, field) => {
    const result = await verifyEboparkReport({
      report: "abnormalPass",
      body: ABNORMAL_LIFT_EXAMPLE,
      secretFor,
      ...request,
    });
    expect(result).toMatchObject({ ok: false, reason, status, field });
  });

  it("refuses a body changed after signing, even by one space", async () => {
    const { query } = pushed(ABNORMAL_LIFT_EXAMPLE);
    const changed = ABNORMAL_LIFT_EXAMPLE.replace('"incomeAmount":12', '"incomeAmount":0');
    const respaced = ABNORMAL_LIFT_EXAMPLE.replace(",", ", ");
    for (const body of [changed, respaced]) {
      expect(await verifyEboparkReport({ report: "abnormalPass", query, body, secretFor })).toMatchObject({
        reason: "bad_sign",
      });
    }
  });

  it("checks the sign before reading the body: garbage with a wrong sign is a bad sign, not bad JSON", async () => {
    const result = await verifyEboparkReport({
      report: "vehicleEntry",
      query: `partnerid=${PARTNER}&sign=${"a".repeat(32)}`,
      body: "{not json",
      secretFor,
    });
    expect(result).toMatchObject({ reason: "bad_sign" });
  });

  it("answers 404 for a report that does not exist, before anything else", async () => {
    expect(await verifyEboparkReport({ report: "vehicleTeleport", query: "", body: "{}", secretFor })).toMatchObject({
      ok: false,
      reason: "unknown_report",
      status: 404,
      field: "report",
      message: expect.stringContaining("vehicleEntry, vehicleExit"),
    });
  });

  it.each([
    ["not JSON", "{oops", "(body)", "not valid JSON"],
    ["an array", "[1,2]", "(body)", "JSON object"],
    [
      "a missing required field",
      '{"plateNumber":"川A1","entryTime":"2026-11-22 08:00:00"}',
      "parkCode",
      "parkCode is required",
    ],
    [
      "a field of the wrong kind",
      '{"parkCode":"1","plateNumber":"川A1","entryTime":"yesterday"}',
      "entryTime",
      "entryTime must be",
    ],
  ])("refuses a signed body that is %s (400, the field named)", async (_name, body, field, message) => {
    const result = await verifyEboparkReport({ report: "vehicleEntry", ...pushed(body), secretFor });
    expect(result).toMatchObject({ ok: false, reason: "malformed_body", status: 400, field });
    expect(result.ok === false && result.message).toContain(message);
  });

  it("verifies over the raw bytes and decodes by the declared charset (a GBK body)", async () => {
    const bytes = encodeGbk(ABNORMAL_LIFT_EXAMPLE);
    const result = await verifyEboparkReport({
      report: "abnormalPass",
      ...pushed(bytes),
      contentType: "application/json; charset=GBK",
      secretFor,
    });
    expect(result.ok && result.report.data).toMatchObject({ parkName: "测试车场", operatorName: "张三" });
    expect(result.ok && result.bodyDigest).toBe(
      Buffer.from(await crypto.subtle.digest("SHA-256", bytes as BufferSource)).toString("hex"),
    );
  });

  it("takes the query as URLSearchParams, a string or an object; the body as bytes or an ArrayBuffer", async () => {
    const { query, body } = pushed(ABNORMAL_LIFT_EXAMPLE);
    const params = new URLSearchParams(query);
    const bytes = new TextEncoder().encode(body as string);
    for (const variant of [
      { query: params, body: bytes },
      { query: Object.fromEntries(params), body: bytes.buffer },
    ]) {
      expect((await verifyEboparkReport({ report: "abnormalPass", ...variant, secretFor })).ok).toBe(true);
    }
  });

  it("uses a deployment's own signature check when given one", async () => {
    const seen: unknown[] = [];
    const result = await verifyEboparkReport({
      report: "lotInfo",
      query: `partnerid=${PARTNER}&sign=HMAC-XYZ`,
      body: '{"parkCode":"510107148","freeSpace":12}',
      secretFor,
      checkSign: ({ sign, secretKey, partnerId, body }) => {
        seen.push({ sign, secretKey, partnerId, bytes: body.length });
        return sign === "HMAC-XYZ";
      },
    });
    expect(result.ok).toBe(true);
    expect(seen).toEqual([{ sign: "HMAC-XYZ", secretKey: SECRET, partnerId: PARTNER, bytes: 39 }]);
    const refused = await verifyEboparkReport({
      report: "lotInfo",
      ...pushed('{"parkCode":"510107148"}'),
      secretFor,
      checkSign: () => false,
    });
    expect(refused).toMatchObject({ reason: "bad_sign", message: expect.stringContaining("signature check") });
  });
});

describe("the answers", () => {
  it('success is exactly {"code":0,"msg":"success","data":null}', () => {
    expect(EBOPARK_REPORT_SUCCESS).toBe('{"code":0,"msg":"success","data":null}');
    expect(isEboparkReportSuccess(EBOPARK_REPORT_SUCCESS)).toBe(true);
    expect(isEboparkReportSuccess('{"code":0, "msg":"success","data":null}')).toBe(false);
    expect(isEboparkReportSuccess('{"code":0,"msg":"操作成功"}')).toBe(false);
  });

  it("a refusal is in Ebopark's envelope, with the reason and field under data", () => {
    expect(eboparkReportRefusal("bad_sign", "sign does not match", "sign")).toEqual({
      code: 1,
      msg: "sign does not match",
      data: { reason: "bad_sign", field: "sign" },
    });
  });
});

describe("one event vocabulary", () => {
  const normalised = async (report: string, body: Record<string, unknown>) =>
    normaliseEboparkReport((await verified(report, JSON.stringify(body))).report, RECEIVED);

  it("the abnormal lift example becomes a barrierOverride at the exit lane, at its exit time (UTC+8)", async () => {
    const event = normaliseEboparkReport((await verified("abnormalPass", ABNORMAL_LIFT_EXAMPLE)).report, RECEIVED);
    expect(event).toEqual({
      platform: "ebopark",
      callbackType: "abnormalPass",
      event: "barrierOverride",
      parkingId: "510107148",
      vehicleCode: "川ATES25",
      laneNo: "二号出口",
      laneName: "二号出口",
      occurredAtLocal: "2024-10-24 09:49:40",
      occurredAt: "2024-10-24T01:49:40.000Z",
      reason: "异常抬杆",
      operatorName: "张三",
      amounts: { charge: 12, deduct: 0, coupon: 0, income: 12 },
      spaces: null,
      data: JSON.parse(ABNORMAL_LIFT_EXAMPLE),
    });
  });

  it("an abnormal lift with nobody let out has no plate, and falls back to the received time", async () => {
    const event = await normalised("abnormalPass", { parkCode: "510107148", plateNumber: "", reason: "人工放行" });
    expect(event).toMatchObject({ vehicleCode: null, laneNo: null, occurredAt: RECEIVED.toISOString() });
  });

  it("entry and exit become vehicleAccess in and out; lane = the channel's id, else its name", async () => {
    const entry = await normalised("vehicleEntry", {
      parkCode: "510107148",
      plateNumber: "川A12345",
      entryTime: "2026-11-22 16:00:05",
      entryChannelId: 9460,
      entryChannelName: "一号入口",
    });
    expect(entry).toMatchObject({
      platform: "ebopark",
      event: "vehicleAccess",
      direction: "in",
      parkingId: "510107148",
      vehicleCode: "川A12345",
      laneNo: "9460",
      laneName: "一号入口",
      occurredAt: "2026-11-22T08:00:05.000Z",
    });
    const exit = await normalised("vehicleExit", {
      parkCode: "510107148",
      plateNumber: "川A12345",
      exitTime: "2026-11-22 17:00:05",
      exitChannelName: "二号出口",
    });
    expect(exit).toMatchObject({ event: "vehicleAccess", direction: "out", laneNo: "二号出口", laneName: "二号出口" });
    expect(lotUpdateOf(exit)).toBeUndefined();
  });

  it("an order and a seamless exit payment both become parkingOrder, told apart by `seamless`", async () => {
    const base = { parkCode: "510107148", plateNumber: "川A12345", exitTime: "2026-11-22 17:00:05", incomeAmount: 10 };
    const order = (await normalised("parkingOrder", {
      ...base,
      orderNo: 88,
      payTime: "2026-11-22 16:59:00",
    })) as ParkingEventOf<"parkingOrder">;
    expect(order).toMatchObject({
      event: "parkingOrder",
      seamless: false,
      orderNo: "88",
      occurredAtLocal: "2026-11-22 16:59:00",
    });
    expect(order.amounts).toEqual({ charge: null, deduct: null, coupon: null, income: 10 });
    const seamless = await normalised("seamlessExit", { ...base, exitChannelId: 9461, payChannel: "ETC" });
    expect(seamless).toMatchObject({
      event: "parkingOrder",
      seamless: true,
      laneNo: "9461",
      occurredAtLocal: base.exitTime,
    });
    expect(seamless.data).toMatchObject({ payChannel: "ETC" });
  });

  it("device status: a lane's device is cameraStatus (lane state), a lot device deviceStatus", async () => {
    const lane = await normalised("deviceStatus", {
      parkCode: "510107148",
      deviceId: "CAM-9460",
      channelId: 9460,
      channelName: "一号入口",
      status: 0,
      time: "2026-11-22 16:00:00",
    });
    expect(lane).toMatchObject({ event: "cameraStatus", online: false, laneNo: "9460", deviceId: "CAM-9460" });
    expect(laneUpdateOf(lane)).toEqual({
      platform: "ebopark",
      parkingId: "510107148",
      laneNo: "9460",
      laneName: "一号入口",
      online: false,
      occurredAt: "2026-11-22T08:00:00.000Z",
    });
    const device = await normalised("deviceStatus", {
      parkCode: "510107148",
      deviceId: "LED-1",
      deviceType: "display",
      status: "ONLINE",
    });
    expect(device).toMatchObject({ event: "deviceStatus", online: true, laneNo: null, deviceType: "display" });
    expect(laneUpdateOf(device)).toBeUndefined();
  });

  it("lot information becomes lotStatus, and its counts the live state", async () => {
    const event = await normalised("lotInfo", {
      parkCode: "510107148",
      parkName: "测试车场",
      totalSpace: 300,
      freeSpace: 42,
    });
    expect(event).toMatchObject({
      event: "lotStatus",
      lotName: "测试车场",
      spaces: { totalSpaces: 300, freeSpaces: 42, freeTemporarySpaces: null, vehiclesInside: null },
    });
    expect(lotUpdateOf(event)).toEqual({
      platform: "ebopark",
      parkingId: "510107148",
      totalSpaces: 300,
      freeSpaces: 42,
      freeTemporarySpaces: null,
      vehiclesInside: null,
      occurredAt: RECEIVED.toISOString(),
    });
    expect(lotUpdateOf(await normalised("lotInfo", { parkCode: "510107148" }))).toBeUndefined();
  });

  it("every report kind normalises to a kind of the vocabulary, with platform and its data kept", async () => {
    const samples: EboparkReport[] = [
      { report: "vehicleEntry", data: { parkCode: "p", plateNumber: "川A1", entryTime: "2026-01-01 00:00:00" } },
      { report: "vehicleExit", data: { parkCode: "p", plateNumber: "川A1", exitTime: "2026-01-01 00:00:00" } },
      { report: "parkingOrder", data: { parkCode: "p", plateNumber: "川A1" } },
      { report: "seamlessExit", data: { parkCode: "p", plateNumber: "川A1" } },
      { report: "lotInfo", data: { parkCode: "p" } },
      { report: "abnormalPass", data: { parkCode: "p" } },
      { report: "deviceStatus", data: { parkCode: "p", status: 1 } },
    ];
    expect(samples.map((s) => s.report)).toEqual(eboparkReportIds);
    for (const sample of samples) {
      const event = normaliseEboparkReport(sample, RECEIVED);
      expect(parkingEventKinds).toContain(event.event);
      expect(event).toMatchObject({
        platform: "ebopark",
        callbackType: sample.report,
        parkingId: "p",
        data: sample.data,
      });
    }
  });

  it("the open platform's callbacks map into the same vocabulary (platform open)", () => {
    const access = callbacks.PARKING_VEHICLE_ACCESS.data.parse({
      vehicleCode: "鲁A12345",
      accessType: 0,
      time: "2026-11-22 16:00:00",
      laneNo: "1",
      laneName: "入口车道1",
      parkingId: "park1",
      tempLot: 5,
      inParkNum: 120,
      totalLot: 80,
    });
    const event = normaliseCallback(
      { event: "vehicleAccess", callbackType: "PARKING_VEHICLE_ACCESS", data: access },
      RECEIVED,
    );
    expect(event).toMatchObject({
      platform: "open",
      callbackType: "PARKING_VEHICLE_ACCESS",
      event: "vehicleAccess",
      direction: "in",
      parkingId: "park1",
      laneNo: "1",
      occurredAt: "2026-11-22T08:00:00.000Z",
    });
    expect(lotUpdateOf(event)).toEqual({
      platform: "open",
      parkingId: "park1",
      totalSpaces: null,
      freeSpaces: 80,
      freeTemporarySpaces: 5,
      vehiclesInside: 120,
      occurredAt: "2026-11-22T08:00:00.000Z",
    });
    const camera = callbacks.PARKING_CAMERA_ONLINE.data.parse({
      parkingId: "park1",
      laneNo: "2",
      time: "2026-11-22 16:00:00",
      status: "0",
    });
    const cameraEvent = normaliseCallback(
      { event: "cameraStatus", callbackType: "PARKING_CAMERA_ONLINE", data: camera },
      RECEIVED,
    );
    expect(laneUpdateOf(cameraEvent)).toMatchObject({ platform: "open", laneNo: "2", online: false });
    const visitor = callbacks.PARKING_VISITOR.data.parse({
      parkingId: "park1",
      vehicleCode: "鲁A12345",
      startTime: "2026-11-22",
      endTime: "2026-11-23",
    });
    expect(
      normaliseCallback({ event: "visitorRegistered", callbackType: "PARKING_VISITOR", data: visitor }, RECEIVED),
    ).toMatchObject({ event: "visitorRegistered", occurredAt: RECEIVED.toISOString(), laneNo: null });
  });
});
