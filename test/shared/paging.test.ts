import { createPlatformClient, formatPlatformTime, parsePlatformTime } from "@parkbridge/shared";
import { describe, expect, it } from "vitest";
import { type FakeServer, fakePlatforms, type Handler, ok, tokenAnswer } from "./helpers/fake-server.js";

const platform = fakePlatforms();
const options = { appKey: "k", appSecret: "s", retryDelayMs: 5, timeoutMs: 2000 } as const;

const vehicle = (n: number) => ({
  vehicleCode: `鲁A${String(10000 + n)}`,
  vehicleType: "1",
  userName: `车主${n}`,
  startTime: "2026-1-1",
  endTime: "2026-12-31",
});

/** Serves `total` vehicles in pages of the requested size, with the paging flag under `flag`. */
function vehiclesPlatform(total: number, flag: "hasMore" | "has_more"): Handler {
  return (request) => {
    if (request.path === "/getAccessToken") return tokenAnswer("tok");
    const { pageNo, pageSize } = request.body as { pageNo: number; pageSize: number };
    const from = (pageNo - 1) * pageSize;
    const data = Array.from({ length: Math.max(0, Math.min(pageSize, total - from)) }, (_, i) => vehicle(from + i));
    return ok({ [flag]: from + pageSize < total, data });
  };
}

describe("client.iterate follows the pages", () => {
  it.each(["hasMore", "has_more"] as const)("listVehicles following %s", async (flag) => {
    const server = await platform(vehiclesPlatform(7, flag));
    const client = createPlatformClient({ baseUrl: server.url, ...options });
    const seen: string[] = [];
    for await (const v of client.iterate.listVehicles({ parkingId: "park123", pageSize: 3 })) seen.push(v.vehicleCode);
    expect(seen).toEqual(Array.from({ length: 7 }, (_, i) => vehicle(i).vehicleCode));
    expect(server.to("/listVehicles").map((r) => [r.body?.pageNo, r.body?.pageSize])).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
  });

  it("items come out typed and normalised (unpadded dates re-padded)", async () => {
    const server = await platform(vehiclesPlatform(1, "hasMore"));
    const client = createPlatformClient({ baseUrl: server.url, ...options });
    const items = [];
    for await (const v of client.iterate.listVehicles({ parkingId: "park123" })) items.push(v);
    expect(items).toEqual([{ ...vehicle(0), startTime: "2026-01-01" }]);
    expect(server.to("/listVehicles")[0]?.body).toMatchObject({ pageNo: 1, pageSize: 1000 });
  });

  it("starts from the given page and stops on an empty page even if hasMore stays true", async () => {
    const server = await platform((request) => {
      if (request.path === "/getAccessToken") return tokenAnswer("tok");
      const { pageNo } = request.body as { pageNo: number };
      return ok({ hasMore: true, data: pageNo < 4 ? [vehicle(pageNo)] : [] });
    });
    const client = createPlatformClient({ baseUrl: server.url, ...options });
    const seen = [];
    for await (const v of client.iterate.listVehicles({ parkingId: "park123", pageNo: 2, pageSize: 1 })) seen.push(v);
    expect(seen.map((v) => v.vehicleCode)).toEqual([vehicle(2).vehicleCode, vehicle(3).vehicleCode]);
    expect(server.to("/listVehicles").map((r) => r.body?.pageNo)).toEqual([2, 3, 4]);
  });

  it("a missing flag means no more pages", async () => {
    const server = await platform((request) =>
      request.path === "/getAccessToken"
        ? tokenAnswer("tok")
        : ok({ data: [{ vehicleCode: "鲁A12345", stopTime: "2026-12-31" }] }),
    );
    const client = createPlatformClient({ baseUrl: server.url, ...options });
    const seen = [];
    for await (const b of client.iterate.listBlacklist({ parkingId: "park123" })) seen.push(b);
    expect(seen).toHaveLength(1);
    expect(server.to("/listBlacklist")).toHaveLength(1);
  });

  it("stopping early sends no further requests", async () => {
    const server = await platform(vehiclesPlatform(100, "hasMore"));
    const client = createPlatformClient({ baseUrl: server.url, ...options });
    for await (const v of client.iterate.listVehicles({ parkingId: "park123", pageSize: 10 })) {
      if (v.vehicleCode === vehicle(12).vehicleCode) break;
    }
    expect(server.to("/listVehicles")).toHaveLength(2);
  });
});

