/** GET /api/events: stored events, newest first, filtered, with an opaque (receivedAt, id) cursor. */
import { createRoute, z } from "@hono/zod-openapi";
import { decodeCursor, pageOf } from "../lib/cursor.js";
import { withD1Retry } from "../lib/d1-retry.js";
import { badInput, errorResponse } from "../lib/errors.js";
import { createRouter } from "../lib/openapi-app.js";
import { BEARER_SCHEME } from "./auth.js";
import { EventIdSchema, type EventRecord, EventRecordSchema, instant, limitSchema } from "./schemas.js";

export const EventsQuerySchema = z.object({
  type: EventIdSchema.optional().openapi({ description: "Only this event" }),
  parkingId: z.string().min(1).optional(),
  vehicleCode: z.string().min(1).optional(),
  since: instant("since").optional().openapi({ description: "Received at or after, ISO 8601" }),
  until: instant("until").optional().openapi({ description: "Received before, ISO 8601" }),
  cursor: z.string().optional().openapi({ description: "nextCursor of the previous page" }),
  limit: limitSchema,
});
export type EventsQuery = z.output<typeof EventsQuerySchema>;

interface EventDbRow {
  id: string;
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
  time_suspect: number;
}

export const toEventRecord = (r: EventDbRow): EventRecord => ({
  id: r.id,
  event: r.event,
  callbackType: r.callback_type,
  appKey: r.app_key,
  parkingId: r.parking_id,
  vehicleCode: r.vehicle_code,
  laneNo: r.lane_no,
  occurredAtLocal: r.occurred_at_local,
  occurredAt: r.occurred_at,
  receivedAt: r.received_at,
  timeSuspect: r.time_suspect === 1,
  data: JSON.parse(r.data),
});

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
  if (query.parkingId) add("parking_id = ?", query.parkingId);
  if (query.vehicleCode) add("vehicle_code = ?", query.vehicleCode);
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
