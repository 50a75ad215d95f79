/**
 * Verifies a platform callback: headers present, appKey known, sign correct (constant time),
 * timestamp inside the window (all from the headers: verifyCallbackHeaders), then the body valid
 * for its callbackType (parseCallbackBody). Returns a typed event or a typed rejection; never
 * throws on bad input.
 *
 * The sign does not cover the body, so a verified sign proves only who sent *a* callback at
 * that timestamp. Callers must also refuse a (timestamp, sign) pair reused with another body:
 * `bodyDigest` is returned for that, and as the dedup key of the delivery.
 */
import { toFieldIssues } from "../platform/errors.js";
import { FAIL, fastParser } from "../platform/fast-parse.js";
import { UNKNOWN_FIELD_LIMITS } from "../platform/fields.js";
import { timingSafeEqual } from "../util/constant-time.js";
import { unknownFieldsProblem } from "../util/safe-json.js";
import { sha256Hex } from "../util/sha256.js";
import { type CallbackEvent, type CallbackType, callbacks } from "./catalogue.js";
import { signCallback } from "./sign.js";

export type RejectionReason =
  | "missing_header"
  | "unknown_app_key"
  | "bad_sign"
  | "stale_timestamp"
  | "malformed_body"
  | "unknown_callback_type";

export interface CallbackRejection {
  ok: false;
  reason: RejectionReason;
  /** The header or body field at fault, when there is one. */
  field?: string;
  /** English, for logs and answers. */
  message: string;
  /** Whether the failure is about who sent it (401) or what was sent (400). */
  status: 400 | 401;
}

export interface VerifiedCallback {
  ok: true;
  appKey: string;
  timestamp: number;
  sign: string;
  event: CallbackEvent;
  /** SHA-256 of the raw body, hex: identifies the content of this delivery. */
  bodyDigest: string;
}

export type HeaderSource = Headers | Record<string, string | string[] | undefined>;

export interface VerifyCallbackOptions {
  headers: HeaderSource;
  /** The raw body, exactly as received. */
  body: string;
  /** The secret of an appKey, or undefined when the key is unknown. */
  secretFor: (appKey: string) => string | undefined | Promise<string | undefined>;
  /** Current time, Unix ms (default Date.now()). */
  now?: number;
  /** Accepted clock difference either way, ms (default 5 minutes). */
  windowMs?: number;
}

export const DEFAULT_CALLBACK_WINDOW_MS = 5 * 60_000;

