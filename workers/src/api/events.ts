/**
 * The stored history, read: GET /api/events (newest first, filtered, with an opaque
 * (receivedAt, id) cursor), and the reads of vehicle accesses the status page composes.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { type EventProvenance, type EventsQuery, eventsQuery, isRecognisedPlate } from "@parkbridge/shared";
import { LISTED_LOTS_SQL } from "../callbacks/live-state.js";
import { decodeCursor, pageOf } from "../lib/cursor.js";
import { type Query, query } from "../lib/d1-query.js";
import { withD1Retry } from "../lib/d1-retry.js";
import { badInput, errorResponse } from "../lib/errors.js";
import { createRouter } from "../lib/openapi-app.js";
import { BEARER_SCHEME } from "./auth.js";
import { EventIdSchema, type EventRecord, EventRecordSchema } from "./schemas.js";

/** The shared query (shared/src/edge/requests.ts), its event filter naming the EventId component. */
const EventsQuerySchema = eventsQuery.extend({
  type: EventIdSchema.optional().openapi({ description: eventsQuery.shape.type.description }),
});

export interface EventDbRow {
  id: string;
  platform: string;
  event: string;
  callback_type: string;
  app_key: string;
  parking_id: string;
  vehicle_code: string | null;
  lane_no: string | null;
  occurred_at_local: string;
  occurred_at: string;
  received_at: string;
  data: string;
  /** The vocabulary's own fields (JSON): laneName, spaces and the kind's (workers/src/callbacks/normalise.ts). */
  details: string | null;
  time_suspect: number;
  /** Provenance (migrations/0007): pushed by the platform, or recovered from its records. */
  source: EventProvenance;
  record_id: string | null;
}

/** A stored event in the one vocabulary: its columns, then its details (laneName, spaces, the kind's own fields). */
export function toEventRecord(r: EventDbRow): EventRecord {
  const { laneName = null, spaces = null, ...kindFields } = JSON.parse(r.details ?? "{}") as Record<string, unknown>;
  return {
    id: r.id,
    platform: r.platform as EventRecord["platform"],
    event: r.event,
    callbackType: r.callback_type,
    appKey: r.app_key,
    parkingId: r.parking_id,
    vehicleCode: r.vehicle_code,
    plateRecognised: r.vehicle_code === null ? null : isRecognisedPlate(r.vehicle_code),
    laneNo: r.lane_no,
    laneName: laneName as string | null,
    occurredAtLocal: r.occurred_at_local,
    occurredAt: r.occurred_at,
    receivedAt: r.received_at,
    timeSuspect: r.time_suspect === 1,
    spaces: spaces as EventRecord["spaces"],
    ...kindFields,
    source: r.source,
    recordId: r.record_id,
    data: JSON.parse(r.data),
  };
}

export async function listEvents(
  db: D1Database,
  query: EventsQuery,
): Promise<{ items: EventRecord[]; nextCursor: string | null }> {
  const where: string[] = [];
  const params: (string | number)[] = [];
  const add = (clause: string, ...values: (string | number)[]) => {
    where.push(clause);
    params.push(...values);
  };
  if (query.type) add("event = ?", query.type);
  if (query.platform) add("platform = ?", query.platform);
  if (query.parkingId) add("parking_id = ?", query.parkingId);
  if (query.vehicleCode) add("vehicle_code = ?", query.vehicleCode);
  // A literal, not a parameter: SQLite uses the partial index of recovered events only for a WHERE it can see.
  if (query.source === "platform-records") add("source = 'platform-records'");
  if (query.source === "callback") add("source = 'callback'");
  if (query.since) add("received_at >= ?", query.since);
  if (query.until) add("received_at < ?", query.until);
  if (query.since && query.until && query.since > query.until) throw badInput("since", "must not be after until");
  if (query.cursor) {
    const cursor = decodeCursor(query.cursor);
    add("(received_at < ? OR (received_at = ? AND id < ?))", cursor.at, cursor.at, cursor.id);
  }
  const sql = `SELECT * FROM events ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
    ORDER BY received_at DESC, id DESC LIMIT ?`;
  const { results } = await withD1Retry(() =>
    db
      .prepare(sql)
      .bind(...params, query.limit + 1)
      .all<EventDbRow>(),
  );
  const { page, nextCursor } = pageOf(results, query.limit, (r) => ({ at: r.received_at, id: r.id }));
  return { items: page.map(toEventRecord), nextCursor };
}

/** A vehicle access (a row of vehicle_accesses). */
export interface AccessRow {
  event_id: string;
  platform: string;
  parking_id: string;
  vehicle_code: string;
  direction: "in" | "out";
  lane_no: string;
  lane_name: string | null;
  occurred_at: string;
}

/**
 * The newest `limit` vehicle accesses by arrival (indexed), in the order the passes happened:
 * a retried callback arrives late but sorts where it belongs. Reads `limit * 3` arrivals so that
 * late ones still find their place among the newest.
 */
export const latestAccesses = (db: D1Database, limit: number): Query<AccessRow[]> =>
  query<AccessRow, AccessRow[]>(
    db
      .prepare(
        `SELECT va.event_id, va.platform, va.parking_id, va.vehicle_code, va.direction, va.lane_no, va.lane_name,
                va.occurred_at
           FROM events e JOIN vehicle_accesses va ON va.event_id = e.id
          WHERE e.event = 'vehicleAccess'
          ORDER BY e.received_at DESC, e.id DESC LIMIT ?1`,
      )
      .bind(limit * 3),
    (rows) =>
      rows.sort((a, b) => (a.occurred_at < b.occurred_at ? 1 : a.occurred_at > b.occurred_at ? -1 : 0)).slice(0, limit),
  );

