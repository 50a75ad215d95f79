/**
 * What the status page shows, read straight from D1 (the source of truth; KV is only a
 * cache of the same live state). Every list is bounded, and all queries go in one batch.
 */
import type { OccupancyPoint } from "./chart.js";

export interface LotStatus {
  parkingId: string;
  inParkNum: number | null;
  /** Free spaces in all (the platform's totalLot). */
  freeSpaces: number | null;
  tempLot: number | null;
  updatedAt: string;
  /** Oldest first; the first may precede the window (the value the window starts with). */
  points: OccupancyPoint[];
}

export interface LaneStatus {
  parkingId: string;
  laneNo: string;
  laneName: string | null;
  online: boolean;
  since: string;
}

export interface AccessEntry {
  eventId: string;
  parkingId: string;
  vehicleCode: string;
  direction: "in" | "out";
  laneNo: string;
  laneName: string | null;
  occurredAt: string;
}

export interface GrantEnding {
  id: string;
  parkingId: string;
  vehicleCode: string;
  visitorName: string;
  endsAt: string;
  status: string;
  lastError: string | null;
}

export interface DeliveryProblem {
  id: string;
  subscriptionUrl: string | null;
  event: string | null;
  parkingId: string | null;
  status: "failed" | "dead";
  attempts: number;
  lastError: string | null;
  updatedAt: string;
}

/** A callback held unconfirmed (callbacks/held.ts): what an operator needs to decide on it. */
export interface HeldEntry {
  id: string;
  callbackType: string;
  /** From its body, when it says (the body was never verified). */
  parkingId: string | null;
  vehicleCode: string | null;
  receivedAt: string;
  attempts: number;
}

/** A list from a table another part owns: `available` is false while its migration is not applied. */
export interface Section<T> {
  available: boolean;
  items: T[];
  /** How many there are in all (items is capped). */
  total: number;
}

export interface StatusSnapshot {
  generatedAt: string;
  windowHours: number;
  lots: LotStatus[];
  lanes: LaneStatus[];
  latestAccesses: AccessEntry[];
  /** Active grants ending within `grantHorizonHours`, soonest first. */
  grantsEndingSoon: Section<GrantEnding>;
  grantHorizonHours: number;
  failedDeliveries: Section<DeliveryProblem>;
  /** Callbacks held unconfirmed that the sender never resent, newest first. */
  heldCallbacks: Section<HeldEntry>;
}

export interface StatusQueryOptions {
  nowMs?: number;
  /** Width of the occupancy charts, hours. */
  windowHours?: number;
  /** Active visitor grants ending within this many hours are listed (overdue ones too). */
  grantHorizonHours?: number;
}

/** Bounds keep the page cheap however busy the lots are. */
export const LIMITS = {
  lots: 50,
  lanes: 200,
  accesses: 15,
  pointsPerLot: 2000,
  grants: 20,
  deliveries: 20,
  held: 20,
} as const;

interface LotRow {
  parking_id: string;
  total_lot: number | null;
  temp_lot: number | null;
  in_park_num: number | null;
  occurred_at: string;
}
interface PointRow {
  occurred_at: string;
  in_park_num: number;
  total_lot: number | null;
}
interface LaneRow {
  parking_id: string;
  lane_no: string;
  lane_name: string | null;
  online: number;
  since: string;
}
interface AccessRow {
  event_id: string;
  parking_id: string;
  vehicle_code: string;
  direction: "in" | "out";
  lane_no: string;
  lane_name: string | null;
  occurred_at: string;
}

interface GrantRow {
  id: string;
  parking_id: string;
  vehicle_code: string;
  visitor_name: string;
  ends_at: number;
  status: string;
  last_error: string | null;
}
interface DeliveryRow {
  id: string;
  url: string | null;
  event: string | null;
  parking_id: string | null;
  status: "failed" | "dead";
  attempts: number;
  last_error: string | null;
  updated_at: string;
}

/**
 * Runs a query on a table another migration creates; while that migration is not applied
 * (a Worker deployed before `d1 migrations apply`), the page shows the rest instead of failing.
 */
async function optionalTable<T>(query: () => Promise<Section<T>>): Promise<Section<T>> {
  try {
    return await query();
  } catch (error) {
    if (/no such table/i.test(String(error))) return { available: false, items: [], total: 0 };
    throw error;
  }
}