describe("listAccessRecords splits a long range into ≤24 h windows", () => {
  const second = 1000;
  const start = "2026-11-20 06:00:00";
  const end = "2026-11-22 18:00:00"; // 60 h later
  const ms = (local: string) => parsePlatformTime(local).getTime();

  /** Two records per window (the first and last second), one per page; the platform refuses a window over 24 h. */
  const recordsPlatform: Handler = (request) => {
    if (request.path === "/getAccessToken") return tokenAnswer("tok");
    const { startTime, endTime, pageNo } = request.body as { startTime: string; endTime: string; pageNo: number };
    if (ms(endTime) - ms(startTime) > 24 * 3600 * second)
      return { json: { code: 1, msg: "开始时间和结束时间差不能超过24小时" } };
    const times = [startTime, endTime];
    const time = times[pageNo - 1];
    return ok({
      has_more: pageNo < times.length,
      data: time
        ? [{ recordId: ms(time) / second, vehicleCode: "鲁A12345", accessType: pageNo === 1 ? 1 : 2, time }]
        : [],
    });
  };

  function windowsReceived(server: FakeServer) {
    const seen = new Map<string, [string, string]>();
    for (const r of server.to("/listAccessRecords")) {
      const { startTime, endTime } = r.body as { startTime: string; endTime: string };
      seen.set(`${startTime}|${endTime}`, [startTime, endTime]);
    }
    return [...seen.values()];
  }

  function expectContiguous(windows: Array<[string, string]>) {
    expect(windows[0]?.[0]).toBe(start);
    expect(windows.at(-1)?.[1]).toBe(end);
    windows.forEach(([from, to], i) => {
      expect(ms(to) - ms(from)).toBeLessThanOrEqual(24 * 3600 * second);
      expect(ms(to)).toBeGreaterThanOrEqual(ms(from));
      const next = windows[i + 1];
      // Second precision: the next window starts the second after this one ends (no gap, no overlap).
      if (next) expect(ms(next[0])).toBe(ms(to) + second);
    });
  }

  it("client.listAccessRecords gathers every window's pages", async () => {
    const server = await platform(recordsPlatform);
    const client = createPlatformClient({ baseUrl: server.url, ...options });
    const result = await client.listAccessRecords({
      parkingId: "park123",
      pageNo: 1,
      pageSize: 1,
      startTime: start,
      endTime: end,
    });
    const windows = windowsReceived(server);
    expect(windows).toHaveLength(3);
    expectContiguous(windows);
    expect(result.hasMore).toBe(false);
    expect(result.data.map((r) => r.time)).toEqual(windows.flat());
    expect(result.data.map((r) => r.direction)).toEqual(["in", "out", "in", "out", "in", "out"]);
    // Each window paged from 1.
    expect(server.to("/listAccessRecords").map((r) => r.body?.pageNo)).toEqual([1, 2, 1, 2, 1, 2]);
  });

  it("client.iterate.listAccessRecords yields the same records in order", async () => {
    const server = await platform(recordsPlatform);
    const client = createPlatformClient({ baseUrl: server.url, ...options });
    const times: string[] = [];
    for await (const r of client.iterate.listAccessRecords({
      parkingId: "park123",
      pageSize: 1,
      startTime: start,
      endTime: end,
    })) {
      times.push(r.time);
    }
    const windows = windowsReceived(server);
    expectContiguous(windows);
    expect(times).toEqual(windows.flat());
    expect(server.to("/listAccessRecords").every((r) => r.body?.pageSize === 1)).toBe(true);
  });

  it("a start page applies to the first window only", async () => {
    const server = await platform(recordsPlatform);
    const client = createPlatformClient({ baseUrl: server.url, ...options });
    await client.listAccessRecords({ parkingId: "park123", pageNo: 2, pageSize: 1, startTime: start, endTime: end });
    expect(server.to("/listAccessRecords").map((r) => r.body?.pageNo)).toEqual([2, 1, 2, 1, 2]);
  });

  it.each([
    ["exactly 24 h", "2026-11-21 00:00:00", "2026-11-22 00:00:00", 1],
    ["24 h and a second", "2026-11-21 00:00:00", "2026-11-22 00:00:01", 2],
    ["48 h and a second (two windows of 24 h, a second apart)", "2026-11-20 00:00:00", "2026-11-22 00:00:01", 2],
    ["48 h and two seconds", "2026-11-20 00:00:00", "2026-11-22 00:00:02", 3],
    ["a single instant", "2026-11-21 00:00:00", "2026-11-21 00:00:00", 1],
  ])("%s: windows cover the range exactly", async (_name, from, to, count) => {
    const server = await platform(recordsPlatform);
    const client = createPlatformClient({ baseUrl: server.url, ...options });
    const seen: string[] = [];
    for await (const r of client.iterate.listAccessRecords({ parkingId: "park123", startTime: from, endTime: to }))
      seen.push(r.time);
    const windows = windowsReceived(server);
    expect(windows).toHaveLength(count);
    expect(windows[0]?.[0]).toBe(from);
    expect(windows.at(-1)?.[1]).toBe(to);
    for (const [i, [, windowEnd]] of windows.entries()) {
      const next = windows[i + 1];
      if (next) expect(next[0]).toBe(formatPlatformTime(ms(windowEnd) + second, "second"));
    }
  });

  it("a range within 24 h is one plain call, returned as the platform paged it", async () => {
    const server = await platform(recordsPlatform);
    const client = createPlatformClient({ baseUrl: server.url, ...options });
    const page = await client.listAccessRecords({
      parkingId: "park123",
      pageNo: 1,
      pageSize: 1,
      startTime: "2026-11-22 00:00:00",
      endTime: "2026-11-22 23:59:59",
    });
    expect(page.hasMore).toBe(true);
    expect(page.data).toHaveLength(1);
    expect(server.to("/listAccessRecords")).toHaveLength(1);
  });
});
