/**
 * The platform's answer shapes: `{"code":0,"msg":"操作成功"}` on success; on failure code 1 with
 * an English msg, the machine reason and the field at fault. A non-2xx status makes the
 * platform retry (503), or tells its operator what is wrong (400, 401).
 */
import { z } from "@hono/zod-openapi";
import type { RejectionReason } from "@parkbridge/shared";

export type CallbackFailureReason = RejectionReason | "reused_signature" | "storage_unavailable" | "misconfigured";

export const PLATFORM_OK = { code: 0, msg: "操作成功" } as const;

export const callbackFailure = (reason: CallbackFailureReason, msg: string, field?: string) => ({
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
    reason: z.enum([
      "missing_header",
      "unknown_app_key",
      "bad_sign",
      "stale_timestamp",
      "malformed_body",
      "unknown_callback_type",
      "reused_signature",
      "storage_unavailable",
      "misconfigured",
    ] satisfies CallbackFailureReason[]),
    field: z.string().optional(),
  })
  .openapi("CallbackRefused");
