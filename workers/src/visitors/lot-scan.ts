/**
 * Reading a lot's authorisations so that a plate not seen is known to be gone.
 *
 * listVehicles is offset-paged (pageNo, pageSize ≤ 1000): a deletion or an addition between two
 * page reads shifts every later entry by one, so a plain page walk can skip an entry that was
 * there all along. Here the pages ("windows") overlap: each starts a few positions before the
 * previous one ends (its pageSize is chosen so that a multiple of it lands there), and two
 * neighbouring windows must share a plate. If they all do, from the first window (offset 0) to
 * one that answered `hasMore: false`, every authorisation present for the whole scan was seen,
 * in whatever order or at whatever times the windows were read (see docs/visitor-expiry.md,
 * "Reading a lot"). A scan whose windows do not all join is still good for what it saw, never
 * for an absence.
 */
import type { PlatformClient } from "@parkbridge/shared";
import type { Authorisation } from "./ownership.js";

/** One listVehicles request: positions [(pageNo - 1) · pageSize, pageNo · pageSize). */
export interface ScanWindow {
  pageNo: number;
  pageSize: number;
}

export const MAX_PAGE_SIZE = 1000;
/** Positions two neighbouring windows share at least: the changes between their reads they absorb. */
export const MIN_OVERLAP = 16;
/** Plates kept of each end of a window to join it with its neighbours (more than any planned overlap). */
export const EDGE_PLATES = 128;

export const windowStart = (w: ScanWindow) => (w.pageNo - 1) * w.pageSize;
export const windowEnd = (w: ScanWindow) => w.pageNo * w.pageSize;

/**
 * The window after `previous`: it starts at least MIN_OVERLAP positions before `previous` ends and
 * reaches as far as a pageSize ≤ 1000 allows (its start must be a multiple of its size).
 */
export function windowAfter(previous: ScanWindow): ScanWindow {
  const limit = windowEnd(previous) - MIN_OVERLAP;
  let best: ScanWindow | undefined;
  for (let size = MAX_PAGE_SIZE; size >= MAX_PAGE_SIZE / 2; size--) {
    const multiple = Math.floor(limit / size);
    if (multiple < 1) continue;
    const candidate = { pageNo: multiple + 1, pageSize: size };
    if (!best || windowEnd(candidate) > windowEnd(best)) best = candidate;
  }
  // Only for windows ending before MIN_OVERLAP + 500 (never: the first window ends at 1000).
  if (!best) throw new Error(`no window after ${JSON.stringify(previous)}`);
  return best;
}

const sequence: ScanWindow[] = [{ pageNo: 1, pageSize: MAX_PAGE_SIZE }];

/** The `index`-th window (0-based) of the one sequence every scan reads: a pure function of `index`. */
export function windowAt(index: number): ScanWindow {
  while (sequence.length <= index) sequence.push(windowAfter(sequence.at(-1) as ScanWindow));
  return sequence[index] as ScanWindow;
}

/** How many windows cover `items` authorisations (at least one: the first window says whether the lot is empty). */
export function windowsFor(items: number): number {
  let count = 1;
  while (windowEnd(windowAt(count - 1)) < items) count++;
  return count;
}

/** What a window's read leaves for joining it with its neighbours. */
export interface WindowEdges {
  /** The first plates of the window, in the platform's order. */
  head: string[];
  /** The last plates of the window. */
  tail: string[];
  count: number;
  hasMore: boolean;
}

export function edgesOf(plates: readonly string[], hasMore: boolean): WindowEdges {
  return {
    head: plates.slice(0, EDGE_PLATES),
    tail: plates.slice(-EDGE_PLATES),
    count: plates.length,
    hasMore,
  };
}

/**
 * Why windows that follow one another (edges in window order) do not join, up to the first that
 * reached the end; null when each shares a plate with the next. `first` numbers the first window.
 */
export function firstBreak(edges: ReadonlyArray<WindowEdges>, first = 0): string | null {
  for (let i = 0; i + 1 < edges.length; i++) {
    const lower = edges[i] as WindowEdges;
    if (!lower.hasMore) return null;
    if (!shareAPlate(lower, edges[i + 1] as WindowEdges)) {
      return `pages ${first + i + 1} and ${first + i + 2} share no plate: the list changed between their reads`;
    }
  }
  return null;
}

/** Whether the end of `lower` and the start of `upper` (the next window) have a plate in common. */
export function shareAPlate(lower: Pick<WindowEdges, "tail">, upper: Pick<WindowEdges, "head">): boolean {
  const tail = new Set(lower.tail);
  return upper.head.some((plate) => tail.has(plate));
}

export type Join =
  | { complete: true /** Windows up to the one that reached the end. */; windows: number }
  | { complete: false; reason: string };

/**
 * Whether windows 0..n (their edges in window order, from the first) prove the listing complete:
 * some window answered `hasMore: false`, and every window before it shares a plate with the next.
 */
export function joinWindows(edges: ReadonlyArray<WindowEdges | undefined>): Join {
  const end = edges.findIndex((e) => e !== undefined && !e.hasMore);
  if (end < 0) return { complete: false, reason: "no page reached the end of the list" };
  const read = edges.slice(0, end + 1);
  const missing = read.indexOf(undefined);
  if (missing >= 0) return { complete: false, reason: `page ${missing + 1} was not read` };
  const broken = firstBreak(read as WindowEdges[]);
  return broken ? { complete: false, reason: broken } : { complete: true, windows: end + 1 };
}

/** A lot's authorisations by plate, and whether a plate missing from them is known to be gone. */
export interface LotListing {
  byPlate: Map<string, Authorisation>;
  complete: boolean;
  /** Why an absence proves nothing, when it does not. */
  reason?: string;
  /** Windows read (platform calls). */
  windows: number;
}

/** Reads one window of a lot. */
export async function readWindow(
  client: PlatformClient,
  parkingId: string,
  window: ScanWindow,
): Promise<{ data: Authorisation[]; hasMore: boolean }> {
  const page = await client.listVehicles({ parkingId, pageNo: window.pageNo, pageSize: window.pageSize });
  return { data: page.data, hasMore: page.hasMore };
}

/**
 * Every authorisation of a lot, window after window until one reaches the end (one request per
 * ~1000 plates), checked for continuity. Later reads of a plate replace earlier ones.
 */
export async function scanLot(client: PlatformClient, parkingId: string): Promise<LotListing> {
  const byPlate = new Map<string, Authorisation>();
  const edges: WindowEdges[] = [];
  for (let index = 0; ; index++) {
    const page = await readWindow(client, parkingId, windowAt(index));
    const plates = page.data.map((item) => String(item.vehicleCode));
    page.data.forEach((item, i) => {
      byPlate.set(plates[i] as string, item);
    });
    edges.push(edgesOf(plates, page.hasMore));
    // An empty window that says there is more: the list moved under us; nothing further will join.
    if (!page.hasMore || page.data.length === 0) break;
  }
  const join = joinWindows(edges);
  return join.complete
    ? { byPlate, complete: true, windows: edges.length }
    : { byPlate, complete: false, reason: join.reason, windows: edges.length };
}
