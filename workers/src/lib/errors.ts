/**
 * Error answers of the edge API: `{ error: { code, message, field?, platformMsg? } }` (see
 * docs/edge-api.md). Handlers throw ApiError; app.onError turns it (and anything else) into JSON.
 */
import { z } from "@hono/zod-openapi";
import { toFieldIssues } from "@parkbridge/shared";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ConfigError } from "./config.js";

export type ErrorStatus = 400 | 401 | 404 | 409 | 500 | 502 | 503;

export interface ErrorBody {
  error: { code: string; message: string; field?: string; platformMsg?: string };
}

export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly status: ErrorStatus,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly platformMsg?: string,
  ) {
    super(message);
  }
  toBody(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.field ? { field: this.field } : {}),
        ...(this.platformMsg ? { platformMsg: this.platformMsg } : {}),
      },
    };
  }
}

export const badInput = (field: string, reason: string) =>
  new ApiError(400, "invalid_input", `${field} ${reason}`, field);
export const notFound = (what: string) => new ApiError(404, "not_found", `${what} was not found`);
export const storageUnavailable = (cause: unknown) =>
  new ApiError(503, "storage_unavailable", `storage is unavailable, try again: ${String(cause)}`);

/** The OpenAPI shape of every error answer. */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "invalid_input" }),
      message: z.string().openapi({ example: "limit must be at most 500" }),
      field: z.string().optional(),
      platformMsg: z.string().optional(),
    }),
  })
  .openapi("Error");

export const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorSchema } },
});

/** The zod-openapi validation hook: a refused request names its first bad field and why. */
export function validationHook(
  result: { success: true; data: unknown } | { success: false; error: z.ZodError; target?: string },
  c: Context,
) {
  if (result.success) return;
  const issue = toFieldIssues(result.error)[0];
  const field = issue?.field ?? "(body)";
  return c.json(badInput(field, issue?.reason ?? "is invalid").toBody(), 400);
}

export function errorAnswer(error: unknown, c: Context) {
  if (error instanceof ApiError) return c.json(error.toBody(), error.status as ContentfulStatusCode);
  // Middleware (body limits, CSRF…) signals with HTTPException: keep its status, not a 500.
  if (error instanceof HTTPException) {
    const code = error.status === 403 ? "forbidden" : error.status === 413 ? "payload_too_large" : "http_error";
    return c.json(
      { error: { code, message: error.message || `HTTP ${error.status}` } } satisfies ErrorBody,
      error.status,
    );
  }
  if (error instanceof ConfigError) {
    console.error("configuration error", error.message);
    return c.json({ error: { code: "misconfigured", message: error.message } } satisfies ErrorBody, 500);
  }
  console.error("unhandled error", error);
  return c.json({ error: { code: "internal_error", message: "internal error" } } satisfies ErrorBody, 500);
}
