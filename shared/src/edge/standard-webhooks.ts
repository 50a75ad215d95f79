/**
 * Standard Webhooks (https://www.standardwebhooks.com), the signatures on the edge's deliveries:
 * the Worker signs with them (workers/src/delivery/) and the n8n trigger verifies with them.
 * Secret: "whsec_" + base64 key. Headers: webhook-id, webhook-timestamp (Unix seconds) and
 * webhook-signature: "v1," + base64(HMAC-SHA256(key, id + "." + timestamp + "." + body)), possibly
 * several space-separated (key rotation). WebCrypto only: the same code runs on workerd and Node.
 */
import { timingSafeEqual } from "../util/constant-time.js";
import { hmacSha256 } from "../util/sha256.js";

const PREFIX = "whsec_";

/** How far a delivery's timestamp may be from now, either way (replays of old deliveries fail). */
export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (char) => char.charCodeAt(0));

/** A new secret: 24 random bytes. */
export function newWebhookSecret(): string {
  return PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(24)));
}

/** The HMAC key of a secret (the prefix is optional, as in the reference libraries); throws if it is not base64. */
function webhookKey(secret: string): Uint8Array {
  return fromBase64(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret);
}

/** The `webhook-signature` value of one delivery. */
export async function signWebhook(
  secret: string,
  id: string,
  timestampSeconds: number | string,
  body: string,
): Promise<string> {
  return `v1,${toBase64(await hmacSha256(webhookKey(secret), `${id}.${timestampSeconds}.${body}`))}`;
}

/** The three headers of a delivery sent at `now` (Unix ms). */
export async function webhookHeaders(
  secret: string,
  id: string,
  body: string,
  now = Date.now(),
): Promise<Record<string, string>> {
  const timestamp = Math.floor(now / 1000);
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": await signWebhook(secret, id, timestamp, body),
  };
}

/** The three headers as received (any may be missing). */
export interface ReceivedWebhookHeaders {
  id?: string | undefined;
  timestamp?: string | undefined;
  signature?: string | undefined;
}

export type WebhookCheck = { ok: true } | { ok: false; reason: string };

export interface VerifyWebhookOptions {
  /** Current time, Unix ms (default Date.now()). */
  now?: number;
  toleranceSeconds?: number;
}

/**
 * Checks a received delivery: one of its v1 signatures matches (compared in constant time), then
 * its timestamp is within the tolerance of now. The signature is checked before the clock, as
 * verifyCallback does, so a forger learns nothing from the window. Never throws.
 */
export async function verifyWebhook(
  secret: string,
  headers: ReceivedWebhookHeaders,
  body: string,
  options: VerifyWebhookOptions = {},
): Promise<WebhookCheck> {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature) {
    return { ok: false, reason: "the webhook-id, webhook-timestamp and webhook-signature headers are required" };
  }
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "webhook-timestamp must be Unix seconds" };
  let expected: string;
  try {
    expected = await signWebhook(secret, id, timestamp, body);
  } catch {
    return { ok: false, reason: "the secret is not a whsec_ base64 key" };
  }
  const matched = signature
    .split(" ")
    .filter((candidate) => candidate.startsWith("v1,"))
    .some((candidate) => timingSafeEqual(candidate, expected));
  if (!matched) return { ok: false, reason: "webhook-signature does not match" };
  const tolerance = options.toleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS;
  const nowSeconds = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(nowSeconds - Number(timestamp)) > tolerance) {
    return { ok: false, reason: `webhook-timestamp is more than ${tolerance} s away from now` };
  }
  return { ok: true };
}
