import { createHash } from "node:crypto";
import {
  type CallbackRejection,
  DEFAULT_CALLBACK_WINDOW_MS,
  operations,
  signCallback,
  type VerifiedCallback,
  type VerifyCallbackOptions,
  verifyCallback,
} from "@parkbridge/shared";
import { describe, expect, it } from "vitest";
import { callbackExamples, operationExamples, parseExample } from "./fixtures/seed-examples.js";

const appKey = "app-1";
const secret = "secret-1";
const now = Date.UTC(2026, 10, 22, 1, 2, 3);
const signedHeaders = (timestamp: number = now, key = appKey, withSecret = secret) => ({
  appKey: key,
  timestamp: String(timestamp),
  sign: signCallback(key, timestamp, withSecret),
});
const secretFor = (key: string) => (key === appKey ? secret : undefined);

function verify(overrides: Partial<VerifyCallbackOptions> = {}) {
  return verifyCallback({
    headers: signedHeaders(),
    body: callbackExamples.PARKING_VEHICLE_ACCESS,
    secretFor,
    now,
    ...overrides,
  });
}

async function accepted(overrides: Partial<VerifyCallbackOptions> = {}): Promise<VerifiedCallback> {
  const verdict = await verify(overrides);
  if (!verdict.ok) throw new Error(`rejected: ${verdict.reason}: ${verdict.message}`);
  return verdict;
}

async function rejected(overrides: Partial<VerifyCallbackOptions> = {}): Promise<CallbackRejection> {
  const verdict = await verify(overrides);
  if (verdict.ok) throw new Error("accepted");
  return verdict;
}

/** The access example's body with `data` changed. */
const accessBody = (change: (data: Record<string, unknown>) => void) => {
  const body = parseExample(callbackExamples.PARKING_VEHICLE_ACCESS) as { data: Record<string, unknown> };
  change(body.data);
  return JSON.stringify(body);
};

