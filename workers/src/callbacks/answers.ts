/**
 * The open platform's answer shapes: `{"code":0,"msg":"操作成功"}` on success; on failure code 1
 * with an English msg, the machine reason and the field at fault. The HTTP status says what the
 * sender should do (docs/edge-api.md): 409 held_unconfirmed and 503 carry Retry-After: send it
 * again (409: under a fresh timestamp and sign); 400, 401 and 413: fix something first.
 */
import { z } from "@hono/zod-openapi";

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
