/** GET /api/deliveries (outbox rows, newest first) and POST /api/deliveries/{id}/retry (re-send). */
import { createRoute, z } from "@hono/zod-openapi";
import { limitSchema } from "@parkbridge/shared";
import { BEARER_SCHEME } from "../api/auth.js";
import { EventIdSchema } from "../api/schemas.js";
import { decodeCursor, olderThan, pageOf } from "../lib/cursor.js";
import { type Query, query } from "../lib/d1-query.js";
import { withD1Retry } from "../lib/d1-retry.js";
import { ApiError, errorResponse, notFound } from "../lib/errors.js";
import { createRouter } from "../lib/openapi-app.js";
import { enqueueDeliveries } from "./outbox.js";

export const deliveryStatuses = ["pending", "delivered", "failed", "dead"] as const;

export const DeliverySchema = z
  .object({
    id: z.string(),
    subscriptionId: z.string(),
    eventId: z.string(),
    event: EventIdSchema,
    status: z.enum(deliveryStatuses),
    attempts: z.number().int(),
    lastStatus: z.number().int().nullable().openapi({ description: "HTTP status of the last attempt" }),
    lastError: z.string().nullable(),
    nextAttemptAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    deliveredAt: z.string().nullable(),
    claimConfirmedAt: z.string().nullable().openapi({
      description:
        "When the subscriber confirmed its claim, i.e. started its workflow (null: not claimed, as by a receiver that does not claim)",
    }),
  })
  .openapi("Delivery");

interface DeliveryRow {
  id: string;
  subscription_id: string;
  event_id: string;
  event: string;
  status: (typeof deliveryStatuses)[number];
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  next_attempt_at: string;
  created_at: string;
  updated_at: string;
  delivered_at: string | null;
  claim_confirmed_at: string | null;
}

const toDelivery = (r: DeliveryRow) => ({
  id: r.id,
  subscriptionId: r.subscription_id,
  eventId: r.event_id,
  event: r.event,
  status: r.status,
  attempts: r.attempts,
  lastStatus: r.last_status,
  lastError: r.last_error,
  nextAttemptAt: r.status === "pending" || r.status === "failed" ? r.next_attempt_at : null,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  deliveredAt: r.delivered_at,
  claimConfirmedAt: r.claim_confirmed_at,
});

/** A delivery that failed or was given up, with where it goes and what it carries (never the secret). */
export type DeliveryProblemRow = DeliveryRow & { url: string | null; parking_id: string | null };

/**
 * Deliveries whose last attempt failed (retrying) or that were given up (dead), newest first, at
 * most `limit`, and how many there are in all: one statement, for a caller's batch.
 */
export const failedDeliveries = (
  db: D1Database,
  limit: number,
): Query<{ items: DeliveryProblemRow[]; total: number }> =>
  query<DeliveryProblemRow & { total: number }, { items: DeliveryProblemRow[]; total: number }>(
    db
      .prepare(
        // The subscriber's secret is never selected: only where it goes.
        `SELECT d.*, e.event, e.parking_id, s.url,
                (SELECT COUNT(*) FROM deliveries WHERE status IN ('failed', 'dead')) AS total
           FROM deliveries d
           LEFT JOIN subscriptions s ON s.id = d.subscription_id
           LEFT JOIN events e ON e.id = d.event_id
          WHERE d.status IN ('failed', 'dead')
          ORDER BY d.created_at DESC, d.id DESC LIMIT ?1`,
      )
      .bind(limit),
    (rows) => ({ total: rows[0]?.total ?? 0, items: rows.map(({ total: _total, ...row }) => row) }),
  );

const security = [{ [BEARER_SCHEME]: [] }];

export const deliveryRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/api/deliveries",
      tags: ["Subscriptions"],
      summary: "List deliveries, newest first",
      security,
      request: {
        query: z.object({
          status: z.enum(deliveryStatuses).optional(),
          subscriptionId: z.string().optional(),
          cursor: z.string().optional(),
          limit: limitSchema,
        }),
      },
      responses: {
        200: {
          description: "A page of deliveries",
          content: {
            "application/json": {
              schema: z.object({ items: z.array(DeliverySchema), nextCursor: z.string().nullable() }),
            },
          },
        },
        400: errorResponse("A query parameter is invalid"),
        401: errorResponse("Missing or wrong bearer token"),
      },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const where: string[] = [];
      const params: (string | number)[] = [];
      if (query.status) {
        where.push("d.status = ?");
        params.push(query.status);
      }
      if (query.subscriptionId) {
        where.push("d.subscription_id = ?");
        params.push(query.subscriptionId);
      }
      if (query.cursor) {
        const after = olderThan(decodeCursor(query.cursor), "d.created_at", "d.id");
        where.push(after.sql);
        params.push(...after.params);
      }
      const { results } = await withD1Retry(() =>
        c.env.DB.prepare(
          `SELECT d.*, e.event FROM deliveries d JOIN events e ON e.id = d.event_id
           ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
           ORDER BY d.created_at DESC, d.id DESC LIMIT ?`,
        )
          .bind(...params, query.limit + 1)
          .all<DeliveryRow>(),
      );
      const { page, nextCursor } = pageOf(results, query.limit, (r) => ({ at: r.created_at, id: r.id }));
      return c.json({ items: page.map(toDelivery), nextCursor }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/api/deliveries/{id}/retry",
      tags: ["Subscriptions"],
      summary: "Re-send a failed or dead delivery (attempts start again)",
      security,
      request: { params: z.object({ id: z.string() }) },
      responses: {
        202: {
          description: "Queued",
          content: { "application/json": { schema: z.object({ id: z.string(), status: z.literal("pending") }) } },
        },
        401: errorResponse("Missing or wrong bearer token"),
        404: errorResponse("No such delivery"),
        409: errorResponse("Already delivered, or its subscription was deleted"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const now = new Date().toISOString();
      const updated = await c.env.DB.prepare(
        `UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ?
         WHERE id = ? AND status != 'delivered'
           AND (SELECT deleted_at FROM subscriptions WHERE id = deliveries.subscription_id) IS NULL`,
      )
        .bind(now, now, id)
        .run();
      if (!updated.meta.changes) {
        const row = await c.env.DB.prepare("SELECT status FROM deliveries WHERE id = ?")
          .bind(id)
          .first<{ status: string }>();
        if (!row) throw notFound(`delivery ${id}`);
        throw new ApiError(
          409,
          "not_retryable",
          row.status === "delivered"
            ? `delivery ${id} was already delivered`
            : `delivery ${id} belongs to a deleted subscription`,
        );
      }
      try {
        await enqueueDeliveries(c.env.DELIVERIES, [id]);
      } catch (error) {
        // The row is pending and due: the reconciliation sends it if this enqueue was lost.
        console.warn(`delivery ${id}: enqueue failed, left to the reconciliation`, String(error));
      }
      return c.json({ id, status: "pending" as const }, 202);
    },
  );
