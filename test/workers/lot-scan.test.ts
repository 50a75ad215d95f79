/**
 * The lot scan's promise, checked over random histories: listVehicles is offset-paged, and the
 * list changes between page reads (deletions, additions anywhere, ours or anyone's). Whatever
 * the changes and whatever order the windows are read in, a scan that says it is complete has
 * seen every authorisation that was there for the whole scan; with no changes it is always
 * complete. The list here is the platform's as the simulator pages it (an array sliced by
 * pageNo and pageSize), so the property is about the paging, not about the simulator.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  edgesOf,
  joinWindows,
  MAX_PAGE_SIZE,
  MIN_OVERLAP,
  scanLot,
  type WindowEdges,
  windowAt,
  windowEnd,
  windowStart,
  windowsFor,
} from "../../workers/src/visitors/lot-scan.js";
import type { Authorisation } from "../../workers/src/visitors/ownership.js";

const SEED = Number(process.env.FC_SEED ?? 1709);

describe("the window sequence", () => {
  it("starts at offset 0, overlaps each window by at least MIN_OVERLAP, and moves on by almost a page", () => {
    expect(windowAt(0)).toEqual({ pageNo: 1, pageSize: MAX_PAGE_SIZE });
    for (let i = 1; i < 300; i++) {
      const [before, window] = [windowAt(i - 1), windowAt(i)];
      expect(window.pageSize).toBeLessThanOrEqual(MAX_PAGE_SIZE);
      expect(windowEnd(before) - windowStart(window)).toBeGreaterThanOrEqual(MIN_OVERLAP);
      expect(windowEnd(window)).toBeGreaterThan(windowEnd(before) + 800);
    }
    // 50,000 authorisations in 53 requests (50 plain pages would miss entries when the list shifts).
    expect(windowsFor(50_000)).toBe(53);
    expect(windowsFor(0)).toBe(1);
  });
});

/** A lot's list that changes under the reader: the changes scheduled before each read are applied first. */
function platformList(initial: string[]) {
  const list = [...initial];
  return {
    list,
    read(pageNo: number, pageSize: number) {
      const start = (pageNo - 1) * pageSize;
      return { plates: list.slice(start, start + pageSize), hasMore: start + pageSize < list.length };
    },
  };
}

/** Changes before one read: deletions and additions clustered somewhere in the list (a burst, ours or anyone's). */
const burst = fc.record({
  deletions: fc.nat({ max: 120 }),
  additions: fc.nat({ max: 60 }),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
});

const history = fc.record({
  size: fc.integer({ min: 0, max: 6_000 }),
  bursts: fc.array(fc.option(burst, { freq: 2 }), { maxLength: 12 }),
  order: fc.constantFrom("ascending", "descending", "shuffled"),
  shuffle: fc.nat(),
});

describe("a scan that says it is complete has seen every authorisation present throughout", () => {
  it("holds over random changes between reads, in any read order", () => {
    let missedWithoutJoin = 0;
    fc.assert(
      fc.property(history, ({ size, bursts, order, shuffle }) => {
        const initial = Array.from({ length: size }, (_, i) => `P${i}`);
        const platform = platformList(initial);
        let added = 0;
        const deleted = new Set<string>();
        const apply = (change: { deletions: number; additions: number; at: number } | null) => {
          if (!change) return;
          const at = Math.floor(change.at * platform.list.length);
          for (const gone of platform.list.splice(at, change.deletions)) deleted.add(gone);
          platform.list.splice(at, 0, ...Array.from({ length: change.additions }, () => `N${added++}`));
        };
        // The planned windows (the size as of the last scan), read in the chosen order, then past the plan while there is more.
        const planned = windowsFor(size);
        const indexes = Array.from({ length: planned }, (_, i) => i);
        if (order === "descending") indexes.reverse();
        if (order === "shuffled") indexes.sort((a, b) => ((a * 7919 + shuffle) % 97) - ((b * 7919 + shuffle) % 97));
        const edges: Array<WindowEdges | undefined> = [];
        const seen = new Set<string>();
        let read = 0;
        const readWindow = (index: number) => {
          apply(bursts[read++] ?? null);
          const window = windowAt(index);
          const page = platform.read(window.pageNo, window.pageSize);
          for (const plate of page.plates) seen.add(plate);
          edges[index] = edgesOf(page.plates, page.hasMore);
        };
        for (const index of indexes) readWindow(index);
        for (let index = planned; edges[index - 1]?.hasMore && index < planned + 20; index++) readWindow(index);

        const join = joinWindows(edges);
        const throughout = initial.filter((plate) => !deleted.has(plate));
        const missed = throughout.filter((plate) => !seen.has(plate));
        if (missed.length > 0) missedWithoutJoin++;
        if (join.complete) expect(missed).toEqual([]);
        // Nothing changed: always complete.
        if (bursts.every((b) => b === null)) expect(join.complete).toBe(true);
      }),
      { seed: SEED, numRuns: 300 },
    );
    // The histories do shift entries past a plain page walk: the check above is not vacuous.
    expect(missedWithoutJoin).toBeGreaterThan(20);
  });

  it("absorbs up to MIN_OVERLAP - 1 deletions below the next window between two reads", () => {
    const initial = Array.from({ length: 4_000 }, (_, i) => `P${i}`);
    const platform = platformList(initial);
    const edges: WindowEdges[] = [];
    for (let index = 0; index < windowsFor(4_000); index++) {
      // Deletions at the start of the list: every later entry moves up by as many.
      platform.list.splice(0, MIN_OVERLAP - 1);
      const window = windowAt(index);
      const page = platform.read(window.pageNo, window.pageSize);
      edges.push(edgesOf(page.plates, page.hasMore));
      if (!page.hasMore) break;
    }
    expect(joinWindows(edges)).toMatchObject({ complete: true });
  });
});

describe("scanLot", () => {
  /** A client whose listVehicles pages `list`, running `between` before every read. */
  const clientOver = (list: Authorisation[], between: () => void = () => {}) =>
    ({
      listVehicles: async ({ pageNo, pageSize }: { pageNo: number; pageSize: number }) => {
        between();
        const start = (pageNo - 1) * pageSize;
        return { hasMore: start + pageSize < list.length, data: list.slice(start, start + pageSize) };
      },
    }) as unknown as Parameters<typeof scanLot>[0];
  const authorisations = (n: number) =>
    Array.from(
      { length: n },
      (_, i) => ({ vehicleCode: `浙A${String(i).padStart(5, "0")}`, vehicleType: "1" }) as Authorisation,
    );

  it("reads a lot of 2,500 in three windows and proves it complete", async () => {
    const listing = await scanLot(clientOver(authorisations(2_500)), "park1");
    expect(listing).toMatchObject({ complete: true, windows: 3 });
    expect(listing.byPlate.size).toBe(2_500);
  });

  it("says a listing is not proof of absence when a burst of deletions shifted it between two reads", async () => {
    const list = authorisations(3_000);
    let reads = 0;
    // Before the second read, 100 authorisations near the start are deleted (someone else's burst).
    const listing = await scanLot(
      clientOver(list, () => {
        if (reads++ === 1) list.splice(10, 100);
      }),
      "park1",
    );
    expect(listing.complete).toBe(false);
    expect(listing.reason).toMatch(/share no plate/);
  });
});
