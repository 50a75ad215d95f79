/**
 * The one error path of the edge API. Every refusal is an ApiError (Hono's HTTPException with
 * our JSON body): `{ error: { code, message, field?, platformMsg?, grantId? } }` (docs/edge-api.md).
 * Routes throw it, the validation hook answers it, and app.onError (`errorAnswer`) turns it, any
 * other HTTPException (Hono's own: a body that is not JSON, a wrong content type) and anything
 * else into JSON. A 500 never carries an internal message: that goes to the log.
 */
import { z } from "@hono/zod-openapi";
import { toFieldIssues } from "@parkbridge/shared";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { ConfigError } from "./config.js";
import { isD1Error } from "./d1-retry.js";

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500 | 502 | 503;

/** What an error may say besides its code and message. */
export interface ErrorDetails {
  /** The field at fault: a body field (dotted path), a query or path parameter, or "(body)". */
  field?: string;
  /** The platform's own message, when the platform refused. */
  platformMsg?: string;
  /** The visitor grant concerned (it may exist although the request failed). */
  grantId?: string;
}

export interface ErrorBody {
  error: { code: string; message: string } & ErrorDetails;
}

export class ApiError extends HTTPException {
  override name = "ApiError";
  override readonly status: ErrorStatus;
  constructor(
    status: ErrorStatus,
    readonly code: string,
    message: string,
    readonly extra: ErrorDetails = {},
    /** Headers of the answer (e.g. WWW-Authenticate on a 401). */
    readonly headers: Record<string, string> = {},
  ) {
    super(status, { message });
    this.status = status;
  }

  toBody(): ErrorBody {
    const { field, platformMsg, grantId } = this.extra;
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(field ? { field } : {}),
        ...(platformMsg ? { platformMsg } : {}),
        ...(grantId ? { grantId } : {}),
      },
    };
  }

  /** The answer, also where Hono's own handler meets it. */
  override getResponse(): Response {
    return Response.json(this.toBody(), { status: this.status, headers: this.headers });
  }
}

export const badInput = (field: string, reason: string) =>
  new ApiError(400, "invalid_input", `${field} ${reason}`, { field });
export const notFound = (what: string) => new ApiError(404, "not_found", `${what} was not found`);

/** The OpenAPI shape of every error answer. */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "invalid_input" }),
      message: z.string().openapi({ example: "limit must be at most 500" }),
      field: z.string().optional(),
      platformMsg: z.string().optional(),
      grantId: z.string().optional(),
    }),
  })
  .openapi("Error");

export const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorSchema } },
});

/** The refusals every route with a JSON body may give, for its OpenAPI responses. */
export const bodyErrorResponses = {
  400: errorResponse(
    "Bad input: the field and the reason (`invalid_input`), or a body that is not JSON (`invalid_json`)",
  ),
  415: errorResponse("The body is not sent as JSON (`Content-Type: application/json`)"),
} as const;

type HookResult =
  | { success: true; data: unknown }
  | { success: false; error: z.ZodError; data?: unknown; target?: string };

/**
 * The zod-openapi validation hook of every router (lib/openapi-app.ts): a refused request names
 * its first bad field and why. `data` is what was validated (zod-validator passes it on failure
 * too), so a missing field reads "is required".
 */
export function validationHook(result: HookResult, c: Context) {
  if (result.success) return;
  const issue = toFieldIssues(result.error, undefined, result.data)[0];
  const field = issue?.field ?? "(body)";
  let reason = issue?.reason ?? "is invalid";
  // A message that already names its field ("visitorName must not be empty") is not named twice.
  if (reason.startsWith(`${field} `)) reason = reason.slice(field.length + 1);
  return errorAnswer(badInput(field, reason), c);
}

/** Hono's own refusals (its validators, middleware), in our words. */
function fromHttpException(error: HTTPException, c: Context): ApiError {
  switch (error.status) {
    case 400:
      // Hono's JSON validator: "Malformed JSON in request body".
      return /json/i.test(error.message)
        ? new ApiError(400, "invalid_json", "(body) is not valid JSON", { field: "(body)" })
        : new ApiError(400, "invalid_input", error.message || "the request is malformed", { field: "(body)" });
    case 413:
      return new ApiError(413, "payload_too_large", error.message || "the body is too large");
    case 415: {
      const sent = c.req.header("content-type");
      return new ApiError(
        415,
        "unsupported_media_type",
        `the body must be JSON sent with Content-Type: application/json (${sent ? `got ${sent}` : "none was given"})`,
        { field: "(body)" },
      );
    }
    default:
      return new ApiError(
        error.status as ErrorStatus,
        error.status === 403 ? "forbidden" : "http_error",
        error.message || `HTTP ${error.status}`,
      );
  }
}

/** app.onError: the one place an error becomes an answer. */
export function errorAnswer(error: unknown, c: Context): Response {
  let answer: ApiError;
  if (error instanceof ApiError) answer = error;
  else if (error instanceof HTTPException) answer = fromHttpException(error, c);
  else if (error instanceof ConfigError) {
    // Written for the operator: names the setting to fix, never a secret.
    console.error("configuration error", error.message);
    answer = new ApiError(500, "misconfigured", error.message);
  } else if (isD1Error(error)) {
    console.error("storage error", error);
    answer = new ApiError(503, "storage_unavailable", "storage is unavailable; try again shortly");
  } else {
    console.error("unhandled error", error);
    answer = new ApiError(500, "internal_error", "internal error");
  }
  return c.json(answer.toBody(), answer.status, answer.headers);
}
