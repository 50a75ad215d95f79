/**
 * Item-by-item paging (shared/src/platform/page-iterator.ts): on its own with scripted pages, then
 * through the client against a fake platform. Also pins that the client checks pages through the
 * compiled fast path (fast-parse.ts) rather than zod, as its stats tell.
 */
import { createPlatformClient, PlatformError, ValidationError } from "@parkbridge/shared";
import { describe, expect, it, vi } from "vitest";
import { concatSources, PageIterator, pagesFrom } from "../../shared/src/platform/page-iterator.js";
import { fakePlatforms, ok, refused, tokenAnswer } from "./helpers/fake-server.js";

/** A scripted source: the pages in order (an Error rejects), counting the fetches. */
function scripted<T>(pages: Array<T[] | Error>) {
  const source = {
    fetches: 0,
    next: async (): Promise<T[] | undefined> => {
      const page = pages[source.fetches++];
      if (page instanceof Error) throw page;
      return page;
    },
  };
  return source;
}

async function collect<T>(iterator: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterator) items.push(item);
  return items;
}

describe("PageIterator", () => {
  it("hands out every item in order, then ends", async () => {
    const source = scripted([[1, 2], [], [3], [4, 5]]);
    const iterator = new PageIterator(source.next);
    expect(await collect(iterator)).toEqual([1, 2, 3, 4, 5]);
    expect(source.fetches).toBe(5); // four pages and the end
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
    expect(source.fetches).toBe(5);
  });

  it("fetches nothing before the first next(), and the next page only once the current one is used up", async () => {
    const source = scripted([[1, 2], [3]]);
    const iterator = new PageIterator(source.next);
    expect(source.fetches).toBe(0);
    expect(await iterator.next()).toEqual({ value: 1, done: false });
    expect(await iterator.next()).toEqual({ value: 2, done: false });
    expect(source.fetches).toBe(1);
    expect(await iterator.next()).toEqual({ value: 3, done: false });
    expect(source.fetches).toBe(2);
  });

  it("break stops it: return() is called and nothing more is fetched", async () => {
    const source = scripted([[1, 2], [3, 4], [5]]);
    const iterator = new PageIterator(source.next);
    const returned = vi.spyOn(iterator, "return");
    for await (const item of iterator) if (item === 3) break;
    expect(returned).toHaveBeenCalledTimes(1);
    expect(source.fetches).toBe(2);
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
    expect(source.fetches).toBe(2);
  });

  it("a failing fetch rejects next() with its error, after the items before it; then it is done", async () => {
    const failure = new Error("page 2 failed");
    const source = scripted<number>([[1, 2], failure, [3]]);
    const iterator = new PageIterator(source.next);
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const item of iterator) seen.push(item);
      })(),
    ).rejects.toBe(failure);
    expect(seen).toEqual([1, 2]);
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
    expect(source.fetches).toBe(2);
  });

  it("next() calls that do not wait for each other share one fetch and keep the order", async () => {
    const source = scripted([[1, 2, 3], [4]]);
    const iterator = new PageIterator(source.next);
    const results = await Promise.all([iterator.next(), iterator.next(), iterator.next(), iterator.next()]);
    expect(results.map((r) => r.value)).toEqual([1, 2, 3, 4]);
    expect(source.fetches).toBe(2);
  });

  it("return() during a fetch drops the page that arrives", async () => {
    let release: (page: number[]) => void = () => {};
    const iterator = new PageIterator(() => new Promise<number[]>((resolve) => (release = resolve)));
    const pending = iterator.next();
    await iterator.return();
    release([1, 2]);
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
  });

  it("is its own async iterator", () => {
    const iterator = new PageIterator(async () => undefined);
    expect(iterator[Symbol.asyncIterator]()).toBe(iterator);
  });
});

describe("pagesFrom and concatSources", () => {
  /** Pages of a fixed list, recording the page numbers asked for. */
  function platform(pages: Array<{ hasMore: boolean; data: number[] }>) {
    const asked: number[] = [];
    const fetchPage = async (pageNo: number) => {
      asked.push(pageNo);
      return pages[pageNo - 1] ?? { hasMore: false, data: [] };
    };
    return { asked, fetchPage };
  }

  it("starts at the given page and stops when hasMore is false", async () => {
    const p = platform([
      { hasMore: true, data: [1] },
      { hasMore: true, data: [2] },
      { hasMore: false, data: [3] },
      { hasMore: true, data: [4] },
    ]);
    expect(await collect(new PageIterator(pagesFrom(2, p.fetchPage)))).toEqual([2, 3]);
    expect(p.asked).toEqual([2, 3]);
  });

  it("stops on an empty page even when hasMore stays true", async () => {
    const p = platform([
      { hasMore: true, data: [1] },
      { hasMore: true, data: [] },
      { hasMore: true, data: [3] },
    ]);
    expect(await collect(new PageIterator(pagesFrom(1, p.fetchPage)))).toEqual([1]);
    expect(p.asked).toEqual([1, 2]);
  });

  it("concatSources makes each source only when the one before is exhausted, skipping empty ones", async () => {
    const made: string[] = [];
    const source = concatSources(function* () {
      for (const [name, pages] of [
        ["a", [[1], [2]]],
        ["b", []],
        ["c", [[3]]],
      ] as const) {
        made.push(name);
        const list = pages.map((page) => [...page]);
        yield async () => list.shift();
      }
    });
    expect(made).toEqual([]);
    const iterator = new PageIterator(source);
    expect(await iterator.next()).toEqual({ value: 1, done: false });
    expect(made).toEqual(["a"]);
    expect(await collect(iterator)).toEqual([2, 3]);
    expect(made).toEqual(["a", "b", "c"]);
  });
});