describe("verifyCallback rejections", () => {
  it.each(["appKey", "timestamp", "sign"])("missing_header: %s absent or blank (401)", async (name) => {
    const { [name as "appKey"]: _dropped, ...rest } = signedHeaders();
    expect(await rejected({ headers: rest })).toMatchObject({ reason: "missing_header", field: name, status: 401 });
    expect(await rejected({ headers: { ...signedHeaders(), [name]: "  " } })).toMatchObject({
      reason: "missing_header",
      field: name,
    });
  });

  it("unknown_app_key (401)", async () => {
    const verdict = await rejected({ headers: signedHeaders(now, "someone-else") });
    expect(verdict).toMatchObject({ reason: "unknown_app_key", field: "appKey", status: 401 });
  });

  it("bad_sign: the wrong secret, a changed timestamp, a truncated sign (401)", async () => {
    expect(await rejected({ headers: signedHeaders(now, appKey, "wrong") })).toMatchObject({
      reason: "bad_sign",
      field: "sign",
      status: 401,
    });
    expect(await rejected({ headers: { ...signedHeaders(), timestamp: String(now + 1) } })).toMatchObject({
      reason: "bad_sign",
    });
    expect(await rejected({ headers: { ...signedHeaders(), sign: signedHeaders().sign.slice(0, 31) } })).toMatchObject({
      reason: "bad_sign",
    });
  });

  it("bad_sign comes before stale_timestamp (a forger learns nothing about the window)", async () => {
    const old = now - 3600_000;
    expect(await rejected({ headers: signedHeaders(old, appKey, "wrong") })).toMatchObject({ reason: "bad_sign" });
  });

  it.each([
    ["past", -DEFAULT_CALLBACK_WINDOW_MS - 1000, /too old/],
    ["future", DEFAULT_CALLBACK_WINDOW_MS + 1000, /in the future/],
  ])("stale_timestamp: %s beyond the window (401)", async (_when, offset, message) => {
    const verdict = await rejected({ headers: signedHeaders(now + offset) });
    expect(verdict).toMatchObject({ reason: "stale_timestamp", field: "timestamp", status: 401 });
    expect(verdict.message).toMatch(message);
  });

  it("the window edges are accepted, and windowMs narrows it", async () => {
    await accepted({ headers: signedHeaders(now - DEFAULT_CALLBACK_WINDOW_MS) });
    await accepted({ headers: signedHeaders(now + DEFAULT_CALLBACK_WINDOW_MS) });
    expect(await rejected({ headers: signedHeaders(now - 2000), windowMs: 1000 })).toMatchObject({
      reason: "stale_timestamp",
    });
  });

  it("stale_timestamp: a timestamp that is not Unix milliseconds", async () => {
    const iso = "2026-11-22T01:02:03Z";
    const verdict = await rejected({
      headers: { appKey, timestamp: iso, sign: signCallback(appKey, iso, secret) },
    });
    expect(verdict).toMatchObject({ reason: "stale_timestamp", field: "timestamp" });
  });

  it.each([
    ["bad JSON", "{callbackType: PARKING_VISITOR", "(body)", /not valid JSON/],
    ["an array", "[]", "(body)", /must be a JSON object/],
    ["a number", "42", "(body)", /must be a JSON object/],
    ["null", "null", "(body)", /must be a JSON object/],
    ["a string", '"PARKING_VISITOR"', "(body)", /must be a JSON object/],
    ["no callbackType", '{"data":{}}', "callbackType", /callbackType is required/],
    ["a numeric callbackType", '{"callbackType":1,"data":{}}', "callbackType", /callbackType is required/],
    ["no data", '{"callbackType":"PARKING_VISITOR"}', "data", /data must be an object/],
    ["data an array", '{"callbackType":"PARKING_VISITOR","data":[]}', "data", /data must be an object/],
  ])("malformed_body: %s (400)", async (_what, body, field, message) => {
    const verdict = await rejected({ body });
    expect(verdict).toMatchObject({ reason: "malformed_body", field, status: 400 });
    expect(verdict.message).toMatch(message);
  });

  it.each([
    ["tempLot not a count", (d: Record<string, unknown>) => (d.tempLot = "many"), "data.tempLot", /whole number/],
    [
      "vehicleCode an object",
      (d: Record<string, unknown>) => (d.vehicleCode = { plate: 1 }),
      "data.vehicleCode",
      /must be a string/,
    ],
    ["accessType 2", (d: Record<string, unknown>) => (d.accessType = "2"), "data.accessType", /0 \(in\) or 1 \(out\)/],
    ["time not a time", (d: Record<string, unknown>) => (d.time = "yesterday"), "data.time", /yyyy-MM-dd HH:mm:ss/],
    ["time impossible", (d: Record<string, unknown>) => (d.time = "2025-02-30 08:00:00"), "data.time", /yyyy-MM-dd/],
    ["laneNo missing", (d: Record<string, unknown>) => delete d.laneNo, "data.laneNo", /is required/],
    ["parkingId missing", (d: Record<string, unknown>) => delete d.parkingId, "data.parkingId", /is required/],
    [
      "vehicleCode empty",
      (d: Record<string, unknown>) => (d.vehicleCode = " "),
      "data.vehicleCode",
      /must not be empty/,
    ],
  ])("malformed_body: %s names the field", async (_what, change, field, reason) => {
    const verdict = await rejected({ body: accessBody(change) });
    expect(verdict).toMatchObject({ reason: "malformed_body", field, status: 400 });
    expect(verdict.message).toMatch(new RegExp(`^${field.replace(".", "\\.")} `));
    expect(verdict.message).toMatch(reason);
  });

  it("malformed_body: a visitor callback without its dates, a camera without status", async () => {
    const visitor = parseExample(callbackExamples.PARKING_VISITOR) as { data: Record<string, unknown> };
    delete visitor.data.endTime;
    expect(await rejected({ body: JSON.stringify(visitor) })).toMatchObject({
      field: "data.endTime",
      message: "data.endTime is required",
    });
    const camera = parseExample(callbackExamples.PARKING_CAMERA_ONLINE) as { data: Record<string, unknown> };
    camera.data.status = "2";
    expect(await rejected({ body: JSON.stringify(camera) })).toMatchObject({ field: "data.status" });
  });

  it("unknown_callback_type (400)", async () => {
    const verdict = await rejected({ body: '{"callbackType":"PARKING_PAYMENT","data":{}}' });
    expect(verdict).toMatchObject({ reason: "unknown_callback_type", field: "callbackType", status: 400 });
    expect(verdict.message).toMatch(/PARKING_PAYMENT.*PARKING_VEHICLE_ACCESS/);
  });

  it("an inherited property name is not a callback type", async () => {
    expect(await rejected({ body: '{"callbackType":"toString","data":{}}' })).toMatchObject({
      reason: "unknown_callback_type",
    });
  });
});