function header(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (key.toLowerCase() === wanted) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

const reject = (reason: RejectionReason, message: string, field?: string): CallbackRejection => ({
  ok: false,
  reason,
  message,
  status: reason === "malformed_body" || reason === "unknown_callback_type" ? 400 : 401,
  ...(field ? { field } : {}),
});

export interface VerifiedHeaders {
  ok: true;
  appKey: string;
  timestamp: number;
  /** Lowercase hex. */
  sign: string;
}

export type HeaderCheckOptions = Omit<VerifyCallbackOptions, "body">;

/**
 * The checks that need no body: headers present, appKey known, sign correct (constant time),
 * timestamp inside the window. The sign covers appKey + timestamp only, so all of it can (and,
 * on an endpoint anyone can reach, should) run before the body is read.
 */
export async function verifyCallbackHeaders(options: HeaderCheckOptions): Promise<VerifiedHeaders | CallbackRejection> {
  const { headers, secretFor } = options;
  const now = options.now ?? Date.now();
  const windowMs = options.windowMs ?? DEFAULT_CALLBACK_WINDOW_MS;

  for (const name of ["appKey", "timestamp", "sign"]) {
    if (!header(headers, name)?.trim()) return reject("missing_header", `header ${name} is missing`, name);
  }
  const appKey = (header(headers, "appKey") as string).trim();
  const timestampText = (header(headers, "timestamp") as string).trim();
  const sign = (header(headers, "sign") as string).trim().toLowerCase();

  const secret = await secretFor(appKey);
  if (secret === undefined) return reject("unknown_app_key", "appKey is not configured on this endpoint", "appKey");

  if (!/^\d{1,16}$/.test(timestampText)) {
    return reject("stale_timestamp", "timestamp must be Unix milliseconds", "timestamp");
  }
  // Check the sign before the clock, so a forger learns nothing from the window.
  if (!timingSafeEqual(signCallback(appKey, timestampText, secret), sign)) {
    return reject("bad_sign", "sign does not match md5(appKey + timestamp + appSecret)", "sign");
  }
  const timestamp = Number(timestampText);
  if (Math.abs(now - timestamp) > windowMs) {
    const direction = timestamp > now ? "in the future" : "too old";
    return reject(
      "stale_timestamp",
      `timestamp is ${direction}: ${Math.round(Math.abs(now - timestamp) / 1000)} s from now, the window is ±${windowMs / 1000} s`,
      "timestamp",
    );
  }
  return { ok: true, appKey, timestamp, sign };
}

// The envelope's own fields; anything else at the top level is kept as sent, within bounds.
const ENVELOPE_FIELDS: ReadonlySet<string> = new Set(["callbackType", "data"]);

/**
 * The body's checks: JSON, the envelope `{callbackType, data}`, and `data` against the
 * catalogue's schema for its callbackType. Never throws on bad input.
 */
export function parseCallbackBody(body: string): { ok: true; event: CallbackEvent } | CallbackRejection {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return reject("malformed_body", "body is not valid JSON", "(body)");
  }
  if (!json || typeof json !== "object" || Array.isArray(json)) {
    return reject("malformed_body", "body must be a JSON object {callbackType, data}", "(body)");
  }
  const { callbackType, data } = json as { callbackType?: unknown; data?: unknown };
  if (typeof callbackType !== "string" || !callbackType) {
    return reject("malformed_body", "callbackType is required", "callbackType");
  }
  if (!Object.hasOwn(callbacks, callbackType)) {
    return reject(
      "unknown_callback_type",
      `callbackType ${JSON.stringify(callbackType.slice(0, 64))} is not one of ${Object.keys(callbacks).join(", ")}`,
      "callbackType",
    );
  }
  const definition = callbacks[callbackType as CallbackType];
  if (!data || typeof data !== "object" || Array.isArray(data)) {
    return reject("malformed_body", "data must be an object", "data");
  }
  const extra = unknownFieldsProblem(json as Record<string, unknown>, ENVELOPE_FIELDS, UNKNOWN_FIELD_LIMITS);
  if (extra) {
    const field = extra.path.join(".");
    return reject("malformed_body", `${field} ${extra.reason}`, field);
  }
  return parseCallbackData(definition.callbackType, data);
}

/**
 * A callback's `data` against the catalogue's schema for its callbackType, as parseCallbackBody
 * checks it: also what a platform record standing for a callback is checked with (the Worker's
 * reconciliation, which recovers an access from the platform's records). Never throws on bad input.
 */
export function parseCallbackData(
  callbackType: CallbackType,
  data: unknown,
): { ok: true; event: CallbackEvent } | CallbackRejection {
  const definition = callbacks[callbackType];
  // The compiled fast path gives zod's answer for valid data; zod itself explains invalid data.
  const fast = fastParser(definition.data)(data);
  const parsed = fast !== FAIL ? { success: true as const, data: fast } : definition.data.safeParse(data);
  if (!parsed.success) {
    const issue = toFieldIssues(parsed.error, undefined, data)[0];
    const field = `data.${issue?.field ?? ""}`;
    return reject("malformed_body", `${field} ${issue?.reason ?? "is invalid"}`, field);
  }
  return {
    ok: true,
    event: { event: definition.event, callbackType: definition.callbackType, data: parsed.data } as CallbackEvent,
  };
}

/** Headers, then body (verifyCallbackHeaders, parseCallbackBody), and the body's digest. */
export async function verifyCallback(options: VerifyCallbackOptions): Promise<VerifiedCallback | CallbackRejection> {
  const headers = await verifyCallbackHeaders(options);
  if (!headers.ok) return headers;
  const parsed = parseCallbackBody(options.body);
  if (!parsed.ok) return parsed;
  return { ...headers, event: parsed.event, bodyDigest: await sha256Hex(options.body) };
}
