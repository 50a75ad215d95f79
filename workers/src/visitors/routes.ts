/**
 * The visitor grants API (`/api/visitor-grants`), described with OpenAPI so it appears in
 * /openapi.json. Bearer auth is the `/api/*` middleware's job; this module only routes.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { changeGrantBody, createGrantBody, getGrantQuery, grantIdParams, listGrantsQuery } from "@parkbridge/shared";
import { decodeCursor, pageOf } from "../lib/cursor.js";
import { bodyErrorResponses, errorResponse } from "../lib/errors.js";
import { createRouter, named } from "../lib/openapi-app.js";
import { maskAuditDetail } from "../privacy/mask.js";
import { readView } from "../privacy/views.js";
import { grantSources, grantStatuses, toGrant } from "./grant.js";
import { getAudit, listGrants } from "./repository.js";
import { GrantService } from "./service.js";

// The request schemas are shared with the Parkbridge Edge n8n node (shared/src/edge/requests.ts).
const CreateGrantBody = named(createGrantBody, "CreateVisitorGrant");
const ChangeGrantBody = named(changeGrantBody, "ChangeVisitorGrant");

const GrantSchema = z
  .object({
    id: z.string(),
    parkingId: z.string(),
    vehicleCode: z.string(),
    visitorName: z.string().openapi({ description: "As stored (erased: empty)." }),
    visitorPhone: z.string().openapi({
      description: "Masked (138****8000) unless the read asked for personalData=full (audited).",
      example: "138****8000",
    }),
    reason: z.string().nullable(),
    laneNos: z.string().nullable(),
    startsAt: z.string().openapi({ description: "ISO 8601, UTC." }),
    endsAt: z.string().openapi({ description: "ISO 8601, UTC." }),
    startsAtLocal: z.string().openapi({ description: "yyyy-MM-dd HH:mm:ss, UTC+8." }),
    endsAtLocal: z.string().openapi({ description: "yyyy-MM-dd HH:mm:ss, UTC+8." }),
    platformStartDate: z.string().openapi({ description: "First day of the platform's authorisation (UTC+8)." }),
    platformEndDate: z.string().openapi({ description: "Last day of the platform's authorisation (UTC+8)." }),
    source: z.enum(grantSources),
    appKey: z
      .string()
      .nullable()
      .openapi({ description: "The platform account the grant is made with; null: the primary account." }),
    status: z.enum(grantStatuses),
    closedReason: z.string().nullable(),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    nextAttemptAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("VisitorGrant");

const AuditSchema = z.object({
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  fromStatus: z.string().nullable(),
  toStatus: z.string().nullable(),
  detail: z.unknown(),
});

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});
const errors = {
  400: errorResponse("Bad input: the field and the reason."),
  401: errorResponse("Missing or wrong bearer token."),
  404: errorResponse("No such grant."),
  409: errorResponse(
    "The grant's state does not allow it, or its platform account is no longer configured (account_not_configured).",
  ),
  502: errorResponse("The platform refused (platformMsg is its own message) or could not be reached."),
  503: errorResponse("Storage unavailable."),
};
const withBodyErrors = { ...errors, ...bodyErrorResponses };
const security = [{ bearerAuth: [] }];
const tags = ["Visitor grants"];

const createGrantRoute = createRoute({
  method: "post",
  path: "/api/visitor-grants",
  tags,
  security,
  summary: "Give a visitor access until an instant",
  description:
    "Authorises the plate on the platform (free type, addVehicle) for the days the grant spans, then records the grant as active. The expiry sweep revokes it when it ends.",
  request: { body: { content: { "application/json": { schema: CreateGrantBody } }, required: true } },
  responses: { 201: json(GrantSchema, "The active grant."), ...withBodyErrors },
});

const listGrantsRoute = createRoute({
  method: "get",
  path: "/api/visitor-grants",
  tags,
  security,
  summary: "List visitor grants, newest first",
  request: { query: listGrantsQuery },
  responses: {
    200: json(z.object({ items: z.array(GrantSchema), nextCursor: z.string().nullable() }), "A page of grants."),
    ...errors,
  },
});

const getGrantRoute = createRoute({
  method: "get",
  path: "/api/visitor-grants/{id}",
  tags,
  security,
  summary: "One visitor grant, with its audit trail",
  request: { params: grantIdParams, query: getGrantQuery },
  responses: { 200: json(GrantSchema.extend({ audit: z.array(AuditSchema) }), "The grant."), ...errors },
});

const changeGrantRoute = createRoute({
  method: "patch",
  path: "/api/visitor-grants/{id}",
  tags,
  security,
  summary: "Extend or shorten a visitor grant",
  description:
    "Changes the end; when the end's day changes, the platform's authorisation is updated too (updateVehicle).",
  request: {
    params: grantIdParams,
    body: { content: { "application/json": { schema: ChangeGrantBody } }, required: true },
  },
  responses: { 200: json(GrantSchema, "The changed grant."), ...withBodyErrors },
});

const revokeGrantRoute = createRoute({
  method: "delete",
  path: "/api/visitor-grants/{id}",
  tags,
  security,
  summary: "Revoke a visitor grant now",
  description:
    "Deletes the platform's authorisation (deleteVehicle) if it is still this grant's: status `revoked`. If the plate was given other access since, that access is left alone: status `superseded`.",
  request: { params: grantIdParams },
  responses: { 200: json(GrantSchema, "The closed grant."), ...errors },
});

function parseDetail(detail: string | null): unknown {
  if (detail === null) return null;
  try {
    return JSON.parse(detail);
  } catch {
    return detail;
  }
}

export const visitorGrantRoutes = createRouter();

visitorGrantRoutes.openapi(createGrantRoute, async (c) => {
  const grant = await new GrantService(c.env).create(c.req.valid("json"));
  return c.json(toGrant(grant), 201);
});

visitorGrantRoutes.openapi(listGrantsRoute, async (c) => {
  const { cursor, limit, personalData, ...filter } = c.req.valid("query");
  const after = cursor === undefined ? undefined : decodeCursor(cursor, "number");
  const view = await readView(c, personalData, "operator");
  const rows = await listGrants(c.env.DB, filter, after && { createdAt: after.at, id: after.id }, limit + 1);
  const { page, nextCursor } = pageOf(rows, limit, (row) => ({ at: row.created_at, id: row.id }));
  return c.json({ items: page.map((row) => toGrant(row, view)), nextCursor }, 200);
});

visitorGrantRoutes.openapi(getGrantRoute, async (c) => {
  const { id } = c.req.valid("param");
  const view = await readView(c, c.req.valid("query").personalData, "operator");
  const grant = await new GrantService(c.env).get(id);
  const trail = await getAudit(c.env.DB, id);
  return c.json(
    {
      ...toGrant(grant, view),
      audit: trail.map((row) => ({
        at: new Date(row.at).toISOString(),
        actor: row.actor,
        action: row.action,
        fromStatus: row.from_status,
        toStatus: row.to_status,
        detail: maskAuditDetail(parseDetail(row.detail), view),
      })),
    },
    200,
  );
});

visitorGrantRoutes.openapi(changeGrantRoute, async (c) => {
  const grant = await new GrantService(c.env).changeEnd(c.req.valid("param").id, c.req.valid("json").endsAt);
  return c.json(toGrant(grant), 200);
});

visitorGrantRoutes.openapi(revokeGrantRoute, async (c) => {
  const grant = await new GrantService(c.env).revoke(c.req.valid("param").id);
  return c.json(toGrant(grant), 200);
});
