/**
 * What POST /callbacks refuses and keeps, in the Workers runtime with real D1 and KV: every bad
 * value a signed callback can carry is refused with its field and reason and nothing stored;
 * the headers are checked before the body is read, and the body is read with a byte cap; an
 * event whose own time leads its receipt is kept, marked, and cannot freeze the live state.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { formatPlatformTime } from "@parkbridge/shared";
import { describe, expect, it, vi } from "vitest";
import { laneKey, lotKey } from "../../workers/src/callbacks/live-state.js";
import type { Env } from "../../workers/src/env.js";
import worker from "../../workers/src/index.js";
import {
  apiJson,
  cameraStatus,
  counts,
  localTime,
  sendCallback,
  signedHeaders,
  uniqueLot,
  vehicleAccess,
} from "./ingest-support.js";

let last = 0;
const fresh = () => {
  last = Math.max(Date.now(), last + 1);
  return last;
};

/** Every table a callback can write, verified or held. */
async function everything() {
  const tables = ["visitor_grants", "grant_audit", "held_callbacks", "callback_signatures"] as const;
  const more = await env.DB.batch(tables.map((t) => env.DB.prepare(`SELECT count(*) AS n FROM ${t}`)));
  return {
    ...(await counts()),
    ...Object.fromEntries(tables.map((t, i) => [t, (more[i]?.results[0] as { n: number } | undefined)?.n ?? -1])),
  };
}

const accessText = (data: Record<string, unknown>) =>
  JSON.stringify(vehicleAccess({ parkingId: uniqueLot("bad"), ...data }));
/** A valid access callback with one value spliced in as raw JSON text (numbers JSON.stringify would rewrite, escapes). */
const withRaw = (field: string, rawJson: string) => accessText({ [field]: "@@" }).replace('"@@"', rawJson);
const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
const visitor = (startTime: string, endTime: string) =>
  JSON.stringify({
    callbackType: "PARKING_VISITOR",
    data: { parkingId: uniqueLot("vbad"), vehicleCode: "京A55555", startTime, endTime },
  });
const dayOffset = (days: number) => formatPlatformTime(Date.now() + days * 86_400_000, "date");

