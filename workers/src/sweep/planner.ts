/**
 * The cron's part of the visitor expiry when the `parkbridge-expiry` queue is bound: every
 * minute it opens the rounds (opening.ts) and starts their scans: a small lot is scanned and
 * ended in this invocation, a large one by queue consumers in parallel (tasks.ts). With
 * EXPIRY_WAKE_UP on it also leaves a wake-up for grants ending before the next tick. First it
 * prunes what closed rounds left.
 * Times: `now` is the cron's scheduledTime (UTC); grant ends are instants, no zone arithmetic.
 */
import type { Env } from "../env.js";
import { readVisitorConfig } from "../visitors/config.js";
import { ExpiryInvocation, type ExpiryReport } from "./invocation.js";
import { openRounds, wakeUpBefore } from "./opening.js";
import { pruneRoundsStatements } from "./rounds.js";
import { runTasks } from "./tasks.js";

export { ROUND_LEASE_MS } from "./opening.js";

const TICK_MS = 60_000;

export interface PlanOptions {
  /** The run's instant (epoch ms): the cron's scheduledTime. */
  now: number;
  /** The transport under the call budget (tests; default global fetch). */
  fetch?: typeof fetch;
}

export async function planExpiry(env: Env, options: PlanOptions): Promise<ExpiryReport> {
  const config = readVisitorConfig(env);
  // The cron invocation is shared with the other scheduled jobs: the sweep's caps, not the consumers'.
  const inv = new ExpiryInvocation(env, {
    via: "cron",
    now: options.now,
    maxPlatformCalls: config.sweepMaxPlatformCalls,
    maxD1Queries: config.sweepMaxD1Queries,
    fetch: options.fetch,
  });
  await inv.db.batch(pruneRoundsStatements(inv.db, options.now));
  const scans = await openRounds(inv);
  const wakeUp = await wakeUpBefore(inv, options.now + TICK_MS, "cron");
  await runTasks(inv, wakeUp ? [wakeUp, ...scans] : scans);
  return inv.finish();
}
