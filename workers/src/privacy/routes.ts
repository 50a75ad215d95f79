/**
 * GET and DELETE /api/personal-data: what is held about one person, and its erasure (PIPL arts.
 * 45 and 47). The request schema is shared with the Parkbridge Edge n8n node (shared/src/edge/requests.ts).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { personalDataAuditQuery, personalDataQuery } from "@parkbridge/shared";
import { BEARER_SCHEME } from "../api/auth.js";
import { decodeCursor, pageOf } from "../lib/cursor.js";
import { errorResponse } from "../lib/errors.js";
import { createRouter, named } from "../lib/openapi-app.js";
import { EXPORT_ROWS_PER_TABLE, erasePersonalData, exportPersonalData, subjectOf } from "./erasure.js";

const PersonalDataQuery = named(personalDataQuery, "PersonalDataSubject");

const ExportSchema = z
  .object({
    subject: z.object({ kind: z.enum(["plate", "phone"]), value: z.string() }),
    exportedAt: z.string().openapi({ description: "ISO 8601 UTC" }),
    records: z
      .record(
        z.string(),
        z.object({
          items: z.array(z.record(z.string(), z.unknown())),
          truncated: z
            .boolean()
            .openapi({ description: `More than ${EXPORT_ROWS_PER_TABLE} rows: ask again after erasing, or per lot` }),
        }),
      )
      .openapi({ description: "Per table: the row's key and its personal columns, as stored (JSON columns parsed)" }),
  })
  .openapi("PersonalDataExport");

const ErasureSchema = z
  .object({
    erasureId: z.string().openapi({ description: "Also the placeholder erased plates become: erased:<erasureId>" }),
    erasedAt: z.string().openapi({ description: "ISO 8601 UTC" }),
    subject: z.object({ kind: z.enum(["plate", "phone"]), masked: z.string().openapi({ example: "粤B***45" }) }),
    erased: z.record(z.string(), z.number().int()).openapi({ description: "Rows changed, per table" }),
  })
  .openapi("PersonalDataErasure");

const AuditEntrySchema = z
  .object({
    id: z.string().openapi({ description: "For an erasure, its erasureId" }),
    at: z.string().openapi({ description: "ISO 8601 UTC" }),
    actor: z.string(),
    action: z.enum(["erased", "exported", "read_full"]),
    subjectKind: z.enum(["plate", "phone"]).nullable(),
    subject: z
      .string()
      .nullable()
      .openapi({ description: "The person, masked (粤B***45, 138****8000)", example: "粤B***45" }),
    detail: z
      .record(z.string(), z.unknown())
      .openapi({ description: "Rows per table, or the route and query of a full read" }),
  })
  .openapi("PersonalDataAuditEntry");

interface AuditRow {
  id: string;
  at: string;
  actor: string;
  action: "erased" | "exported" | "read_full";
  subject_kind: "plate" | "phone" | null;
  subject: string | null;
  detail: string;
}

const security = [{ [BEARER_SCHEME]: [] }];
const tags = ["Personal data"];
const errors = {
  400: errorResponse("Neither or both of plate and phone, or one that is not valid"),
  401: errorResponse("Missing or wrong bearer token"),
};

export const personalDataRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/api/personal-data",
      tags,
      security,
      summary: "Export what is held about one person (by plate or phone)",
      description:
        "Every stored row that holds the person's plate or phone, with its personal columns as stored (PIPL art. 45). The export is audited.",
      request: { query: PersonalDataQuery },
      responses: {
        200: { description: "What is held", content: { "application/json": { schema: ExportSchema } } },
        ...errors,
      },
    }),
    async (c) => c.json(await exportPersonalData(c.env.DB, subjectOf(c.req.valid("query"))), 200),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/api/personal-data",
      tags,
      security,
      summary: "Erase one person's personal data everywhere (by plate or phone)",
      description:
        "Blanks names, phones, notes and photos, replaces the plate (when erasing by plate) with erased:<erasureId>, and empties raw bodies (their digests stay, for deduplication), in one transaction, with an audit row (PIPL art. 47). Events stay and still count. Refused while a visitor grant of the person is open.",
      request: { query: PersonalDataQuery },
      responses: {
        200: { description: "Erased", content: { "application/json": { schema: ErasureSchema } } },
        ...errors,
        409: errorResponse(
          "A visitor grant of the person is still open (personal_data_in_use, grantId): revoke it first",
        ),
      },
    }),
    async (c) => c.json(await erasePersonalData(c.env.DB, subjectOf(c.req.valid("query"))), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/api/personal-data/audit",
      tags,
      security,
      summary: "The audit of erasures, exports and full reads, newest first",
      request: { query: personalDataAuditQuery },
      responses: {
        200: {
          description: "A page of audit entries",
          content: {
            "application/json": {
              schema: z.object({ items: z.array(AuditEntrySchema), nextCursor: z.string().nullable() }),
            },
          },
        },
        400: errorResponse("A query parameter is invalid"),
        401: errorResponse("Missing or wrong bearer token"),
      },
    }),
    async (c) => {
      const { action, cursor, limit } = c.req.valid("query");
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      const where: string[] = [];
      const values: (string | number)[] = [];
      if (action) {
        where.push("action = ?");
        values.push(action);
      }
      if (after) {
        // Row values: an index range on (at, id), however long the audit grows.
        where.push("(at, id) < (?, ?)");
        values.push(after.at, after.id);
      }
      const { results } = await c.env.DB.prepare(
        `SELECT * FROM personal_data_audit ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
         ORDER BY at DESC, id DESC LIMIT ?`,
      )
        .bind(...values, limit + 1)
        .all<AuditRow>();
      const { page, nextCursor } = pageOf(results, limit, (row) => ({ at: row.at, id: row.id }));
      const items = page.map((row) => ({
        id: row.id,
        at: row.at,
        actor: row.actor,
        action: row.action,
        subjectKind: row.subject_kind,
        subject: row.subject,
        detail: JSON.parse(row.detail) as Record<string, unknown>,
      }));
      return c.json({ items, nextCursor }, 200);
    },
  );