describe("bad values in a signed callback: 400 naming the field, nothing stored", () => {
  const cases: Array<[string, string, string, RegExp]> = [
    ["a negative count", accessText({ tempLot: -1 }), "data.tempLot", /whole number from 0/],
    ["a negative count as text", accessText({ inParkNum: "-1" }), "data.inParkNum", /whole number from 0/],
    ["a 31-digit count", withRaw("totalLot", "1".repeat(31)), "data.totalLot", /whole number from 0/],
    ["a 400-digit count", withRaw("inParkNum", "9".repeat(400)), "data.inParkNum", /whole number from 0/],
    ["a fractional count", accessText({ tempLot: 1.5 }), "data.tempLot", /whole number/],
    ["a NUL byte in a plate", withRaw("vehicleCode", '"鲁A\\u000012345"'), "data.vehicleCode", /control characters/],
    ["a NUL byte in a lot id", withRaw("parkingId", '"park\\u00001"'), "data.parkingId", /control characters/],
    ["a line break in a lane number", withRaw("laneNo", '"1\\n2"'), "data.laneNo", /control characters/],
    [
      "an unpaired surrogate in a plate",
      withRaw("vehicleCode", '"鲁A1234\\ud800"'),
      "data.vehicleCode",
      /valid Unicode/,
    ],
    ["an unpaired surrogate in a lane name", withRaw("laneName", '"East \\udc00"'), "data.laneName", /valid Unicode/],
    ["a 20,000-character plate", accessText({ vehicleCode: "鲁".repeat(20_000) }), "data.vehicleCode", /at most 32/],
    ["a blank plate", accessText({ vehicleCode: "   " }), "data.vehicleCode", /must not be empty/],
    ["a 65-character lot id", accessText({ parkingId: "p".repeat(65) }), "data.parkingId", /at most 64/],
    [
      "a 3,000-character photo URL",
      accessText({ photo: `http://x/${"a".repeat(3000)}` }),
      "data.photo",
      /at most 2048/,
    ],
    ["a 30,000-level nested extra field", withRaw("extra", nested(30_000)), "data.extra.0.0.0.0.0", /nest/],
    ["a 20,000-character extra field", accessText({ extra: "x".repeat(20_000) }), "data.extra", /at most 16384/],
    ["a NUL byte in an extra field", withRaw("extra", '{"a": "x\\u0000"}'), "data.extra.a", /control characters/],
    ["a control character in an extra key", withRaw("extra", '{"k\\u0001": 1}'), "data.extra.k\\u0001", /a key/],
    [
      "a control character in an extra field of the envelope",
      accessText({}).replace(/}$/, ',"note":"\\u0007"}'),
      "note",
      /control characters/,
    ],
    [
      "a visitor booking ending before it starts",
      visitor("2026-11-22", "2026-11-21"),
      "data.endTime",
      /before startTime/,
    ],
    ["a visitor booking ending in 9999", visitor(dayOffset(0), "9999-12-31"), "data.endTime", /at most 366 days/],
    ["a visitor booking ending 400 days ahead", visitor(dayOffset(0), dayOffset(400)), "data.endTime", /at most 366/],
  ];

  it.each(cases)("%s", async (_name, body, field, reason) => {
    const before = await everything();
    const response = await sendCallback(body, { timestamp: fresh() });
    const answer = (await response.json()) as { code: number; msg: string; reason: string; field: string };
    expect(response.status, answer.msg).toBe(400);
    expect(answer).toMatchObject({ code: 1, reason: "malformed_body", field });
    expect(answer.msg).toMatch(reason);
    expect(answer.msg.startsWith(field)).toBe(true);
    // The pair is checked and bound only with a body the catalogue accepts: nothing at all is written.
    expect(await everything()).toEqual(before);
  });

  it.each([
    ["无牌车", "无牌车"],
    ["未识别", "未识别"],
    ["_无_", "_无_"],
    ["a partial reading (a character lost)", "鲁A1234"],
    ["a plate padded with spaces", "  鲁A12345 "],
    ["a misreading with a space inside", "鲁A 12345"],
    ["a misreading with a placeholder", "鲁A1?345"],
    ["a reading of no known shape", "<script>"],
  ])("what a camera read is kept, never refused: %s", async (_name, plate) => {
    const parkingId = uniqueLot("read");
    const response = await sendCallback(accessText({ parkingId, vehicleCode: plate }), { timestamp: fresh() });
    expect(response.status, await response.clone().text()).toBe(200);
    const stored = await env.DB.prepare("SELECT vehicle_code FROM vehicle_accesses WHERE parking_id = ?")
      .bind(parkingId)
      .first<{ vehicle_code: string }>();
    expect(stored?.vehicle_code).toBe(plate.trim());
    // Kept as received, flagged when it is not a whole plate of a known shape.
    const [event] = (
      await apiJson<{ items: Array<{ plateRecognised: boolean | null }> }>(`/api/events?parkingId=${parkingId}`)
    ).items;
    expect(event?.plateRecognised).toBe(plate.trim() === "鲁A12345");
  });

  it("a visitor booking within the horizon becomes a grant (the positive control)", async () => {
    const response = await sendCallback(visitor(dayOffset(0), dayOffset(30)), { timestamp: fresh() });
    expect(response.status).toBe(200);
  });

  it("a body that is not UTF-8 is refused, never decoded with replacement characters", async () => {
    const bytes = new TextEncoder().encode(accessText({ laneName: "@@" }));
    const at = new TextDecoder().decode(bytes).indexOf("@@");
    const broken = new Uint8Array([...bytes.slice(0, at), 0xff, 0xfe, ...bytes.slice(at + 2)]);
    const before = await everything();
    const ctx = createExecutionContext();
    const response = await worker.fetch(
      new Request("http://worker/callbacks", {
        method: "POST",
        headers: signedHeaders({ timestamp: fresh() }),
        body: broken,
      }),
      env as unknown as Env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      reason: "malformed_body",
      field: "(body)",
      msg: "body is not valid UTF-8",
    });
    expect(await everything()).toEqual(before);
  });
});