// ---- through the client -------------------------------------------------------------------------

const platform = fakePlatforms();
const options = { appKey: "k", appSecret: "s", retryDelayMs: 5, timeoutMs: 2000 } as const;
const vehicle = (n: number) => ({ vehicleCode: `鲁A${10000 + n}`, vehicleType: "1", startTime: "2026-1-1" });

describe("client.iterate", () => {
  it("returns an AsyncIterableIterator that is its own iterator", async () => {
    const server = await platform((r) => (r.path === "/getAccessToken" ? tokenAnswer("t") : ok({ data: [] })));
    const iterator = createPlatformClient({ baseUrl: server.url, ...options }).iterate.listVehicles({
      parkingId: "park1",
    });
    expect(iterator[Symbol.asyncIterator]()).toBe(iterator);
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
  });

  it("a refused page rejects the iteration with the platform's error after the earlier pages' items", async () => {
    const server = await platform((request) => {
      if (request.path === "/getAccessToken") return tokenAnswer("tok");
      const { pageNo } = request.body as { pageNo: number };
      return pageNo === 1 ? ok({ hasMore: true, data: [vehicle(1), vehicle(2)] }) : refused("系统繁忙");
    });
    const client = createPlatformClient({ baseUrl: server.url, ...options });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const v of client.iterate.listVehicles({ parkingId: "park1", pageSize: 2 })) seen.push(v.vehicleCode);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformError);
    expect((error as PlatformError).msg).toBe("系统繁忙");
    expect(seen).toEqual([vehicle(1).vehicleCode, vehicle(2).vehicleCode]);
    expect(server.to("/listVehicles").map((r) => r.body?.pageNo)).toEqual([1, 2]);
  });

  it("a bad request is reported by the first next(), before anything is sent", async () => {
    const server = await platform(() => tokenAnswer("tok"));
    const client = createPlatformClient({ baseUrl: server.url, ...options });
    const iterator = client.iterate.listBlacklist({ parkingId: "park1", pageSize: 5000 });
    await expect(iterator.next()).rejects.toBeInstanceOf(ValidationError);
    expect(server.requests).toHaveLength(0);
  });

  it("stopping early in access records fetches no further page or window", async () => {
    const server = await platform((request) => {
      if (request.path === "/getAccessToken") return tokenAnswer("tok");
      const { startTime, pageNo } = request.body as { startTime: string; pageNo: number };
      return ok({
        hasMore: true,
        data: [{ recordId: pageNo, vehicleCode: "鲁A12345", accessType: 1, time: startTime }],
      });
    });
    const client = createPlatformClient({ baseUrl: server.url, ...options });
    let count = 0;
    for await (const _record of client.iterate.listAccessRecords({
      parkingId: "park1",
      pageNo: 3,
      pageSize: 1,
      startTime: "2026-11-20 00:00:00",
      endTime: "2026-11-22 23:59:59",
    })) {
      if (++count === 2) break;
    }
    expect(server.to("/listAccessRecords").map((r) => [r.body?.startTime, r.body?.pageNo])).toEqual([
      ["2026-11-20 00:00:00", 3],
      ["2026-11-20 00:00:00", 4],
    ]);
  });

  it("checks every page through the fast path, which answers it: zod is not called", async () => {
    const server = await platform((request) => {
      if (request.path === "/getAccessToken") return tokenAnswer("tok");
      const { pageNo } = request.body as { pageNo: number };
      return ok({ has_more: pageNo < 3, data: [vehicle(pageNo), vehicle(pageNo + 10)] });
    });
    const client = createPlatformClient({ baseUrl: server.url, ...options });
    const seen = [];
    for await (const v of client.iterate.listVehicles({ parkingId: "park1", pageSize: 2 })) seen.push(v);
    expect(seen).toHaveLength(6);
    // Normalised as the catalogue says (the date padded), which the fast path does as zod would.
    expect(seen[0]).toEqual({ ...vehicle(1), startTime: "2026-01-01" });
    expect(server.to("/listVehicles")).toHaveLength(3);
    expect(client.stats.zodFallbacks).toBe(0);
  });

  it("an answer the fast path refuses still gets zod's message naming the field", async () => {
    const server = await platform((request) =>
      request.path === "/getAccessToken" ? tokenAnswer("tok") : ok({ hasMore: false, data: [{ vehicleType: "1" }] }),
    );
    const client = createPlatformClient({ baseUrl: server.url, ...options, retries: 0 });
    await expect(client.listVehicles({ parkingId: "park1", pageNo: 1, pageSize: 10 })).rejects.toThrow(
      /does not match the catalogue: data\.0\.vehicleCode/,
    );
    expect(client.stats.zodFallbacks).toBe(1);
  });
});
