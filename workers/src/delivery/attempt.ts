/**
 * One attempt of one delivery: read the outbox row with its subscription and event, POST the
 * signed payload with a short timeout, record the outcome. Never throws for a subscriber's
 * failure (that is an outcome); throws only when D1 itself fails (the message is retried).
 */

import { checkSubscriberUrl, webhookHeaders } from "@parkbridge/shared";
import { type EventDbRow, toEventRecord } from "../api/events.js";
import type { Env } from "../env.js";
import { allowsLoopbackSubscribers, type DeliveryPolicy, deliveryPolicy, retryDelaySeconds } from "./policy.js";

export type AttemptOutcome =
  | { kind: "delivered"; status: number }
  | { kind: "retry"; delaySeconds: number; error: string }
  | { kind: "dead"; error: string }
  /** Nothing to do: unknown, already delivered or dead. */
  | { kind: "skipped"; why: string };

interface DeliveryJoinRow extends Omit<EventDbRow, "id"> {
  id: string;
  status: string;
  attempts: number;
  url: string;
  secret: string;
  deleted_at: string | null;
  /** What the subscriber receives of personal data: 'masked' (default) or 'full' (it opted in). */
  personal_data: string;
  event_id: string;
  raw_body: string;
}

/**
 * The body a subscriber receives (docs/edge-api.md): the event as GET /api/events lists it (the
 * one vocabulary, whatever its platform) under its delivery's id. Personal data as its subscription
 * chose (privacy/mask.ts): masked by default, without the raw body; `full`, as stored, with it.
 */
export function deliveryPayload(row: DeliveryJoinRow): string {
  const full = row.personal_data === "full";
  let raw: unknown;
  if (full) {
    try {
      raw = JSON.parse(row.raw_body);
    } catch {
      raw = row.raw_body;
    }
  }
  const { id: eventId, ...event } = toEventRecord({ ...row, id: row.event_id }, full ? "full" : "masked");
  return JSON.stringify({ deliveryId: row.id, eventId, ...event, ...(full ? { raw } : {}) });
}

/**
 * One POST. Redirects are not followed (a 3xx is a failure: the URL checked at subscription is the
 * only place events go). What is recorded says neither why a connection failed nor how long it
 * took to fail: "refused" against "timed out" would map a network's ports through the API.
 */
async function post(url: string, body: string, headers: Record<string, string>, timeoutMs: number) {
  try {
    const response = await fetch(url, {
      method: "POST",
      body,
      headers: { "content-type": "application/json", "user-agent": "parkbridge-webhooks/1", ...headers },
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "manual",
    });
    // Drain the body so the connection is released; its content does not matter.
    await response.body?.cancel();
    if (response.status >= 200 && response.status < 300) return { ok: true as const, status: response.status };
    const redirect = response.status >= 300 && response.status < 400 ? " (redirects are not followed)" : "";
    return {
      ok: false as const,
      status: response.status,
      error: `subscriber answered HTTP ${response.status}${redirect}`,
    };
  } catch (error) {
    // The detail goes to the operator's log only.
    console.warn("delivery: no answer from the subscriber", String(error));
    return {
      ok: false as const,
      status: null,
      error: `subscriber did not answer (no connection, or no answer within ${timeoutMs} ms)`,
    };
  }
}

export async function attemptDelivery(
  env: Env,
  deliveryId: string,
  now = Date.now(),
  policy: DeliveryPolicy = deliveryPolicy(env),
): Promise<AttemptOutcome> {
  const row = await env.DB.prepare(
    `SELECT d.id, d.status, d.attempts, s.url, s.secret, s.deleted_at, s.personal_data, e.id AS event_id, e.platform, e.event,
            e.callback_type, e.app_key, e.parking_id, e.vehicle_code, e.lane_no, e.occurred_at_local, e.occurred_at,
            e.received_at, e.data, e.details, e.time_suspect, e.source, e.record_id, r.body AS raw_body
     FROM deliveries d
     JOIN subscriptions s ON s.id = d.subscription_id
     JOIN events e ON e.id = d.event_id
     JOIN raw_callbacks r ON r.id = d.event_id
     WHERE d.id = ?`,
  )
    .bind(deliveryId)
    .first<DeliveryJoinRow>();
  if (!row) return { kind: "skipped", why: "no such delivery" };
  if (row.status === "delivered" || row.status === "dead") return { kind: "skipped", why: `already ${row.status}` };

  const record = (sql: string, ...values: (string | number | null)[]) =>
    env.DB.prepare(sql)
      .bind(...values)
      .run();
  const nowIso = new Date(now).toISOString();
  if (row.deleted_at) {
    const error = "the subscription was deleted";
    await record(
      "UPDATE deliveries SET status = 'dead', last_error = ?, updated_at = ? WHERE id = ? AND status IN ('pending', 'failed')",
      error,
      nowIso,
      row.id,
    );
    return { kind: "dead", error };
  }

  // Checked again at each attempt: a subscription stored before the check, or a setting turned off since.
  const target = checkSubscriberUrl(row.url, { allowLoopback: allowsLoopbackSubscribers(env) });
  if (!target.ok) {
    const error = `the subscription's url is refused: url ${target.reason}`;
    await record(
      `UPDATE deliveries SET status = 'dead', attempts = ?, last_error = ?, updated_at = ?
       WHERE id = ? AND status IN ('pending', 'failed')`,
      row.attempts,
      error,
      nowIso,
      row.id,
    );
    return { kind: "dead", error };
  }

  const body = deliveryPayload(row);
  const result = await post(row.url, body, await webhookHeaders(row.secret, row.id, body, now), policy.timeoutMs);
  const attempts = row.attempts + 1;
  if (result.ok) {
    await record(
      `UPDATE deliveries SET status = 'delivered', attempts = ?, last_status = ?, last_error = NULL, updated_at = ?,
         delivered_at = ? WHERE id = ?`,
      attempts,
      result.status,
      nowIso,
      nowIso,
      row.id,
    );
    return { kind: "delivered", status: result.status };
  }
  // Only a row still in play records a failure: a concurrent duplicate may have delivered it, or
  // the dead-letter consumer or a deleted subscription may have ended it, while this attempt ran.
  if (attempts >= policy.maxAttempts) {
    await record(
      `UPDATE deliveries SET status = 'dead', attempts = ?, last_status = ?, last_error = ?, updated_at = ?
       WHERE id = ? AND status IN ('pending', 'failed')`,
      attempts,
      result.status,
      result.error,
      nowIso,
      row.id,
    );
    return { kind: "dead", error: result.error };
  }
  const delaySeconds = retryDelaySeconds(policy, attempts);
  await record(
    `UPDATE deliveries SET status = 'failed', attempts = ?, last_status = ?, last_error = ?, updated_at = ?,
       next_attempt_at = ? WHERE id = ? AND status IN ('pending', 'failed')`,
    attempts,
    result.status,
    result.error,
    nowIso,
    new Date(now + delaySeconds * 1000).toISOString(),
    row.id,
  );
  return { kind: "retry", delaySeconds, error: result.error };
}
