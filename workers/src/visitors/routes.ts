/**
 * The visitor grants API (`/api/visitor-grants`), described with OpenAPI so it appears in
 * /openapi.json. Bearer auth is the `/api/*` middleware's job; this module only routes.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { plateSchema } from "@parkbridge/shared";
import type { Env } from "../env.js";
import { grantSources, grantStatuses, toGrant } from "./grant.js";
import { ApiError } from "./http-error.js";
import { type Cursor, getAudit, listGrants } from "./repository.js";
import { GrantService } from "./service.js";

const nonEmpty = (field: string) =>
  z
    .string()
    .trim()
    .min(1, { error: `${field} must not be empty` });

const instantInput = (description: string) => z.string().min(1).openapi({ description, example: "2026-11-22 23:59" });

const CreateGrantBody = z
  .strictObject({
    parkingId: nonEmpty("parkingId").openapi({ example: "park1" }),
    // The catalogue's plate rule, the same the callbacks and the platform operations use.
    vehicleCode: z.string().openapi({ example: "鲁A12345" }).pipe(plateSchema),
    visitorName: nonEmpty("visitorName").max(50).openapi({ example: "张三" }),
    visitorPhone: nonEmpty("visitorPhone").max(30).openapi({ example: "13800138000" }),
    reason: z
      .string()
      .max(150)
      .optional()
      .openapi({ description: "Shown to the lot's staff (the authorisation's remark)." }),
    laneNos: z
      .string()
      .regex(/^[^,\s]+(,[^,\s]+)*$/, { error: "must be lane numbers separated by commas" })
      .optional()
      .openapi({ description: "Lanes the visitor may use; all lanes when absent.", example: "1,2" }),
    startsAt: instantInput(
      "When access starts (default now): ISO 8601 with an offset, or local yyyy-MM-dd HH:mm[:ss] read as UTC+8.",
    ).optional(),
    endsAt: instantInput(
      "When access ends: ISO 8601 with an offset, or local yyyy-MM-dd HH:mm[:ss] read as UTC+8 (a bare date: 23:59:59 that day).",
    ),
    appKey: nonEmpty("appKey")
      .optional()
      .openapi({
        description:
          "The platform account (appKey) that owns the lot, one of this Worker's accounts. Default: the account whose " +
          "callbacks report the lot, else the primary account (PLATFORM_APP_KEY). The grant is changed and ended with it.",
        example: "demo-app-key",
      }),
  })
  .openapi("CreateVisitorGrant");

const ChangeGrantBody = z
  .strictObject({ endsAt: instantInput("The new end (earlier or later), as for creation.") })
  .openapi("ChangeVisitorGrant");

const GrantSchema = z
  .object({
    id: z.string(),
    parkingId: z.string(),
    vehicleCode: z.string(),
    visitorName: z.string(),
    visitorPhone: z.string(),
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

const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      field: z.string().optional(),
      platformMsg: z.string().optional(),
      grantId: z.string().optional(),
    }),
  })
  .openapi("VisitorGrantError");

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});
const errors = {
  400: json(ErrorSchema, "Bad input: the field and the reason."),
  401: json(ErrorSchema, "Missing or wrong bearer token."),
  404: json(ErrorSchema, "No such grant."),
  409: json(
    ErrorSchema,
    "The grant's state does not allow it, or its platform account is no longer configured (account_not_configured).",
  ),
  502: json(ErrorSchema, "The platform refused (platformMsg is its own message) or could not be reached."),
  503: json(ErrorSchema, "Storage unavailable."),
};
const IdParam = z.object({
  id: z
    .string()
    .min(1)
    .openapi({ param: { name: "id", in: "path" }, example: "vg_…" }),
});
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
  responses: { 201: json(GrantSchema, "The active grant."), ...errors },
});

const listGrantsRoute = createRoute({
  method: "get",
  path: "/api/visitor-grants",
  tags,
  security,
  summary: "List visitor grants, newest first",
  request: {
    query: z.object({
      status: z.enum(grantStatuses).optional(),
      parkingId: z.string().min(1).optional(),
      vehicleCode: z.string().min(1).optional(),
      source: z.enum(grantSources).optional(),
      cursor: z.string().optional(),
      limit: z.coerce.number().int().min(1).max(500).default(50),
    }),
  },
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
  request: { params: IdParam },
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
    params: IdParam,
    body: { content: { "application/json": { schema: ChangeGrantBody } }, required: true },
  },
  responses: { 200: json(GrantSchema, "The changed grant."), ...errors },
});

const revokeGrantRoute = createRoute({
  method: "delete",
  path: "/api/visitor-grants/{id}",
  tags,
  security,
  summary: "Revoke a visitor grant now",
  description:
    "Deletes the platform's authorisation (deleteVehicle) if it is still this grant's: status `revoked`. If the plate was given other access since, that access is left alone: status `superseded`.",
  request: { params: IdParam },
  responses: { 200: json(GrantSchema, "The closed grant."), ...errors },
});

const encodeCursor = (cursor: Cursor) => btoa(JSON.stringify([cursor.createdAt, cursor.id]));
function decodeCursor(text: string): Cursor {
  try {
    const [createdAt, id] = JSON.parse(atob(text)) as [unknown, unknown];
    if (typeof createdAt === "number" && typeof id === "string") return { createdAt, id };
  } catch {
    // reported below
  }
  throw new ApiError(400, "invalid_input", "cursor is not one this API returned", { field: "cursor" });
}

function parseDetail(detail: string | null): unknown {
  if (detail === null) return null;
  try {
    return JSON.parse(detail);
  } catch {
    return detail;
  }
}

/** Names the field and the reason, the way every parkbridge error does. */
function describeIssue(issue: z.core.$ZodIssue, input: unknown): { field: string; message: string } {
  if (issue.code === "unrecognized_keys") {
    const field = issue.keys[0] ?? "(body)";
    return { field, message: `${field} is not a known field (unknown fields are refused)` };
  }
  const field = issue.path.length ? issue.path.join(".") : "(body)";
  let value: unknown = input;
  for (const key of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[key as PropertyKey];
  if (issue.path.length && value === undefined) return { field, message: `${field} is required` };
  const reason = issue.message.startsWith(`${field} `) ? issue.message.slice(field.length + 1) : issue.message;
  return { field, message: `${field} ${reason}` };
}

export const visitorGrantRoutes = new OpenAPIHono<{ Bindings: Env }>({
  defaultHook: async (result, c) => {
    if (result.success) return;
    const issue = result.error.issues[0];
    let input: unknown;
    if (result.target === "json") input = await c.req.json().catch(() => undefined);
    else if (result.target === "query") input = c.req.query();
    else if (result.target === "param") input = c.req.param();
    const { field, message } = issue ? describeIssue(issue, input) : { field: "(body)", message: "is invalid" };
    return c.json({ error: { code: "invalid_input", message, field } }, 400);
  },
});

visitorGrantRoutes.onError((error, c) => {
  if (error instanceof ApiError) return c.json(error.toBody(), error.status);
  if (error instanceof SyntaxError) {
    return c.json(
      { error: { code: "invalid_json", message: `The body is not JSON: ${error.message}`, field: "(body)" } },
      400,
    );
  }
  console.error("visitor grants:", error);
  const message = error instanceof Error ? error.message : String(error);
  if (/D1_|SQLITE|database/i.test(message)) {
    return c.json(
      { error: { code: "storage_unavailable", message: `The ledger could not be read or written: ${message}` } },
      503,
    );
  }
  return c.json({ error: { code: "internal", message } }, 500);
});

visitorGrantRoutes.openapi(createGrantRoute, async (c) => {
  const grant = await new GrantService(c.env).create(c.req.valid("json"));
  return c.json(toGrant(grant), 201);
});

visitorGrantRoutes.openapi(listGrantsRoute, async (c) => {
  const { cursor, limit, ...filter } = c.req.valid("query");
  const rows = await listGrants(c.env.DB, filter, cursor ? decodeCursor(cursor) : undefined, limit + 1);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const nextCursor = rows.length > limit && last ? encodeCursor({ createdAt: last.created_at, id: last.id }) : null;
  return c.json({ items: page.map(toGrant), nextCursor }, 200);
});

visitorGrantRoutes.openapi(getGrantRoute, async (c) => {
  const { id } = c.req.valid("param");
  const grant = await new GrantService(c.env).get(id);
  const trail = await getAudit(c.env.DB, id);
  return c.json(
    {
      ...toGrant(grant),
      audit: trail.map((row) => ({
        at: new Date(row.at).toISOString(),
        actor: row.actor,
        action: row.action,
        fromStatus: row.from_status,
        toStatus: row.to_status,
        detail: parseDetail(row.detail),
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
