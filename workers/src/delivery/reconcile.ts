/**
 * Cron reconciliation: outbox rows due for an attempt for longer than a grace period were lost
 * on their way to the queue (a failed send after the answer, a message dropped): re-enqueue them.
 * Bumping next_attempt_at first keeps a row from being re-enqueued again every minute.
 */
import type { Env } from "../env.js";
import { enqueueDeliveries } from "./outbox.js";

export const RECONCILE_GRACE_MS = 5 * 60_000;

export async function reconcileDeliveries(
  env: Env,
  now: number,
  options: { graceMs?: number; limit?: number } = {},
): Promise<number> {
  const cutoff = new Date(now - (options.graceMs ?? RECONCILE_GRACE_MS)).toISOString();
  const { results } = await env.DB.prepare(
    `SELECT id FROM deliveries WHERE status IN ('pending', 'failed') AND next_attempt_at <= ?
     ORDER BY next_attempt_at LIMIT ?`,
  )
    .bind(cutoff, options.limit ?? 500)
    .all<{ id: string }>();
  if (!results.length) return 0;
  const ids = results.map((r) => r.id);
  const nowIso = new Date(now).toISOString();
  await env.DB.batch(
    ids.map((id) =>
      env.DB.prepare("UPDATE deliveries SET next_attempt_at = ?, updated_at = ? WHERE id = ?").bind(nowIso, nowIso, id),
    ),
  );
  await enqueueDeliveries(env.DELIVERIES, ids);
  return ids.length;
}