/** A barrier lifted by hand (a row of barrier_overrides). */
export interface BarrierOverrideRow {
  event_id: string;
  platform: string;
  parking_id: string;
  vehicle_code: string | null;
  lane_no: string | null;
  lane_name: string | null;
  reason: string | null;
  operator_name: string | null;
  charge_amount: number | null;
  income_amount: number | null;
  occurred_at: string;
}

/** The newest `limit` barrier overrides by arrival (indexed), newest lift first. */
export const latestBarrierOverrides = (db: D1Database, limit: number): Query<BarrierOverrideRow[]> =>
  query<BarrierOverrideRow, BarrierOverrideRow[]>(
    db
      .prepare(
        `SELECT b.* FROM events e JOIN barrier_overrides b ON b.event_id = e.id
          WHERE e.event = 'barrierOverride'
          ORDER BY e.received_at DESC, e.id DESC LIMIT ?1`,
      )
      .bind(limit),
    (rows) => rows.sort((a, b) => (a.occurred_at < b.occurred_at ? 1 : a.occurred_at > b.occurred_at ? -1 : 0)),
  );

/** A lot's count of vehicles inside after a pass (or a report of its counts). */
export interface OccupancyRow {
  platform: string;
  parking_id: string;
  occurred_at: string;
  in_park_num: number;
  total_lot: number | null;
}

/** A lot's key in the occupancy map: its platform and id (the platforms' ids could collide). */
export const lotKeyOf = (platform: string, parkingId: string) => `${platform}:${parkingId}`;

/**
 * A lot's points from one typed table, in two parts: the last before the window's start, then
 * from the window's start (or from its perLot-th newest point when it has more). `where` picks
 * the rows with counts (of the columns with the prefix given); `inside` and `free` are the row's counts.
 */
const occupancyParts = (table: string, where: (prefix: string) => string, inside: string, free: string) => `
 SELECT t.platform, t.parking_id, t.occurred_at, ${inside}, ${free}
   FROM lots l CROSS JOIN ${table} t ON t.rowid = (
     SELECT rowid FROM ${table}
      WHERE parking_id = l.parking_id AND platform = l.platform AND occurred_at < ?2 AND ${where("")}
      ORDER BY occurred_at DESC LIMIT 1)
 UNION ALL
 SELECT t.platform, t.parking_id, t.occurred_at, ${inside}, ${free}
   -- CROSS JOIN: lots first (SQLite keeps the order), each one's range of the index.
   FROM lots l CROSS JOIN ${table} t ON t.parking_id = l.parking_id
  WHERE t.platform = l.platform AND ${where("t.")}
    AND t.occurred_at >= COALESCE((
      SELECT occurred_at FROM ${table}
       WHERE parking_id = l.parking_id AND platform = l.platform AND occurred_at >= ?2 AND ${where("")}
       ORDER BY occurred_at DESC LIMIT 1 OFFSET ?3 - 1), ?2)`;

/**
 * ?1: how many lots (live-state.ts lists them), ?2: the window's start (ISO), ?3: points per lot
 * at most. A lot's points are its passes that carry counts (the open platform's accesses) and its
 * reports of counts (Ebopark's lot information: inside = capacity - free).
 */
export const OCCUPANCY_SQL = `WITH lots AS (${LISTED_LOTS_SQL})
${occupancyParts("vehicle_accesses", (t) => `${t}in_park_num IS NOT NULL`, "t.in_park_num", "t.total_lot")}
 UNION ALL
${occupancyParts(
  "lot_statuses",
  (t) => `${t}total_spaces IS NOT NULL AND ${t}free_spaces IS NOT NULL`,
  "t.total_spaces - t.free_spaces",
  "t.free_spaces",
)}
 ORDER BY 1, 2, 3`;

/**
 * The occupancy of the listed lots (live-state.ts's first `lots` by id) from `from` on, keyed by
 * lotKeyOf: per lot, the last point before `from` (the value the window starts with) and the
 * newest `perLot` points in the window, oldest first. One statement whatever the number of lots,
 * each part an index range of (parking_id, occurred_at).
 */
export const occupancyOfListedLots = (
  db: D1Database,
  window: { lots: number; from: string; perLot: number },
): Query<Map<string, OccupancyRow[]>> =>
  query<OccupancyRow, Map<string, OccupancyRow[]>>(
    db.prepare(OCCUPANCY_SQL).bind(window.lots, window.from, window.perLot),
    (rows) => {
      const byLot = new Map<string, OccupancyRow[]>();
      for (const row of rows) {
        const key = lotKeyOf(row.platform, row.parking_id);
        const points = byLot.get(key) ?? [];
        points.push(row);
        byLot.set(key, points);
      }
      // Points that share the cutoff's second may exceed perLot: keep the newest perLot (and the one before).
      for (const [lot, points] of byLot) {
        const before = points[0] && points[0].occurred_at < window.from ? 1 : 0;
        const inWindow = points.length - before;
        if (inWindow > window.perLot) byLot.set(lot, [...points.slice(0, before), ...points.slice(-window.perLot)]);
      }
      return byLot;
    },
  );

export const eventRoutes = createRouter().openapi(
  createRoute({
    method: "get",
    path: "/api/events",
    tags: ["Events"],
    summary: "List stored events, newest first",
    security: [{ [BEARER_SCHEME]: [] }],
    request: { query: EventsQuerySchema },
    responses: {
      200: {
        description: "A page of events",
        content: {
          "application/json": {
            schema: z.object({ items: z.array(EventRecordSchema), nextCursor: z.string().nullable() }),
          },
        },
      },
      400: errorResponse("A query parameter is invalid"),
      401: errorResponse("Missing or wrong bearer token"),
    },
  }),
  async (c) => c.json(await listEvents(c.env.DB, c.req.valid("query")), 200),
);
