/**
 * What the status page shows, read straight from D1 (the source of truth; KV is only a cache of
 * the same live state). A composer: each table's owner gives its query (lots and lanes:
 * callbacks/live-state.ts; accesses and occupancy: api/events.ts; grants: visitors/repository.ts;
 * deliveries: delivery/deliveries.ts; held callbacks: callbacks/held.ts; reconciliation:
 * records/status.ts), and all of them run in one D1 batch, ten statements whatever the number of
 * lots. Every list is bounded. Lots and lanes of both platforms are listed together, each marked
 * with its platform.
 */
import type { Platform } from "@parkbridge/shared";
import {
  type AccessRow,
  type BarrierOverrideRow,
  latestAccesses,
  latestBarrierOverrides,
  lotKeyOf,
  type OccupancyRow,
  occupancyOfListedLots,
} from "../api/events.js";
import { type HeldWaitingRow, waitingHeld } from "../callbacks/held.js";
import { type LaneLive, type LotLive, lanesOfflineFirst, listedLots } from "../callbacks/live-state.js";
import { type DeliveryProblemRow, failedDeliveries } from "../delivery/deliveries.js";
import { type Query, runQueries } from "../lib/d1-query.js";
import { maskValue } from "../privacy/mask.js";
import { type ReconciledLotRow, reconciledLots, type TroubleWindowRow, troubleWindows } from "../records/status.js";
import type { GrantRow } from "../visitors/grant.js";
import { activeGrantsEndingBefore } from "../visitors/repository.js";
import type { OccupancyPoint } from "./chart.js";

export type LotStatus = Omit<LotLive, "eventId"> & {
  /** Oldest first; the first may precede the window (the value the window starts with). */
  points: OccupancyPoint[];
};

export type LaneStatus = Pick<LaneLive, "platform" | "parkingId" | "laneNo" | "laneName" | "online" | "since">;

export interface AccessEntry {
  eventId: string;
  platform: Platform;
  parkingId: string;
  vehicleCode: string;
  direction: "in" | "out";
  /** Empty when the report named no lane. */
  laneNo: string;
  laneName: string | null;
  occurredAt: string;
}