/** A body of `size` bytes that counts how much of it was read. */
function countingBody(size: number, chunk = 64 * 1024) {
  const read = { bytes: 0 };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (read.bytes >= size) return controller.close();
      const part = new Uint8Array(Math.min(chunk, size - read.bytes)).fill(0x20);
      read.bytes += part.byteLength;
      controller.enqueue(part);
    },
  });
  return { stream, read };
}

async function post(headers: Record<string, string>, body: BodyInit) {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request("http://worker/callbacks", { method: "POST", headers, body, duplex: "half" } as RequestInit),
    env as unknown as Env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

describe("cheap checks first", () => {
  const FIFTY_MB = 50 * 1024 * 1024;

  it("an unsigned 50 MB body is refused from its headers (401) before any of it is read", async () => {
    const { stream, read } = countingBody(FIFTY_MB);
    const response = await post(
      { "content-type": "application/json", appKey: "demo-app-key", timestamp: "1", sign: "x" },
      stream,
    );
    expect(response.status).toBe(401);
    // The stream may be primed with a chunk; the body itself is never consumed.
    expect(read.bytes).toBeLessThanOrEqual(128 * 1024);
  });

  it("a signed body declaring more than 64 KiB is refused from its Content-Length (413) before it is read", async () => {
    const { stream, read } = countingBody(FIFTY_MB);
    const before = await everything();
    const headers = { ...signedHeaders({ timestamp: fresh() }), "content-length": String(FIFTY_MB) };
    const response = await post(headers, stream);
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ code: 1, reason: "body_too_large", field: "(body)" });
    expect(read.bytes).toBeLessThanOrEqual(128 * 1024);
    expect(await everything()).toEqual(before);
  });

  it("a signed body without a length is counted while it streams and dropped past 64 KiB (413)", async () => {
    const { stream, read } = countingBody(FIFTY_MB, 16 * 1024);
    const before = await everything();
    const response = await post(signedHeaders({ timestamp: fresh() }), stream);
    expect(response.status).toBe(413);
    // Read up to the cap and a chunk or two of lookahead, never the 50 MB.
    expect(read.bytes).toBeLessThanOrEqual(64 * 1024 + 64 * 1024);
    expect(await everything()).toEqual(before);
  });

  it("a body of exactly 64 KiB is read (the cap is inclusive)", async () => {
    const text = accessText({ extra: "" });
    const bytes = new TextEncoder().encode(text).byteLength;
    const padded = text.replace('"extra":""', `"extra":"${" ".repeat(64 * 1024 - bytes)}"`);
    expect(new TextEncoder().encode(padded).byteLength).toBe(64 * 1024);
    const response = await sendCallback(padded, { timestamp: fresh() });
    // Read and parsed: refused by the catalogue's bound on unknown fields, not by the byte cap.
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ field: "data.extra" });
  });
});

