/**
 * POST /callbacks in the Workers runtime with real D1 and KV: the seed examples are stored and
 * readable, every rejection stores nothing, redeliveries are stored once, live state follows
 * the newest event, and KV can be rebuilt from D1.
 */
import { env } from "cloudflare:workers";
import type { CallbackType } from "@parkbridge/shared";
import { describe, expect, it, vi } from "vitest";
import { laneKey, lotKey, rebuildLiveState } from "../../workers/src/callbacks/live-state.js";
import { callbackExamples } from "../shared/fixtures/seed-examples.js";
import {
  api,
  apiJson,
  cameraStatus,
  counts,
  localTime,
  sendCallback,
  uniqueLot,
  vehicleAccess,
} from "./ingest-support.js";

interface EventList {
  items: Array<Record<string, unknown> & { id: string; data: Record<string, unknown> }>;
  nextCursor: string | null;
}

describe("the seed examples", () => {
  it("each one is accepted, stored once with its raw body and headers, and readable through the API", async () => {
    const eventOf: Record<CallbackType, string> = {
      PARKING_VEHICLE_ACCESS: "vehicleAccess",
      PARKING_CAMERA_ONLINE: "cameraStatus",
      PARKING_VISITOR: "visitorRegistered",
    };
    for (const [callbackType, body] of Object.entries(callbackExamples) as [CallbackType, string][]) {
      const before = await counts();
      const response = await sendCallback(body);
      expect(response.status, callbackType).toBe(200);
      expect(await response.json()).toEqual({ code: 0, msg: "操作成功" });
      const after = await counts();
      expect(after.raw_callbacks - before.raw_callbacks).toBe(1);
      expect(after.events - before.events).toBe(1);

      const raw = await env.DB.prepare(
        "SELECT body, headers, app_key FROM raw_callbacks WHERE callback_type = ? ORDER BY received_at DESC",
      )
        .bind(callbackType)
        .first<{ body: string; headers: string; app_key: string }>();
      expect(raw?.body).toBe(body);
      expect(raw?.app_key).toBe("demo-app-key");
      expect(JSON.parse(raw?.headers ?? "{}")).toMatchObject({ appkey: "demo-app-key" });

      // As stored: a full read (the default masks phones and names, privacy.test.ts).
      const list = await apiJson<EventList>(
        `/api/events?type=${eventOf[callbackType]}&parkingId=park123&personalData=full`,
      );
      const example = JSON.parse(body) as { data: Record<string, unknown> };
      expect(list.items[0]).toMatchObject({
        event: eventOf[callbackType],
        callbackType,
        appKey: "demo-app-key",
        parkingId: "park123",
        data: expect.objectContaining(example.data),
      });
    }

    const access = await apiJson<EventList>("/api/events?type=vehicleAccess&vehicleCode=鲁A12345&parkingId=park123");
    expect(access.items[0]).toMatchObject({
      platform: "open",
      callbackType: "PARKING_VEHICLE_ACCESS",
      vehicleCode: "鲁A12345",
      laneNo: "1",
      direction: "out",
      spaces: { totalSpaces: null, freeSpaces: 200, freeTemporarySpaces: 50, vehiclesInside: 120 },
      occurredAtLocal: "2025-03-15 08:30:00",
      occurredAt: "2025-03-15T00:30:00.000Z",
      data: expect.objectContaining({ direction: "out" }),
    });
    const lot = await apiJson("/api/lots/park123");
    expect(lot).toMatchObject({ parkingId: "park123", freeSpaces: 200, tempLot: 50, inParkNum: 120 });
    expect(lot.updatedAt).toBe("2025-03-15T00:30:00.000Z");
    const lanes = await apiJson<{ items: unknown[]; offline: unknown[] }>("/api/lanes?parkingId=park123");
    expect(lanes.offline).toEqual([
      {
        platform: "open",
        parkingId: "park123",
        laneNo: "1",
        laneName: "入口车道1",
        online: false,
        since: "2025-03-15T01:00:00.000Z",
      },
    ]);
  });
});