describe("verifyCallback accepts", () => {
  it("headers as a Headers object, or a plain record with any case and array values", async () => {
    const h = signedHeaders();
    await accepted({ headers: new Headers(h) });
    await accepted({ headers: { appkey: [h.appKey], TIMESTAMP: h.timestamp, Sign: h.sign.toUpperCase() } });
  });

  it("an async secret lookup", async () => {
    await accepted({ secretFor: async (key) => secretFor(key) });
  });

  it("returns the identity of the delivery: appKey, timestamp, sign and the body's SHA-256", async () => {
    const verdict = await accepted();
    const expected = createHash("sha256").update(callbackExamples.PARKING_VEHICLE_ACCESS, "utf8").digest("hex");
    expect(verdict).toMatchObject({ appKey, timestamp: now, sign: signedHeaders().sign, bodyDigest: expected });
  });
});

describe("lenient quirks", () => {
  it.each([
    ["0", "in"],
    ["1", "out"],
    [0, "in"],
    [1, "out"],
  ])("callback accessType %j → direction %s, raw value kept", async (accessType, direction) => {
    const verdict = await accepted({ body: accessBody((d) => (d.accessType = accessType)) });
    const data = verdict.event.data as { accessType: string; direction: string };
    expect(data).toMatchObject({ accessType: String(accessType), direction });
  });

  it.each([
    ["1", "in"],
    ["2", "out"],
    [1, "in"],
    [2, "out"],
  ])("access record accessType %j → direction %s, raw value kept", (accessType, direction) => {
    const envelope = parseExample(operationExamples.listAccessRecords) as {
      result: { data: Array<Record<string, unknown>> };
    };
    for (const r of envelope.result.data) r.accessType = accessType;
    const result = operations.listAccessRecords.result.parse(envelope.result);
    expect(result.data.map((r) => [r.accessType, r.direction])).toEqual([
      [String(accessType), direction],
      [String(accessType), direction],
    ]);
  });

  it("unpadded dates are normalised (callbacks and answers)", async () => {
    const access = await accepted({ body: accessBody((d) => (d.time = "2025-3-5 8:3:0")) });
    expect((access.event.data as { time: string }).time).toBe("2025-03-05 08:03:00");

    const visitor = parseExample(callbackExamples.PARKING_VISITOR) as { data: Record<string, unknown> };
    visitor.data.startTime = "2025-3-5";
    const verdict = await accepted({ body: JSON.stringify(visitor) });
    expect((verdict.event.data as { startTime: string }).startTime).toBe("2025-03-05");

    const blacklist = operations.listBlacklist.result.parse({
      hasMore: false,
      data: [{ vehicleCode: "鲁A12345", stopTime: "2023-9-2" }],
    });
    expect(blacklist.data[0]?.stopTime).toBe("2023-09-02");
  });

  it("numbers where strings are expected (and strings where numbers are)", async () => {
    const verdict = await accepted({
      body: accessBody((d) => {
        d.vehicleType = 1;
        d.laneNo = 1;
        d.parkingId = 123;
        d.phoneNum = 13800138000;
        d.tempLot = "50";
      }),
    });
    expect(verdict.event.data).toMatchObject({
      vehicleType: "1",
      laneNo: "1",
      parkingId: "123",
      phoneNum: "13800138000",
      tempLot: 50,
    });
    const camera = parseExample(callbackExamples.PARKING_CAMERA_ONLINE) as { data: Record<string, unknown> };
    camera.data.status = 1;
    camera.data.laneNo = 2;
    const cameraVerdict = await accepted({ body: JSON.stringify(camera) });
    expect(cameraVerdict.event.data).toMatchObject({ status: "1", laneNo: "2", online: true });

    const vehicles = operations.listVehicles.result.parse({
      has_more: true,
      data: [{ vehicleCode: "鲁A12345", vehicleType: 1, workNo: 10001, lotNum: "2" }],
    });
    expect(vehicles).toMatchObject({ hasMore: true, data: [{ vehicleType: "1", workNo: "10001", lotNum: 2 }] });
  });

  it("has_more and hasMore are both read; unknown fields are kept", () => {
    const item = { vehicleCode: "鲁A12345", stopTime: "2023-09-12", reason: "逃费" };
    expect(operations.listBlacklist.result.parse({ has_more: true, data: [item] })).toEqual({
      hasMore: true,
      data: [item],
    });
    expect(operations.listBlacklist.result.parse({ hasMore: false, data: [item] })).toEqual({
      hasMore: false,
      data: [item],
    });
  });

  it("the example callbacks keep unknown extra fields", async () => {
    const verdict = await accepted({ body: accessBody((d) => (d.plateColour = "蓝")) });
    expect(verdict.event.data).toMatchObject({ plateColour: "蓝" });
  });
});
