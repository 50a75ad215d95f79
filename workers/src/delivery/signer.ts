/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): secret "whsec_" + base64 key;
 * headers webhook-id, webhook-timestamp (Unix seconds) and
 * webhook-signature "v1," + base64(HMAC-SHA256(key, id + "." + timestamp + "." + body)).
 * Pure and runtime-neutral: the n8n trigger can verify with the same functions.
 */
import { hmacSha256, timingSafeEqual } from "@parkbridge/shared";

const PREFIX = "whsec_";

const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));

/** A new secret: 24 random bytes. */
export function newWebhookSecret(): string {
  return PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(24)));
}

export function webhookKey(secret: string): Uint8Array {
  return fromBase64(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret);
}

export async function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): Promise<string> {
  const mac = await hmacSha256(webhookKey(secret), `${id}.${timestampSeconds}.${body}`);
  return `v1,${toBase64(mac)}`;
}

/** The three headers of a delivery. */
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

/**
 * Checks a received delivery: one of the space-separated v1 signatures matches, and the
 * timestamp is within `toleranceSeconds` of now (replay protection).
 */
export async function verifyWebhook(
  secret: string,
  headers: { id: string; timestamp: string; signature: string },
  body: string,
  options: { now?: number; toleranceSeconds?: number } = {},
): Promise<boolean> {
  const timestamp = Number(headers.timestamp);
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (!Number.isInteger(timestamp) || Math.abs(now - timestamp) > (options.toleranceSeconds ?? 300)) return false;
  const expected = await signWebhook(secret, headers.id, timestamp, body);
  return headers.signature.split(" ").some((candidate) => timingSafeEqual(candidate, expected));
}
