/**
 * Live state in KV: per lot the latest counts, per lane the camera status and since when.
 * D1 (lot_state, lane_state) is the source of truth; KV is a fast copy written at most once a
 * second per key (KV's limit) and rebuildable from D1. Lots and lanes are keyed by platform and
 * id (the two platforms' lot ids could collide): `lot:<platform>:<parkingId>`,
 * `lane:<platform>:<parkingId>:<laneNo>`. Every write reads the newest row from
 * D1 at write time, so coalescing never loses the last update, and never goes backwards.
 * A KV failure is logged, never raised: it must not fail a callback.
 */

import type { Platform } from "@parkbridge/shared";
import { callbackMaxSkewMs } from "../lib/config.js";
import { type Query, query } from "../lib/d1-query.js";

export interface LotLive {
  platform: Platform;
  parkingId: string;
  /** The lot's name, where its platform reports one (Ebopark's lotInfo). */
  lotName: string | null;
  /** Capacity, where its platform reports it (Ebopark's totalSpace). */
  totalSpaces: number | null;
  freeSpaces: number | null;
  tempLot: number | null;
  inParkNum: number | null;
  /** When the counts were reported (the reporting event's time), ISO UTC. */
  updatedAt: string;
  eventId: string;
}

export interface LaneLive {
  platform: Platform;
  parkingId: string;
  laneNo: string;
  laneName: string | null;
  online: boolean;
  /** Since when the lane has had this status, ISO UTC. */
  since: string;
  updatedAt: string;
  eventId: string;
}

export const lotKey = (platform: Platform, parkingId: string) => `lot:${platform}:${parkingId}`;
export const laneKey = (platform: Platform, parkingId: string, laneNo: string) =>
  `lane:${platform}:${parkingId}:${laneNo}`;

interface LotRow {
  platform: Platform;
  parking_id: string;
  lot_name: string | null;
  total_spaces: number | null;
  total_lot: number | null;
  temp_lot: number | null;
  in_park_num: number | null;
  occurred_at: string;
  event_id: string;
}
interface LaneRow {
  platform: Platform;
  parking_id: string;
  lane_no: string;
  lane_name: string | null;
  online: number;
  since: string;
  occurred_at: string;
  event_id: string;
}

const toLot = (r: LotRow): LotLive => ({
  platform: r.platform,
  parkingId: r.parking_id,
  lotName: r.lot_name,
  totalSpaces: r.total_spaces,
  freeSpaces: r.total_lot,
  tempLot: r.temp_lot,
  inParkNum: r.in_park_num,
  updatedAt: r.occurred_at,
  eventId: r.event_id,
});
export const toLane = (r: LaneRow): LaneLive => ({
  platform: r.platform,
  parkingId: r.parking_id,
  laneNo: r.lane_no,
  laneName: r.lane_name,
  online: r.online === 1,
  since: r.since,
  updatedAt: r.occurred_at,
  eventId: r.event_id,
});

/** The lots of this id: one per platform that reports it (both only where their ids collide). */
export async function readLotsFromD1(db: D1Database, parkingId: string, platform?: Platform): Promise<LotLive[]> {
  const { results } = await db
    .prepare("SELECT * FROM lot_state WHERE parking_id = ?1 AND (?2 IS NULL OR platform = ?2) ORDER BY platform")
    .bind(parkingId, platform ?? null)
    .all<LotRow>();
  return results.map(toLot);
}

export async function readLanesFromD1(
  db: D1Database,
  filter: { parkingId?: string | undefined; platform?: Platform | undefined } = {},
): Promise<LaneLive[]> {
  const { results } = await db
    .prepare(
      `SELECT * FROM lane_state WHERE (?1 IS NULL OR parking_id = ?1) AND (?2 IS NULL OR platform = ?2)
       ORDER BY parking_id, platform, lane_no`,
    )
    .bind(filter.parkingId ?? null, filter.platform ?? null)
    .all<LaneRow>();
  return results.map(toLane);
}

async function readLaneFromD1(
  db: D1Database,
  platform: Platform,
  parkingId: string,
  laneNo: string,
): Promise<LaneLive | undefined> {
  const row = await db
    .prepare("SELECT * FROM lane_state WHERE platform = ? AND parking_id = ? AND lane_no = ?")
    .bind(platform, parkingId, laneNo)
    .first<LaneRow>();
  return row ? toLane(row) : undefined;
}

/**
 * Puts a value unless KV already holds a newer one (another isolate may have written). A value
 * dated further ahead than any event may be (the skew CALLBACK_MAX_SKEW_SECONDS allows) came from
 * a wrong clock before time sanity existed: it is replaced, or it would freeze the key for good.
 */
async function putIfNewer(
  env: { LIVE: KVNamespace; CALLBACK_MAX_SKEW_SECONDS?: string },
  key: string,
  value: { updatedAt: string },
): Promise<void> {
  const current = await env.LIVE.get<{ updatedAt?: string }>(key, "json");
  const latestPossible = new Date(Date.now() + callbackMaxSkewMs(env)).toISOString();
  if (current?.updatedAt && current.updatedAt > value.updatedAt && current.updatedAt <= latestPossible) return;
  await env.LIVE.put(key, JSON.stringify(value));
}