describe("rejections store nothing", () => {
  const good = () => JSON.stringify(vehicleAccess({ parkingId: uniqueLot("rej") }));
  const cases: Array<[string, () => Promise<Response>, number, string, string | undefined]> = [
    ["missing appKey header", () => sendCallback(good(), { omit: "appKey" }), 401, "missing_header", "appKey"],
    ["missing timestamp header", () => sendCallback(good(), { omit: "timestamp" }), 401, "missing_header", "timestamp"],
    ["missing sign header", () => sendCallback(good(), { omit: "sign" }), 401, "missing_header", "sign"],
    ["unknown appKey", () => sendCallback(good(), { appKey: "nobody", secret: "x" }), 401, "unknown_app_key", "appKey"],
    ["bad sign", () => sendCallback(good(), { secret: "not-the-secret" }), 401, "bad_sign", "sign"],
    [
      "stale timestamp",
      () => sendCallback(good(), { timestamp: Date.now() - 10 * 60_000 }),
      401,
      "stale_timestamp",
      "timestamp",
    ],
    [
      "future timestamp",
      () => sendCallback(good(), { timestamp: Date.now() + 10 * 60_000 }),
      401,
      "stale_timestamp",
      "timestamp",
    ],
    [
      "malformed JSON",
      () => sendCallback('{"callbackType": "PARKING_VEHICLE_ACCESS", "data": {'),
      400,
      "malformed_body",
      "(body)",
    ],
    ["wrong field type", () => sendCallback(vehicleAccess({ tempLot: "many" })), 400, "malformed_body", "data.tempLot"],
    [
      "missing field",
      () => sendCallback(vehicleAccess({ vehicleCode: undefined })),
      400,
      "malformed_body",
      "data.vehicleCode",
    ],
    [
      "unknown callbackType",
      () => sendCallback({ callbackType: "PARKING_FIRE_ALARM", data: {} }),
      400,
      "unknown_callback_type",
      "callbackType",
    ],
  ];

  const named = cases.map(([name, send, status, reason, field]) => [name, status, reason, field, send] as const);
  it.each(named)("%s → %i %s", async (_name, status, reason, field, send) => {
    const before = await counts();
    const response = await send();
    expect(response.status).toBe(status);
    const answer = (await response.json()) as { code: number; msg: string; reason: string; field?: string };
    expect(answer).toMatchObject({ code: 1, reason, ...(field ? { field } : {}) });
    expect(answer.msg.length).toBeGreaterThan(5);
    expect(await counts()).toEqual(before);
  });

  it("a (timestamp, sign) pair reused with another body → 409 held, nothing stored as history", async () => {
    const timestamp = Date.now();
    const first = await sendCallback(vehicleAccess({ parkingId: uniqueLot("pair") }), { timestamp });
    expect(first.status).toBe(200);
    const before = await counts();
    const forged = await sendCallback(vehicleAccess({ parkingId: uniqueLot("forged"), vehicleCode: "京A00001" }), {
      timestamp,
    });
    expect(forged.status).toBe(409);
    expect(forged.headers.get("retry-after")).toBe("1");
    expect(await forged.json()).toMatchObject({ code: 1, reason: "held_unconfirmed", field: "sign" });
    expect(await counts()).toEqual(before);
  });

  it("a reused pair carrying a visitor booking creates no visitor grant", async () => {
    const timestamp = Date.now();
    expect((await sendCallback(cameraStatus({ parkingId: uniqueLot("pair") }), { timestamp })).status).toBe(200);
    const grantsBefore = await env.DB.prepare("SELECT count(*) AS n FROM visitor_grants").first<{ n: number }>();
    const forged = {
      callbackType: "PARKING_VISITOR",
      data: { parkingId: uniqueLot("v"), vehicleCode: "京A00002", startTime: "2026-11-22", endTime: "2026-11-30" },
    };
    const response = await sendCallback(forged, { timestamp });
    expect(response.status).toBe(409);
    const grantsAfter = await env.DB.prepare("SELECT count(*) AS n FROM visitor_grants").first<{ n: number }>();
    expect(grantsAfter?.n).toBe(grantsBefore?.n);
  });
});

describe("redelivery", () => {
  it("the same body again (the platform's retry: new timestamp and sign) answers success and is stored once", async () => {
    const body = JSON.stringify(vehicleAccess({ parkingId: uniqueLot("dup") }));
    expect((await sendCallback(body, { timestamp: Date.now() - 2000 })).status).toBe(200);
    const before = await counts();
    const again = await sendCallback(body, { timestamp: Date.now() });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ code: 0, msg: "操作成功" });
    const replay = await sendCallback(body, { timestamp: Date.now() - 1000 });
    expect(replay.status).toBe(200);
    expect(await counts()).toEqual(before);
  });

  it("a duplicated visitor booking records one visitor grant", async () => {
    const body = JSON.stringify({
      callbackType: "PARKING_VISITOR",
      data: { parkingId: uniqueLot("vdup"), vehicleCode: "浙A7D001", startTime: "2026-11-22", endTime: "2026-11-23" },
    });
    const grants = () => env.DB.prepare("SELECT count(*) AS n FROM visitor_grants").first<{ n: number }>();
    const before = (await grants())?.n ?? 0;
    expect((await sendCallback(body, { timestamp: Date.now() - 1000 })).status).toBe(200);
    expect((await sendCallback(body)).status).toBe(200);
    expect((await grants())?.n).toBe(before + 1);
  });

  it("the same body from another configured account is another callback", async () => {
    const body = JSON.stringify(cameraStatus({ parkingId: uniqueLot("acct") }));
    const before = await counts();
    expect((await sendCallback(body)).status).toBe(200);
    expect((await sendCallback(body, { appKey: "second-app-key", secret: "second-app-secret" })).status).toBe(200);
    expect((await counts()).raw_callbacks - before.raw_callbacks).toBe(2);
  });
});

