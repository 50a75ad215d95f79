/**
 * The open platform's answer shapes: `{"code":0,"msg":"操作成功"}` on success; on failure code 1
 * with an English msg, the machine reason and the field at fault. The HTTP status says what the
 * sender should do (docs/edge-api.md): 409 held_unconfirmed and 503 carry Retry-After: send it
 * again (409: under a fresh timestamp and sign); 400, 401 and 413: fix something first.
 */
import { z } from "@hono/zod-openapi";
import { EBOPARK_REPORT_SUCCESS } from "@parkbridge/shared";

// The shared verification's RejectionReason values, then the Worker's own.
export const callbackFailureReasons = [
  "missing_header",
  "unknown_app_key",
  "bad_sign",
  "stale_timestamp",
  "malformed_body",
  "unknown_callback_type",
  "body_too_large",
  "held_unconfirmed",
  "storage_unavailable",
  "misconfigured",
] as const;
export type CallbackFailureReason = (typeof callbackFailureReasons)[number];

export const PLATFORM_OK = { code: 0, msg: "操作成功" } as const;

export const callbackFailure = (reason: string, msg: string, field?: string) => ({
  code: 1 as const,
  msg,
  reason,
  ...(field ? { field } : {}),
});

export const CallbackOkSchema = z
  .object({ code: z.literal(0), msg: z.string().openapi({ example: "操作成功" }) })
  .openapi("CallbackAccepted");

export const CallbackFailureSchema = z
  .object({
    code: z.literal(1),
    msg: z.string().openapi({ example: "sign does not match md5(appKey + timestamp + appSecret)" }),
    reason: z.enum(callbackFailureReasons),
    field: z.string().optional(),
  })
  .openapi("CallbackRefused");

// Ebopark's reports: exactly {"code":0,"msg":"success","data":null} on success (ebopark.ts); on
// failure code 1, an English msg, and the reason and field under data (shared's eboparkReportRefusal).

export const EboparkReportAcceptedSchema = z
  .object({ code: z.literal(0), msg: z.literal("success"), data: z.null() })
  .openapi("EboparkReportAccepted", { example: JSON.parse(EBOPARK_REPORT_SUCCESS) });

export const EboparkReportRefusedSchema = z
  .object({
    code: z.literal(1),
    msg: z.string().openapi({ example: "plateNumber must not be empty" }),
    data: z.object({
      reason: z.enum([
        "unknown_report",
        "missing_parameter",
        "unknown_partner",
        "bad_sign",
        "malformed_body",
        "body_too_large",
        "storage_unavailable",
        "misconfigured",
      ]),
      field: z.string().optional(),
    }),
  })
  .openapi("EboparkReportRefused");