// Per isolate: when each key was last written, and which keys have a write waiting.
const lastWriteAt = new Map<string, number>();
const waiting = new Set<string>();
export const KV_MIN_INTERVAL_MS = 1000;

/**
 * Writes `key` from D1 now, or once the second since its last write has passed. A key that
 * already has a write waiting is skipped: that write reads D1 after its wait, so it carries
 * this update too. Resolves when done (for ctx.waitUntil); never rejects.
 */
export function writeCoalesced(key: string, write: () => Promise<void>, now = Date.now()): Promise<void> {
  if (waiting.has(key)) return Promise.resolve();
  waiting.add(key);
  const wait = Math.max(0, (lastWriteAt.get(key) ?? Number.NEGATIVE_INFINITY) + KV_MIN_INTERVAL_MS - now);
  return (async () => {
    try {
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      waiting.delete(key);
      lastWriteAt.set(key, Date.now());
      await write();
    } catch (error) {
      console.warn(`live state: KV write of ${key} failed (D1 keeps the truth)`, String(error));
    } finally {
      waiting.delete(key);
    }
  })();
}

type LiveEnv = { DB: D1Database; LIVE: KVNamespace; CALLBACK_MAX_SKEW_SECONDS?: string };

export function refreshLot(env: LiveEnv, platform: Platform, parkingId: string): Promise<void> {
  const key = lotKey(platform, parkingId);
  return writeCoalesced(key, async () => {
    const [lot] = await readLotsFromD1(env.DB, parkingId, platform);
    if (lot) await putIfNewer(env, key, lot);
  });
}

export function refreshLane(env: LiveEnv, platform: Platform, parkingId: string, laneNo: string): Promise<void> {
  const key = laneKey(platform, parkingId, laneNo);
  return writeCoalesced(key, async () => {
    const lane = await readLaneFromD1(env.DB, platform, parkingId, laneNo);
    if (lane) await putIfNewer(env, key, lane);
  });
}

/**
 * The lots of this id in KV: of the platform given, else of each platform (read at once).
 * Undefined when KV fails or holds none (a reader then asks D1, the source of truth).
 */
export async function readLotsFromKV(
  kv: KVNamespace,
  parkingId: string,
  platform?: Platform,
): Promise<LotLive[] | undefined> {
  try {
    const keys = platform ? [platform] : (["open", "ebopark"] as const);
    const found = await Promise.all(keys.map((p) => kv.get<LotLive>(lotKey(p, parkingId), "json")));
    const lots = found.filter((lot): lot is LotLive => lot !== null);
    return lots.length ? lots : undefined;
  } catch (error) {
    console.warn("live state: KV read failed, falling back to D1", String(error));
    return undefined;
  }
}

/**
 * Rewrites every live key from D1 (after a KV loss, or to repair drift). The state tables hold
 * one row per lot and per lane, so they are read whole; returns how many keys it wrote.
 */
export async function rebuildLiveState(env: {
  DB: D1Database;
  LIVE: KVNamespace;
}): Promise<{ lots: number; lanes: number }> {
  const { results: lots } = await env.DB.prepare("SELECT * FROM lot_state").all<LotRow>();
  for (const row of lots) await env.LIVE.put(lotKey(row.platform, row.parking_id), JSON.stringify(toLot(row)));
  const { results: lanes } = await env.DB.prepare("SELECT * FROM lane_state").all<LaneRow>();
  for (const row of lanes) {
    await env.LIVE.put(laneKey(row.platform, row.parking_id, row.lane_no), JSON.stringify(toLane(row)));
  }
  return { lots: lots.length, lanes: lanes.length };
}

// ---- reads for composers (the status page, visitor grants): one statement each, for a caller's batch ----

/** The lots a bounded list shows: the first ?1 by id (and platform). Queries of other tables about the same lots embed it. */
export const LISTED_LOTS_SQL = "SELECT * FROM lot_state ORDER BY parking_id, platform LIMIT ?1";

/** The first `limit` lots by id, with their latest counts. */
export const listedLots = (db: D1Database, limit: number): Query<LotLive[]> =>
  query<LotRow, LotLive[]>(db.prepare(LISTED_LOTS_SQL).bind(limit), (rows) => rows.map(toLot));

/** At most `limit` lanes, offline ones first, then by lot and lane. */
export const lanesOfflineFirst = (db: D1Database, limit: number): Query<LaneLive[]> =>
  query<LaneRow, LaneLive[]>(
    db.prepare("SELECT * FROM lane_state ORDER BY online ASC, parking_id, platform, lane_no LIMIT ?1").bind(limit),
    (rows) => rows.map(toLane),
  );

/** The open platform's account whose callbacks report the lot (a lot belongs to one account), if any has. */
export async function accountOfLot(db: D1Database, parkingId: string): Promise<string | undefined> {
  const row = await db
    .prepare("SELECT app_key FROM lot_state WHERE platform = 'open' AND parking_id = ?1")
    .bind(parkingId)
    .first<{ app_key: string }>();
  return row?.app_key;
}