describe("live state", () => {
  it("keeps the newest lot counts when events arrive out of order, in D1 and (coalesced) in KV", async () => {
    const parkingId = uniqueLot("live");
    await sendCallback(vehicleAccess({ parkingId, time: localTime(10), totalLot: 90, inParkNum: 110, tempLot: 9 }));
    await sendCallback(vehicleAccess({ parkingId, time: localTime(5), totalLot: 95, inParkNum: 105, tempLot: 14 }));
    const lot = await apiJson(`/api/lots/${parkingId}`);
    expect(lot).toMatchObject({ freeSpaces: 90, inParkNum: 110, tempLot: 9 });

    // KV follows within the coalescing interval, with the newest counts.
    const kv = await vi.waitFor(
      async () => {
        const value = await env.LIVE.get<{ freeSpaces: number }>(lotKey("open", parkingId), "json");
        if (!value) throw new Error("not in KV yet");
        return value;
      },
      { timeout: 5000, interval: 100 },
    );
    expect(kv).toMatchObject({ parkingId, freeSpaces: 90, inParkNum: 110 });
    expect(await apiJson(`/api/lots/${parkingId}`)).toMatchObject({ source: "kv", freeSpaces: 90 });

    // A newer event wins; many within a second coalesce into KV's last value.
    for (let i = 0; i < 5; i++) {
      await sendCallback(
        vehicleAccess({ parkingId, time: localTime(20 + i), totalLot: 80 - i, vehicleCode: `京A1000${i}` }),
      );
    }
    await vi.waitFor(
      async () => {
        const value = await env.LIVE.get<{ freeSpaces: number }>(lotKey("open", parkingId), "json");
        expect(value?.freeSpaces).toBe(76);
      },
      { timeout: 5000, interval: 100 },
    );
  });

  it("reports lane status with the time it began, and which lanes are offline", async () => {
    const parkingId = uniqueLot("lanes");
    await sendCallback(cameraStatus({ parkingId, laneNo: "1", status: "0", time: localTime(0) }));
    await sendCallback(cameraStatus({ parkingId, laneNo: "1", status: "0", time: localTime(3) }));
    await sendCallback(cameraStatus({ parkingId, laneNo: "2", status: "0", time: localTime(1) }));
    await sendCallback(cameraStatus({ parkingId, laneNo: "2", status: "1", time: localTime(4) }));
    // Late and older: ignored.
    await sendCallback(cameraStatus({ parkingId, laneNo: "2", status: "0", time: localTime(2) }));

    const lanes = await apiJson<{ items: Array<Record<string, unknown>>; offline: Array<Record<string, unknown>> }>(
      `/api/lanes?parkingId=${parkingId}`,
    );
    const at = (minutes: number) => new Date(Date.UTC(2026, 10, 22, 0, minutes, 0)).toISOString();
    expect(lanes.items).toEqual([
      { platform: "open", parkingId, laneNo: "1", laneName: "入口1", online: false, since: at(0) },
      { platform: "open", parkingId, laneNo: "2", laneName: "入口1", online: true, since: at(4) },
    ]);
    expect(lanes.offline.map((lane) => lane.laneNo)).toEqual(["1"]);
  });

  it("answers 404 for a lot never seen", async () => {
    const response = await api(`/api/lots/${uniqueLot("never")}`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: "not_found" } });
  });

  it("KV can be rebuilt from D1 after it is lost", async () => {
    const parkingId = uniqueLot("rebuild");
    await sendCallback(vehicleAccess({ parkingId, totalLot: 33, inParkNum: 7, tempLot: 3 }));
    await sendCallback(cameraStatus({ parkingId, laneNo: "9", status: "0" }));
    // Lose every live key (as if the namespace were emptied).
    const { keys } = await env.LIVE.list();
    await Promise.all(keys.map((key) => env.LIVE.delete(key.name)));
    expect(await env.LIVE.get(lotKey("open", parkingId))).toBeNull();

    const rebuilt = await rebuildLiveState(env);
    const lots = await env.DB.prepare("SELECT count(*) AS n FROM lot_state").first<{ n: number }>();
    expect(rebuilt.lots).toBe(lots?.n);
    expect(await env.LIVE.get(lotKey("open", parkingId), "json")).toMatchObject({
      freeSpaces: 33,
      inParkNum: 7,
      tempLot: 3,
    });
    expect(await env.LIVE.get(laneKey("open", parkingId, "9"), "json")).toMatchObject({ online: false });
  });
});