/** Active grants ending before `untilMs`, soonest first, including overdue ones (a stalled sweep shows here). */
function loadGrantsEndingSoon(db: D1Database, untilMs: number): Promise<Section<GrantEnding>> {
  return optionalTable(async () => {
    const [rows, count] = await db.batch([
      db
        .prepare(
          `SELECT id, parking_id, vehicle_code, visitor_name, ends_at, status, last_error FROM visitor_grants
            WHERE status = 'active' AND ends_at <= ?1 ORDER BY ends_at LIMIT ?2`,
        )
        .bind(untilMs, LIMITS.grants),
      db.prepare(`SELECT COUNT(*) AS n FROM visitor_grants WHERE status = 'active' AND ends_at <= ?1`).bind(untilMs),
    ]);
    return {
      available: true,
      total: ((count?.results[0] as { n: number } | undefined)?.n ?? 0) as number,
      items: ((rows?.results ?? []) as GrantRow[]).map((row) => ({
        id: row.id,
        parkingId: row.parking_id,
        vehicleCode: row.vehicle_code,
        visitorName: row.visitor_name,
        endsAt: new Date(row.ends_at).toISOString(),
        status: row.status,
        lastError: row.last_error,
      })),
    };
  });
}

/** Deliveries whose last attempt failed (retrying) or that were given up (dead), newest first. */
function loadFailedDeliveries(db: D1Database): Promise<Section<DeliveryProblem>> {
  return optionalTable(async () => {
    const [rows, count] = await db.batch([
      // The subscriber's secret is never selected: only where it goes.
      db
        .prepare(
          `SELECT d.id, s.url, e.event, e.parking_id, d.status, d.attempts, d.last_error, d.updated_at
             FROM deliveries d
             LEFT JOIN subscriptions s ON s.id = d.subscription_id
             LEFT JOIN events e ON e.id = d.event_id
            WHERE d.status IN ('failed', 'dead')
            ORDER BY d.created_at DESC, d.id DESC LIMIT ?1`,
        )
        .bind(LIMITS.deliveries),
      db.prepare(`SELECT COUNT(*) AS n FROM deliveries WHERE status IN ('failed', 'dead')`),
    ]);
    return {
      available: true,
      total: ((count?.results[0] as { n: number } | undefined)?.n ?? 0) as number,
      items: ((rows?.results ?? []) as DeliveryRow[]).map((row) => ({
        id: row.id,
        subscriptionUrl: row.url,
        event: row.event,
        parkingId: row.parking_id,
        status: row.status,
        attempts: row.attempts,
        lastError: row.last_error,
        updatedAt: row.updated_at,
      })),
    };
  });
}

/** Held callbacks still waiting (the sender never resent them), newest first. */
function loadHeldCallbacks(db: D1Database): Promise<Section<HeldEntry>> {
  return optionalTable(async () => {
    const [rows, count] = await db.batch([
      db
        .prepare(
          `SELECT id, callback_type, body ->> '$.data.parkingId' AS parking_id,
                  body ->> '$.data.vehicleCode' AS vehicle_code, received_at, attempts
             FROM held_callbacks WHERE status = 'held'
            ORDER BY received_at DESC, id DESC LIMIT ?1`,
        )
        .bind(LIMITS.held),
      db.prepare(`SELECT COUNT(*) AS n FROM held_callbacks WHERE status = 'held'`),
    ]);
    const text = (value: unknown) => (value === null || value === undefined ? null : String(value));
    return {
      available: true,
      total: ((count?.results[0] as { n: number } | undefined)?.n ?? 0) as number,
      items: ((rows?.results ?? []) as Record<string, unknown>[]).map((row) => ({
        id: String(row.id),
        callbackType: String(row.callback_type),
        parkingId: text(row.parking_id),
        vehicleCode: text(row.vehicle_code),
        receivedAt: String(row.received_at),
        attempts: Number(row.attempts),
      })),
    };
  });
}

const toPoint = (row: PointRow): OccupancyPoint => ({
  atMs: Date.parse(row.occurred_at),
  inPark: row.in_park_num,
  free: row.total_lot,
});

