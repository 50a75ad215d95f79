/**
 * Cron reconciliation: outbox rows due for an attempt for longer than a grace period were lost
 * on their way to the queue (a failed send after the answer, a message dropped): re-enqueue them.
 *
 * One statement claims the rows and returns them: it moves their next_attempt_at to now, so a
 * row is not re-enqueued again every minute, and two overlapping runs never claim the same row.
 * If the run dies after the claim and before the send (or the claim's answer is lost), the rows
 * are simply due again one grace period later: nothing is lost, only delayed.
 */
import type { Env } from "../env.js";
import { enqueueDeliveries } from "./outbox.js";

export const RECONCILE_GRACE_MS = 5 * 60_000;

/** Re-enqueues the lost rows due before `now` minus the grace; answers the ids it claimed. */
export async function reconcileDeliveries(
  env: Env,
  now: number,
  options: { graceMs?: number; limit?: number } = {},
): Promise<string[]> {
  const cutoff = new Date(now - (options.graceMs ?? RECONCILE_GRACE_MS)).toISOString();
  const nowIso = new Date(now).toISOString();
  const { results } = await env.DB.prepare(
    `UPDATE deliveries SET next_attempt_at = ?1, updated_at = ?1
     WHERE id IN (
       SELECT id FROM deliveries WHERE status IN ('pending', 'failed') AND next_attempt_at <= ?2
       ORDER BY next_attempt_at LIMIT ?3)
       AND status IN ('pending', 'failed') AND next_attempt_at <= ?2
     RETURNING id`,
  )
    .bind(nowIso, cutoff, options.limit ?? 500)
    .all<{ id: string }>();
  const ids = results.map((r) => r.id);
  if (ids.length) await enqueueDeliveries(env.DELIVERIES, ids);
  return ids;
}
