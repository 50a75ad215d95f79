/**
 * The stored history, read: GET /api/events (newest first, filtered, with an opaque
 * (receivedAt, id) cursor), and the reads of vehicle accesses the status page composes.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { type EventProvenance, type EventsQuery, eventsQuery, isRecognisedPlate } from "@parkbridge/shared";
import { LISTED_LOTS_SQL } from "../callbacks/live-state.js";
import { decodeCursor, olderThan, pageOf } from "../lib/cursor.js";
import { type Query, query } from "../lib/d1-query.js";
import { withD1Retry } from "../lib/d1-retry.js";
import { badInput, errorResponse } from "../lib/errors.js";
import { createRouter } from "../lib/openapi-app.js";
import { maskEventData, maskEventDetails, type PersonalDataView } from "../privacy/mask.js";
import { readView } from "../privacy/views.js";
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

/**
 * A stored event in the one vocabulary: its columns, then its details (laneName, spaces, the kind's
 * own fields). Personal values as `view` shows them (privacy/mask.ts: masked by default).
 */
export function toEventRecord(r: EventDbRow, view: PersonalDataView = "masked"): EventRecord {
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
    ...maskEventDetails(kindFields, view),
    source: r.source,
    recordId: r.record_id,
    data: maskEventData(JSON.parse(r.data), view),
  };
}

export async function listEvents(
  db: D1Database,
  query: EventsQuery,
  view: PersonalDataView = "masked",
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
    const after = olderThan(decodeCursor(query.cursor), "received_at", "id");
    add(after.sql, ...after.params);
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
  return { items: page.map((row) => toEventRecord(row, view)), nextCursor };
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
 * A lot's points from one typed table (its columns with counts picked by `where`, for the prefix
 * given; `inside` and `free` are the row's counts), from the last one before the window (the value
 * it starts with): for a lot with no more points in the window than its chart draws, every one; for
 * a busier one, the last of each slice of the window (slice 0 ends where the window starts: its
 * last point is the one before). Two terms per table: D1 allows few terms in a compound SELECT.
 * Every part is an index seek or a bounded range of (parking_id, occurred_at): the work follows the
 * number of lots and slices, never the traffic.
 */
const occupancyParts = (table: string, where: (prefix: string) => string, inside: string, free: string) => `
 SELECT t.platform, t.parking_id, t.occurred_at, ${inside}, ${free}
   -- CROSS JOIN: lots first (SQLite keeps the order), each one's range of the index.
   FROM ${table}_sized l CROSS JOIN ${table} t ON t.parking_id = l.parking_id
  WHERE NOT l.busy AND t.platform = l.platform AND ${where("t.")}
    AND t.occurred_at >= COALESCE((
      SELECT occurred_at FROM ${table}
       WHERE parking_id = l.parking_id AND platform = l.platform AND occurred_at < ?2 AND ${where("")}
       ORDER BY occurred_at DESC LIMIT 1), ?2)
 UNION
 SELECT t.platform, t.parking_id, t.occurred_at, ${inside}, ${free}
   FROM ${table}_sized l CROSS JOIN slices s CROSS JOIN ${table} t ON t.rowid = (
     SELECT rowid FROM ${table}
      WHERE parking_id = l.parking_id AND platform = l.platform AND occurred_at < s.slice_end
        AND (s.i = 0 OR occurred_at >= ?2) AND ${where("")}
      ORDER BY occurred_at DESC LIMIT 1)
  WHERE l.busy`;

/** Whether each lot has more points in a table's window than its chart draws (counts one more at most). */
const sizedLots = (table: string, where: (prefix: string) => string) => `
 ${table}_sized AS (
   SELECT l.parking_id, l.platform, (SELECT count(*) FROM (
     SELECT 1 FROM ${table}
      WHERE parking_id = l.parking_id AND platform = l.platform AND occurred_at >= ?2 AND ${where("")}
      LIMIT (SELECT points FROM chart) + 1)) > (SELECT points FROM chart) AS busy
     FROM lots l)`;

