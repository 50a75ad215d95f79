/**
 * POST /callbacks: where the parking open platform's signed callbacks land; POST
 * /callbacks/ebopark/{report}: where Ebopark's signed reports land. Both through the one
 * ingestion path (pipeline.ts), each with its platform as the source (open-platform.ts, ebopark.ts).
 */
import { z } from "@hono/zod-openapi";
import { callbacks, callbackTypes, eboparkReportIds, eboparkReports as reportCatalogue } from "@parkbridge/shared";
import { createRouter } from "../lib/openapi-app.js";
import {
  CallbackFailureSchema,
  CallbackOkSchema,
  EboparkReportAcceptedSchema,
  EboparkReportRefusedSchema,
} from "./answers.js";
import { eboparkReports, MAX_REPORT_BYTES } from "./ebopark.js";
import { MAX_CALLBACK_BYTES, openPlatform } from "./open-platform.js";
import { ingest } from "./pipeline.js";

export { afterStored, headersToRecord, ingestStats, MAX_GROUP_CALLBACKS } from "./pipeline.js";
export { MAX_CALLBACK_BYTES };

export const callbackRoutes = createRouter();

const CallbackBodySchema = z
  .union(
    callbackTypes.map((type) =>
      z
        .object({ callbackType: z.literal(type), data: callbacks[type].data })
        .openapi(`Callback_${type}`, { description: callbacks[type].description }),
    ) as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]],
  )
  .openapi("Callback");

const failure = (description: string) => ({
  description,
  content: { "application/json": { schema: CallbackFailureSchema } },
});
const retryAfter = z.object({
  "Retry-After": z.string().openapi({ description: "Seconds to wait before sending it again", example: "1" }),
});

callbackRoutes.openAPIRegistry.registerPath({
  method: "post",
  path: "/callbacks",
  tags: ["Callbacks"],
  summary: "Receive a platform callback",
  description:
    "The parking open platform's signed callbacks. sign = md5(appKey + timestamp + appSecret); the timestamp must be " +
    "within the window. The headers are checked before the body is read. A (timestamp, sign) pair is bound to the " +
    "first body it came with: another body under it is held unconfirmed (409 held_unconfirmed, Retry-After) until it " +
    "is sent again under a fresh timestamp and sign. A redelivery of the same content answers success and stores " +
    "nothing new. docs/edge-api.md lists every answer and what the sender should do.",
  request: {
    headers: z.object({
      appKey: z.string().openapi({ example: "demo-app-key" }),
      timestamp: z.string().openapi({ description: "Unix milliseconds", example: "1763794800000" }),
      sign: z.string().openapi({ description: "32 lowercase hex" }),
    }),
    body: { required: true, content: { "application/json": { schema: CallbackBodySchema } } },
  },
  responses: {
    200: { description: "Stored (or already stored)", content: { "application/json": { schema: CallbackOkSchema } } },
    400: failure("Malformed body: the field and the reason are named (sending it again will not help)"),
    401: failure("Unknown appKey, bad sign or a timestamp outside the window"),
    409: {
      ...failure(
        "held_unconfirmed: another callback already came with this timestamp and sign; this body is held, not trusted. Send it again under a fresh timestamp and sign (after Retry-After)",
      ),
      headers: retryAfter,
    },
    413: failure(`Body larger than ${MAX_CALLBACK_BYTES} bytes`),
    500: failure("The Worker is misconfigured (PLATFORM_ACCOUNTS, CALLBACK_ALLOWED_IPS…): retry later"),
    503: {
      ...failure("storage_unavailable: nothing stored, send it again after Retry-After"),
      headers: retryAfter,
    },
  },
});

callbackRoutes.post("/callbacks", (c) => ingest(c, openPlatform));

// ---- Ebopark's reports ------------------------------------------------------------------------

const ReportBodySchema = z
  .union(
    eboparkReportIds.map((id) =>
      // A copy made after @hono/zod-openapi extended zod has `.openapi()` (see named()).
      (reportCatalogue[id].data.clone() as unknown as z.ZodType).openapi(`EboparkReport_${id}`, {
        description: `${reportCatalogue[id].title} (${reportCatalogue[id].zh}): ${reportCatalogue[id].description}`,
      }),
    ) as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]],
  )
  .openapi("EboparkReport");

const refused = (description: string) => ({
  description,
  content: { "application/json": { schema: EboparkReportRefusedSchema } },
});

callbackRoutes.openAPIRegistry.registerPath({
  method: "post",
  path: "/callbacks/ebopark/{report}",
  tags: ["Callbacks"],
  summary: "Receive an Ebopark report",
  description:
    "Ebopark's signed reports (section 3.3 of its interface): the partner registers this URL, Ebopark appends the " +
    "report. sign = md5(raw body + secretKey), the documented assumption (Ebopark's page does not state it), checked " +
    'over the bytes received before anything is read. The answer is exactly {"code":0,"msg":"success","data":null} ' +
    "once the report is stored (a redelivery stores nothing new); anything else is a failure Ebopark retries. " +
    "docs/edge-api.md lists every answer.",
  request: {
    params: z.object({
      report: z.enum(eboparkReportIds as [string, ...string[]]).openapi({ example: "abnormalPass" }),
    }),
    query: z.object({
      partnerid: z.string().openapi({ description: "The partner account (EBOPARK_PARTNERS)" }),
      sign: z.string().openapi({ description: "md5(raw body + secretKey), 32 hex" }),
    }),
    body: { required: true, content: { "application/json": { schema: ReportBodySchema } } },
  },
  responses: {
    200: {
      description: "Stored (or already stored): exactly this body",
      content: { "application/json": { schema: EboparkReportAcceptedSchema } },
    },
    400: refused("Malformed body: the field and the reason are named (sending it again will not help)"),
    401: refused("partnerid or sign missing, an unknown partnerid, or a sign that does not match the body"),
    404: refused("Not one of the seven reports"),
    413: refused(`Body larger than ${MAX_REPORT_BYTES} bytes`),
    500: refused("The Worker is misconfigured (EBOPARK_PARTNERS…): retry later"),
    503: { ...refused("storage_unavailable: nothing stored, send it again after Retry-After"), headers: retryAfter },
  },
});

callbackRoutes.post("/callbacks/ebopark/:report", (c) => ingest(c, eboparkReports));