/** A barrier lifted by hand or outside the normal flow (Ebopark's abnormal lift). */
export interface BarrierOverrideEntry {
  eventId: string;
  platform: Platform;
  parkingId: string;
  vehicleCode: string | null;
  laneNo: string | null;
  laneName: string | null;
  reason: string | null;
  /** The staff member who lifted it. */
  operatorName: string | null;
  chargeAmount: number | null;
  incomeAmount: number | null;
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

/** A lot the reconciliation reads (records/): what it recovered lately and how far it has read. */
export interface ReconciledLot {
  parkingId: string;
  name: string | null;
  /** Accesses recovered from the platform's records in the last 24 h (their callbacks never came). */
  recovered24h: number;
  /** The latest window read to its end (ISO instants), and when. */
  lastWindow: { from: string; to: string; readAt: string } | null;
}

/** A window of the platform's records that could not be read lately, and why. */
export interface UnreadWindow {
  jobId: string;
  kind: "pass" | "backfill";
  parkingId: string;
  from: string;
  to: string;
  /** pending: retried with backoff; failed: given up after RECONCILE_MAX_ATTEMPTS. */
  status: "pending" | "failed";
  attempts: number;
  lastError: string | null;
  updatedAt: string;
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
  /** The latest barrier overrides, newest first. */
  barrierOverrides: BarrierOverrideEntry[];
  /** Active grants ending within `grantHorizonHours`, soonest first. */
  grantsEndingSoon: Section<GrantEnding>;
  grantHorizonHours: number;
  failedDeliveries: Section<DeliveryProblem>;
  /** Callbacks held unconfirmed that the sender never resent, newest first. */
  heldCallbacks: Section<HeldEntry>;
  /** The history's reconciliation with the platform's records, per lot. */
  reconciledLots: Section<ReconciledLot>;
  /** Windows of records that could not be read in the last 24 h. */
  unreadWindows: Section<UnreadWindow>;
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
  lots: 200,
  lanes: 200,
  accesses: 15,
  overrides: 10,
  /** The charts' points (api/events.ts): a chart's plot is 580 px wide, one step every 2 px at most. */
  chart: { perPage: 12_000, minPerLot: 60, maxPerLot: 290 },
  grants: 20,
  deliveries: 20,
  held: 20,
  reconciledLots: 50,
  unreadWindows: 20,
} as const;

const iso = (ms: number) => new Date(ms).toISOString();

const toReconciledLot = (row: ReconciledLotRow): ReconciledLot => ({
  parkingId: row.parking_id,
  name: row.name,
  recovered24h: row.recovered,
  lastWindow:
    row.last_window_from !== null && row.last_window_to !== null && row.last_read_at !== null
      ? { from: iso(row.last_window_from), to: iso(row.last_window_to), readAt: iso(row.last_read_at) }
      : null,
});

const toUnreadWindow = (row: TroubleWindowRow): UnreadWindow => ({
  jobId: row.job_id,
  kind: row.kind,
  parkingId: row.parking_id,
  from: iso(row.from_at),
  to: iso(row.to_at),
  status: row.status,
  attempts: row.attempts,
  lastError: row.last_error,
  updatedAt: iso(row.updated_at),
});

const toPoint = (row: OccupancyRow): OccupancyPoint => ({
  atMs: Date.parse(row.occurred_at),
  inPark: row.in_park_num,
  free: row.total_lot,
});

const toAccess = (row: AccessRow): AccessEntry => ({
  eventId: row.event_id,
  platform: row.platform as Platform,
  parkingId: row.parking_id,
  vehicleCode: row.vehicle_code,
  direction: row.direction,
  laneNo: row.lane_no,
  laneName: row.lane_name,
  occurredAt: row.occurred_at,
});

const toOverride = (row: BarrierOverrideRow): BarrierOverrideEntry => ({
  eventId: row.event_id,
  platform: row.platform as Platform,
  parkingId: row.parking_id,
  vehicleCode: row.vehicle_code,
  laneNo: row.lane_no,
  laneName: row.lane_name,
  reason: row.reason,
  operatorName: row.operator_name,
  chargeAmount: row.charge_amount,
  incomeAmount: row.income_amount,
  occurredAt: row.occurred_at,
});

const toGrantEnding = (row: GrantRow): GrantEnding => ({
  id: row.id,
  parkingId: row.parking_id,
  vehicleCode: row.vehicle_code,
  // The page is read by whoever is at the screen: names shortened (privacy/mask.ts), no phone.
  visitorName: maskValue("name", row.visitor_name, "masked") as string,
  endsAt: new Date(row.ends_at).toISOString(),
  status: row.status,
  lastError: row.last_error,
});

const toDeliveryProblem = (row: DeliveryProblemRow): DeliveryProblem => ({
  id: row.id,
  subscriptionUrl: row.url,
  event: row.event,
  parkingId: row.parking_id,
  status: row.status as DeliveryProblem["status"],
  attempts: row.attempts,
  lastError: row.last_error,
  updatedAt: row.updated_at,
});

const toHeldEntry = (row: HeldWaitingRow): HeldEntry => ({
  id: row.id,
  callbackType: row.callback_type,
  parkingId: row.parking_id === null ? null : String(row.parking_id),
  vehicleCode: row.vehicle_code === null ? null : String(row.vehicle_code),
  receivedAt: row.received_at,
  attempts: row.attempts,
});

const isMissingTable = (error: unknown) => /no such table/i.test(String(error));

/** One query alone, or undefined while its table's migration is not applied. */
async function unlessMissing<T>(db: D1Database, read: Query<T>): Promise<T | undefined> {
  try {
    return (await runQueries(db, [read]))[0];
  } catch (error) {
    if (isMissingTable(error)) return undefined;
    throw error;
  }
}

function section<Row, T>(found: { items: Row[]; total: number } | undefined, map: (row: Row) => T): Section<T> {
  return found
    ? { available: true, total: found.total, items: found.items.map(map) }
    : { available: false, items: [], total: 0 };
}

export async function loadStatus(db: D1Database, options: StatusQueryOptions = {}): Promise<StatusSnapshot> {
  const nowMs = options.nowMs ?? Date.now();
  const windowHours = options.windowHours ?? 6;
  const grantHorizonHours = options.grantHorizonHours ?? 24;
  const fromMs = nowMs - windowHours * 3_600_000;

  const core = [
    listedLots(db, LIMITS.lots),
    occupancyOfListedLots(db, { lots: LIMITS.lots, fromMs, toMs: nowMs, budget: LIMITS.chart }),
    lanesOfflineFirst(db, LIMITS.lanes),
    latestAccesses(db, LIMITS.accesses),
    latestBarrierOverrides(db, LIMITS.overrides),
  ] as const;
  const grantsQuery = activeGrantsEndingBefore(db, nowMs + grantHorizonHours * 3_600_000, LIMITS.grants);
  const deliveriesQuery = failedDeliveries(db, LIMITS.deliveries);
  const heldQuery = waitingHeld(db, LIMITS.held);
  const dayAgo = nowMs - 86_400_000;
  const reconciledQuery = reconciledLots(db, new Date(dayAgo).toISOString(), LIMITS.reconciledLots);
  const unreadQuery = troubleWindows(db, dayAgo, LIMITS.unreadWindows);

  let lots: LotLive[];
  let occupancy: Map<string, OccupancyRow[]>;
  let lanes: LaneLive[];
  let accesses: AccessRow[];
  let overrides: BarrierOverrideRow[];
  let grants: { items: GrantRow[]; total: number } | undefined;
  let deliveries: { items: DeliveryProblemRow[]; total: number } | undefined;
  let held: { items: HeldWaitingRow[]; total: number } | undefined;
  let reconciled: ReconciledLotRow[] | undefined;
  let unread: { items: TroubleWindowRow[]; total: number } | undefined;
  try {
    [lots, occupancy, lanes, accesses, overrides, grants, deliveries, held, reconciled, unread] = await runQueries(db, [
      ...core,
      grantsQuery,
      deliveriesQuery,
      heldQuery,
      reconciledQuery,
      unreadQuery,
    ]);
  } catch (error) {
    if (!isMissingTable(error)) throw error;
    // Grants, deliveries and held callbacks come with later migrations: until those are applied, the page shows
    // the rest, and says which sections are not set up yet.
    [lots, occupancy, lanes, accesses, overrides] = await runQueries(db, core);
    grants = await unlessMissing(db, grantsQuery);
    deliveries = await unlessMissing(db, deliveriesQuery);
    held = await unlessMissing(db, heldQuery);
    reconciled = await unlessMissing(db, reconciledQuery);
    unread = await unlessMissing(db, unreadQuery);
  }

  return {
    generatedAt: new Date(nowMs).toISOString(),
    windowHours,
    grantHorizonHours,
    grantsEndingSoon: section(grants, toGrantEnding),
    failedDeliveries: section(deliveries, toDeliveryProblem),
    heldCallbacks: section(held, toHeldEntry),
    reconciledLots: section(reconciled && { items: reconciled, total: reconciled.length }, toReconciledLot),
    unreadWindows: section(unread, toUnreadWindow),
    lots: lots.map(({ eventId: _eventId, ...lot }) => ({
      ...lot,
      points: (occupancy.get(lotKeyOf(lot.platform, lot.parkingId)) ?? []).map(toPoint),
    })),
    lanes: lanes.map(({ platform, parkingId, laneNo, laneName, online, since }) => ({
      platform,
      parkingId,
      laneNo,
      laneName,
      online,
      since,
    })),
    latestAccesses: accesses.map(toAccess),
    barrierOverrides: overrides.map(toOverride),
  };
}