const accessCounts = (t: string) => `${t}in_park_num IS NOT NULL`;
const reportedCounts = (t: string) => `${t}total_spaces IS NOT NULL AND ${t}free_spaces IS NOT NULL`;

/**
 * ?1: how many lots (live-state.ts lists them), ?2 and ?3: the window's start and end (ISO), ?4: the
 * points of all charts together, ?5 and ?6: the fewest and most points one chart draws. Each lot's
 * chart draws its share of ?4 (between ?5 and ?6), in as many equal slices of the window. A lot's
 * points are its passes that carry counts (the open platform's accesses) and its reports of counts
 * (Ebopark's lot information: inside = capacity - free), each table thinned on its own.
 */
export const OCCUPANCY_SQL = `WITH RECURSIVE lots AS (${LISTED_LOTS_SQL}),
 chart AS (SELECT max(?5, min(?6, ?4 / max(1, (SELECT count(*) FROM lots)))) AS points),
 slices(i, slice_end) AS (
   SELECT 0, ?2
   UNION ALL
   SELECT i + 1, strftime('%Y-%m-%dT%H:%M:%fZ', julianday(?2) + (i + 1) * (julianday(?3) - julianday(?2)) / (SELECT points FROM chart))
     FROM slices WHERE i < (SELECT points FROM chart)),${sizedLots("vehicle_accesses", accessCounts)},${sizedLots("lot_statuses", reportedCounts)}
${occupancyParts("vehicle_accesses", accessCounts, "t.in_park_num", "t.total_lot")}
 UNION
${occupancyParts("lot_statuses", reportedCounts, "t.total_spaces - t.free_spaces", "t.free_spaces")}
 UNION ALL
 -- No point before the window left (the retention pruned them): the newest one pruned (privacy/retention.ts).
 SELECT b.platform, b.parking_id, b.occurred_at, b.in_park_num, b.total_lot
   FROM lots l CROSS JOIN lot_count_baselines b ON b.platform = l.platform AND b.parking_id = l.parking_id
  WHERE b.occurred_at < ?2
    AND NOT EXISTS (SELECT 1 FROM vehicle_accesses WHERE parking_id = l.parking_id AND platform = l.platform
      AND occurred_at < ?2 AND in_park_num IS NOT NULL)
    AND NOT EXISTS (SELECT 1 FROM lot_statuses WHERE parking_id = l.parking_id AND platform = l.platform
      AND occurred_at < ?2 AND total_spaces IS NOT NULL AND free_spaces IS NOT NULL)
 ORDER BY 1, 2, 3`;

/** How many points the occupancy charts of one page draw (status/queries.ts sets them). */
export interface ChartBudget {
  /** All charts together. */
  perPage: number;
  /** One chart, at least and at most. */
  minPerLot: number;
  maxPerLot: number;
}

/**
 * The occupancy of the listed lots (live-state.ts's first `lots` by id) over [fromMs, toMs], keyed
 * by lotKeyOf: per lot, the last point before the window (the value it starts with), then at most
 * its share of the budget's points, oldest first (every point, or the last of each slice). One
 * statement whatever the number of lots.
 */
export const occupancyOfListedLots = (
  db: D1Database,
  window: { lots: number; fromMs: number; toMs: number; budget: ChartBudget },
): Query<Map<string, OccupancyRow[]>> =>
  query<OccupancyRow, Map<string, OccupancyRow[]>>(
    db.prepare(OCCUPANCY_SQL).bind(
      window.lots,
      new Date(window.fromMs).toISOString(),
      // The last slice ends just after the window's end, so a pass at that instant is in it.
      new Date(window.toMs + 1).toISOString(),
      window.budget.perPage,
      window.budget.minPerLot,
      window.budget.maxPerLot,
    ),
    (rows) => {
      const byLot = new Map<string, OccupancyRow[]>();
      for (const row of rows) {
        const key = lotKeyOf(row.platform, row.parking_id);
        const points = byLot.get(key) ?? [];
        points.push(row);
        byLot.set(key, points);
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
  async (c) => {
    const query = c.req.valid("query");
    return c.json(await listEvents(c.env.DB, query, await readView(c, query.personalData, "masked")), 200);
  },
);
