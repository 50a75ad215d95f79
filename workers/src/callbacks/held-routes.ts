/**
 * /api/held-callbacks: callbacks held unconfirmed (held.ts), for an operator to see and to
 * release (store as verified history) or discard. Bearer auth is the `/api/*` middleware's job.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { limitSchema } from "@parkbridge/shared";
import { BEARER_SCHEME } from "../api/auth.js";
import { decodeCursor, olderThan, pageOf } from "../lib/cursor.js";
import { withD1Retry } from "../lib/d1-retry.js";
import { bodyErrorResponses, errorResponse } from "../lib/errors.js";
import { createRouter } from "../lib/openapi-app.js";
import { discardHeld, getHeld, type HeldRow, heldAudit, heldStatuses, toHeldCallback } from "./held.js";
import { openPlatform } from "./open-platform.js";
import { releaseHeld } from "./pipeline.js";

const HeldCallbackSchema = z
  .object({
    id: z.string().openapi({ example: "hld_0mhx3k2a1f3c9e0d2b4a6c8e" }),
    source: z.string().openapi({ example: "open-platform" }),
    appKey: z.string(),
    callbackType: z.string(),
    status: z.enum(heldStatuses).openapi({
      description:
        "held: waiting for the sender to resend it under a fresh signature; confirmed: it did; released: an operator stored it; discarded: an operator refused it",
    }),
    body: z
      .string()
      .openapi({ description: "The raw body as received: never verified. Empty once resolved for 30 days." }),
    timestamp: z.number().int().openapi({ description: "The timestamp of the pair it shared (Unix ms)" }),
    clientIp: z.string().nullable(),
    receivedAt: z.string().openapi({ description: "ISO 8601 UTC" }),
    lastSeenAt: z.string(),
    attempts: z.number().int().openapi({ description: "How often it came under a pair bound to another body" }),
    eventId: z.string().nullable().openapi({ description: "The event it became (confirmed, released)" }),
    resolvedAt: z.string().nullable(),
    resolvedBy: z.string().nullable().openapi({ description: "platform, api, status-page" }),
    note: z.string().nullable(),
  })
  .openapi("HeldCallback");

const HeldAuditSchema = z.object({
  at: z.string(),
  actor: z.string(),
  action: z.enum(heldStatuses),
  detail: z.unknown(),
});

const NoteBody = z
  .strictObject({ note: z.string().max(500, { error: "must be at most 500 characters" }).optional() })
  .openapi("HeldCallbackDecision");

const security = [{ [BEARER_SCHEME]: [] }];
const idParam = z.object({ id: z.string().min(1) });

const decision = (action: "release" | "discard", summary: string, description: string) =>
  createRoute({
    method: "post",
    path: `/api/held-callbacks/{id}/${action}`,
    tags: ["Callbacks"],
    summary,
    description,
    security,
    request: {
      params: idParam,
      body: { required: false, content: { "application/json": { schema: NoteBody } } },
    },
    responses: {
      200: { description: "Resolved", content: { "application/json": { schema: HeldCallbackSchema } } },
      ...bodyErrorResponses,
      401: errorResponse("Missing or wrong bearer token"),
      404: errorResponse("No such held callback"),
      409: errorResponse("Not held any more (confirmed, released or discarded), or no longer storable"),
    },
  });

/** The decision's note: the body is optional (a POST without one carries none). */
const noteOf = (body: { note?: string } | undefined) => body?.note ?? null;

export const heldCallbackRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/api/held-callbacks",
      tags: ["Callbacks"],
      summary: "List callbacks held unconfirmed, newest first",
      description:
        "A second, different body under a (timestamp, sign) pair already bound to another body is held, not trusted, " +
        "until the sender resends it under a fresh signature. Those that never come back wait here (status held).",
      security,
      request: {
        query: z.object({
          status: z
            .enum([...heldStatuses, "all"])
            .default("held")
            .openapi({ description: "held (default), confirmed, released, discarded or all" }),
          cursor: z.string().optional(),
          limit: limitSchema,
        }),
      },
      responses: {
        200: {
          description: "A page of held callbacks",
          content: {
            "application/json": {
              schema: z.object({ items: z.array(HeldCallbackSchema), nextCursor: z.string().nullable() }),
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
      if (query.status !== "all") {
        where.push("status = ?");
        params.push(query.status);
      }
      if (query.cursor) {
        const after = olderThan(decodeCursor(query.cursor), "received_at", "id");
        where.push(after.sql);
        params.push(...after.params);
      }
      const { results } = await withD1Retry(() =>
        c.env.DB.prepare(
          `SELECT * FROM held_callbacks ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
           ORDER BY received_at DESC, id DESC LIMIT ?`,
        )
          .bind(...params, query.limit + 1)
          .all<HeldRow>(),
      );
      const { page, nextCursor } = pageOf(results, query.limit, (r) => ({ at: r.received_at, id: r.id }));
      return c.json({ items: page.map(toHeldCallback), nextCursor }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/api/held-callbacks/{id}",
      tags: ["Callbacks"],
      summary: "A held callback and its audit",
      security,
      request: { params: idParam },
      responses: {
        200: {
          description: "The held callback",
          content: {
            "application/json": { schema: HeldCallbackSchema.extend({ audit: z.array(HeldAuditSchema) }) },
          },
        },
        401: errorResponse("Missing or wrong bearer token"),
        404: errorResponse("No such held callback"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const row = await withD1Retry(() => getHeld(c.env.DB, id));
      return c.json({ ...toHeldCallback(row), audit: await heldAudit(c.env.DB, id) }, 200);
    },
  )
  .openapi(
    decision(
      "release",
      "Store a held callback as verified history",
      "For a callback the platform never resent: it is stored as if it had come now (events, live state, deliveries), " +
        "with its audit. Only for bodies the operator knows to be real: the sign never covered this body.",
    ),
    async (c) => {
      const { id } = c.req.valid("param");
      const row = await releaseHeld(
        c.env,
        (promise) => c.executionCtx.waitUntil(promise),
        openPlatform,
        id,
        "api",
        noteOf(c.req.valid("json")),
      );
      return c.json(toHeldCallback(row), 200);
    },
  )
  .openapi(
    decision("discard", "Refuse a held callback for good", "It never enters the history; its record and audit stay."),
    async (c) => {
      const { id } = c.req.valid("param");
      const row = await discardHeld(c.env.DB, id, "api", noteOf(c.req.valid("json")));
      return c.json(toHeldCallback(row), 200);
    },
  );
