/**
 * GET and DELETE /api/personal-data: what is held about one person, and its erasure (PIPL arts.
 * 45 and 47). The request schema is shared with the Parkbridge Edge n8n node (shared/src/edge/requests.ts).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { personalDataQuery } from "@parkbridge/shared";
import { BEARER_SCHEME } from "../api/auth.js";
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
  );