describe("time sanity", () => {
  /** A local (UTC+8) time `minutes` from now, as the platform writes it. */
  const fromNow = (minutes: number) => formatPlatformTime(Date.now() + minutes * 60_000, "second");
  // The platform's times have whole seconds: wait until "now" to the second is past every receipt so far.
  const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1010 - (Date.now() % 1000)));
  const lotOf = (lot: string) => env.DB.prepare("SELECT * FROM lot_state WHERE parking_id = ?").bind(lot).first();

  it("an event a year ahead is kept, marked, ordered by its receipt; later normal events still move the live state", async () => {
    const lot = uniqueLot("future");
    expect((await sendCallback(vehicleAccess({ parkingId: lot, time: fromNow(-5), totalLot: 100 }))).status).toBe(200);
    const ahead = fromNow(365 * 24 * 60);
    const started = new Date().toISOString();
    const future = await sendCallback(
      vehicleAccess({ parkingId: lot, time: ahead, totalLot: 7, vehicleCode: "京A40001" }),
    );
    expect(future.status).toBe(200);

    const { items } = await apiJson<{ items: Array<Record<string, unknown>> }>(`/api/events?parkingId=${lot}`);
    const kept = items.find((item) => item.vehicleCode === "京A40001");
    expect(kept).toMatchObject({
      timeSuspect: true,
      occurredAtLocal: ahead,
      data: expect.objectContaining({ time: ahead }),
    });
    expect(kept?.occurredAt).toBe(kept?.receivedAt);
    expect(String(kept?.occurredAt) >= started).toBe(true);
    expect(items.find((item) => item.vehicleCode !== "京A40001")).toMatchObject({ timeSuspect: false });

    // Ordered by receipt it is the newest for now, but its claim does not hold the lot:
    expect(await lotOf(lot)).toMatchObject({ total_lot: 7, occurred_at: kept?.receivedAt });
    // A normal event a moment later (its time, to the second, after that receipt) moves it again.
    await nextSecond();
    expect((await sendCallback(vehicleAccess({ parkingId: lot, time: fromNow(0), totalLot: 55 }))).status).toBe(200);
    expect(await lotOf(lot)).toMatchObject({ total_lot: 55 });
    await vi.waitFor(
      async () => expect(await env.LIVE.get(lotKey("open", lot), "json")).toMatchObject({ freeSpaces: 55 }),
      {
        timeout: 5000,
        interval: 100,
      },
    );
  });

  it("a camera whose clock is far ahead neither loses its reports nor freezes its lane", async () => {
    const lot = uniqueLot("camera-clock");
    const lane = () => env.DB.prepare("SELECT online FROM lane_state WHERE parking_id = ?").bind(lot).first();
    expect(
      (await sendCallback(cameraStatus({ parkingId: lot, status: "0", time: fromNow(10 * 365 * 24 * 60) }))).status,
    ).toBe(200);
    expect(await lane()).toMatchObject({ online: 0 });
    await nextSecond();
    expect((await sendCallback(cameraStatus({ parkingId: lot, status: "1", time: fromNow(0) }))).status).toBe(200);
    expect(await lane()).toMatchObject({ online: 1 });
  });

  it("within the skew (10 minutes) an event's own time stands; a late one never overrides a newer state", async () => {
    const lot = uniqueLot("skew");
    const soon = fromNow(9);
    expect((await sendCallback(vehicleAccess({ parkingId: lot, time: soon, totalLot: 9 }))).status).toBe(200);
    const { items } = await apiJson<{ items: Array<Record<string, unknown>> }>(`/api/events?parkingId=${lot}`);
    expect(items[0]).toMatchObject({ timeSuspect: false, occurredAtLocal: soon });
    expect((await sendCallback(vehicleAccess({ parkingId: lot, time: localTime(0), totalLot: 1 }))).status).toBe(200);
    expect(await lotOf(lot)).toMatchObject({ total_lot: 9 });
  });

  it("CALLBACK_MAX_SKEW_SECONDS sets the skew", async () => {
    const lot = uniqueLot("skew-var");
    const ctx = createExecutionContext();
    const body = JSON.stringify(vehicleAccess({ parkingId: lot, time: fromNow(2) }));
    const response = await worker.fetch(
      new Request("http://worker/callbacks", { method: "POST", headers: signedHeaders({ timestamp: fresh() }), body }),
      { ...(env as unknown as Env), CALLBACK_MAX_SKEW_SECONDS: "60" },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(200);
    const row = await env.DB.prepare("SELECT time_suspect FROM events WHERE parking_id = ?").bind(lot).first();
    expect(row).toEqual({ time_suspect: 1 });
  });

  it("a live value KV kept from a wrong clock (before time sanity) is replaced, not left frozen", async () => {
    const lot = uniqueLot("frozen");
    await env.LIVE.put(
      laneKey("open", lot, "1"),
      JSON.stringify({
        parkingId: lot,
        laneNo: "1",
        online: false,
        since: "2030-01-01T00:00:00.000Z",
        updatedAt: "2030-01-01T00:00:00.000Z",
      }),
    );
    expect(
      (await sendCallback(cameraStatus({ parkingId: lot, laneNo: "1", status: "1", time: fromNow(0) }))).status,
    ).toBe(200);
    await vi.waitFor(
      async () => expect(await env.LIVE.get(laneKey("open", lot, "1"), "json")).toMatchObject({ online: true }),
      { timeout: 5000, interval: 100 },
    );
  });
});
