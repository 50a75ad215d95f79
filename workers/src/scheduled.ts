import { pruneHeldEvidence } from "./callbacks/held.js";
import { pruneCallbackSignatures } from "./callbacks/prune.js";
import { reconcileDeliveries } from "./delivery/reconcile.js";
import type { Env } from "./env.js";
import { pruneExpired } from "./privacy/retention.js";
import { scheduleReconciliation } from "./records/run.js";
import { planExpiry } from "./sweep/planner.js";
import { runVisitorSweep } from "./sweep/sweep.js";

/** Cron entry (UTC). Each job is independent: one failing does not stop the others. */
export async function runScheduled(controller: ScheduledController, env: Env): Promise<void> {
  const jobs: Array<[string, () => Promise<unknown>]> = [
    // Visitor expiry: `now` is the cron's scheduled instant (UTC), so tests choose it. With the
    // expiry queue bound, rounds that consumers carry (sweep/planner.ts); without, the sweep alone.
    [
      "visitor-expiry",
      () =>
        env.EXPIRY
          ? planExpiry(env, { now: controller.scheduledTime })
          : runVisitorSweep(env, { now: controller.scheduledTime }),
    ],
    // The history's gaps filled from the platform's records (records/run.ts): a run on its queue, or here.
    ...(env.RECONCILE === "off"
      ? []
      : [
          ["platform-records", () => scheduleReconciliation(env, controller.scheduledTime)] as [
            string,
            () => Promise<unknown>,
          ],
        ]),
    // Outbox rows whose queue message was lost: re-enqueue (delivery/reconcile.ts).
    ["delivery-reconciliation", () => reconcileDeliveries(env, controller.scheduledTime)],
    // Used (timestamp, sign) pairs older than the callback window can never be accepted again.
    ["callback-signature-pruning", () => pruneCallbackSignatures(env, controller.scheduledTime)],
    // Held callbacks resolved over 30 days ago keep their record and audit, not their bodies.
    ["held-callback-pruning", () => pruneHeldEvidence(env.DB, controller.scheduledTime)],
    // Personal data is kept no longer than needed: events, deliveries, closed grants past their periods.
    ["retention", () => pruneExpired(env, controller.scheduledTime)],
  ];
  const results = await Promise.allSettled(jobs.map(([, job]) => job()));
  results.forEach((result, index) => {
    if (result.status === "rejected") console.error(`scheduled job ${jobs[index]?.[0]} failed:`, result.reason);
  });
}
