/**
 * Verifies a Standard Webhooks delivery from the parkbridge edge: HMAC-SHA256 over
 * `<webhook-id>.<webhook-timestamp>.<body>` with the subscription's `whsec_` key, compared in
 * constant time, and a timestamp inside a tolerance window (replays of old deliveries fail).
 */
import { hmacSha256, timingSafeEqual } from "@parkbridge/shared";

export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

export interface DeliveryHeaders {
  id?: string;
  timestamp?: string;
  signature?: string;
}

export type DeliveryCheck = { ok: true } | { ok: false; reason: string };

function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text);
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

export async function signDelivery(secret: string, id: string, timestamp: string, body: string): Promise<string> {
  const key = base64ToBytes(secret.replace(/^whsec_/, ""));
  return `v1,${bytesToBase64(await hmacSha256(key, `${id}.${timestamp}.${body}`))}`;
}

export async function verifyDelivery(
  secret: string,
  headers: DeliveryHeaders,
  body: string,
  nowSeconds: number,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): Promise<DeliveryCheck> {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature) {
    return { ok: false, reason: "the webhook-id, webhook-timestamp and webhook-signature headers are required" };
  }
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "webhook-timestamp must be Unix seconds" };
  let expected: string;
  try {
    expected = await signDelivery(secret, id, timestamp, body);
  } catch {
    return { ok: false, reason: "the subscription secret is not a whsec_ base64 key" };
  }
  // The header may carry several space-separated signatures (key rotation): one match is enough.
  const matched = signature
    .split(" ")
    .filter((candidate) => candidate.startsWith("v1,"))
    .some((candidate) => timingSafeEqual(candidate, expected));
  if (!matched) return { ok: false, reason: "webhook-signature does not match" };
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) {
    return { ok: false, reason: `webhook-timestamp is more than ${toleranceSeconds} s away from now` };
  }
  return { ok: true };
}