export async function loadStatus(db: D1Database, options: StatusQueryOptions = {}): Promise<StatusSnapshot> {
  const nowMs = options.nowMs ?? Date.now();
  const windowHours = options.windowHours ?? 6;
  const grantHorizonHours = options.grantHorizonHours ?? 24;
  const from = new Date(nowMs - windowHours * 3_600_000).toISOString();

  const lotRows = await db
    .prepare(
      `SELECT parking_id, total_lot, temp_lot, in_park_num, occurred_at
         FROM lot_state ORDER BY parking_id LIMIT ?1`,
    )
    .bind(LIMITS.lots)
    .all<LotRow>();

  const perLot = lotRows.results.flatMap((lot) => [
    // The value the window starts with: the last pass before it.
    db
      .prepare(
        `SELECT occurred_at, in_park_num, total_lot FROM vehicle_accesses
          WHERE parking_id = ?1 AND occurred_at < ?2 AND in_park_num IS NOT NULL
          ORDER BY occurred_at DESC LIMIT 1`,
      )
      .bind(lot.parking_id, from),
    // The newest passes of the window, at most pointsPerLot of them.
    db
      .prepare(
        `SELECT occurred_at, in_park_num, total_lot FROM vehicle_accesses
          WHERE parking_id = ?1 AND occurred_at >= ?2 AND in_park_num IS NOT NULL
          ORDER BY occurred_at DESC LIMIT ?3`,
      )
      .bind(lot.parking_id, from, LIMITS.pointsPerLot),
  ]);
  const [laneResult, accessResult, ...pointResults] = await db.batch([
    db
      .prepare(
        `SELECT parking_id, lane_no, lane_name, online, since FROM lane_state
          ORDER BY online ASC, parking_id, lane_no LIMIT ?1`,
      )
      .bind(LIMITS.lanes),
    db
      .prepare(
        `SELECT va.event_id, va.parking_id, va.vehicle_code, va.direction, va.lane_no, va.lane_name, va.occurred_at
           FROM events e JOIN vehicle_accesses va ON va.event_id = e.id
          WHERE e.event = 'vehicleAccess'
          ORDER BY e.received_at DESC, e.id DESC LIMIT ?1`,
      )
      // The newest arrivals (indexed), shown in the order the passes happened: a retried
      // callback arrives late but sorts where it belongs.
      .bind(LIMITS.accesses * 3),
    ...perLot,
  ]);

  const lots = lotRows.results.map((lot, i): LotStatus => {
    const before = (pointResults[2 * i]?.results ?? []) as PointRow[];
    const inWindow = (pointResults[2 * i + 1]?.results ?? []) as PointRow[];
    return {
      parkingId: lot.parking_id,
      inParkNum: lot.in_park_num,
      freeSpaces: lot.total_lot,
      tempLot: lot.temp_lot,
      updatedAt: lot.occurred_at,
      points: [...before, ...inWindow.reverse()].map(toPoint),
    };
  });

  const [grantsEndingSoon, failedDeliveries, heldCallbacks] = await Promise.all([
    loadGrantsEndingSoon(db, nowMs + grantHorizonHours * 3_600_000),
    loadFailedDeliveries(db),
    loadHeldCallbacks(db),
  ]);

  return {
    generatedAt: new Date(nowMs).toISOString(),
    windowHours,
    grantHorizonHours,
    grantsEndingSoon,
    failedDeliveries,
    heldCallbacks,
    lots,
    lanes: ((laneResult?.results ?? []) as LaneRow[]).map((row) => ({
      parkingId: row.parking_id,
      laneNo: row.lane_no,
      laneName: row.lane_name,
      online: row.online === 1,
      since: row.since,
    })),
    latestAccesses: ((accessResult?.results ?? []) as AccessRow[])
      .sort((a, b) => (a.occurred_at < b.occurred_at ? 1 : a.occurred_at > b.occurred_at ? -1 : 0))
      .slice(0, LIMITS.accesses)
      .map((row) => ({
        eventId: row.event_id,
        parkingId: row.parking_id,
        vehicleCode: row.vehicle_code,
        direction: row.direction,
        laneNo: row.lane_no,
        laneName: row.lane_name,
        occurredAt: row.occurred_at,
      })),
  };
}
