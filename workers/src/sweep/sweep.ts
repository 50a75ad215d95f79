/**
 * The visitor-expiry sweep (cron, every minute). Each run:
 * 1. settles `pending` grants whose create call's outcome was lost (looks at the platform);
 * 2. ends `active` grants whose end has passed: deletes the platform's authorisation if it is
 *    still the grant's (`expired`), leaves it alone if the plate was given other access since
 *    (`superseded`), and records every step in `grant_audit`.
 * Each grant is worked with its own platform account (a lot belongs to one account).
 * Overlapping runs never work on the same grant (a lease taken by one conditional UPDATE);
 * a run spends at most SWEEP_MAX_PLATFORM_CALLS platform requests and leaves the rest to the
 * next run; failures back off across runs and end `failed` after SWEEP_MAX_ATTEMPTS.
 * Times: `now` is an instant (the cron's scheduledTime, UTC); grant ends are instants too, so
 * a grant ending 23:59 UTC+8 is due from 15:59 UTC, with no zone arithmetic here.
 */

import type { PlatformClient } from "@parkbridge/shared";
import type { Env } from "../env.js";
import { readVisitorConfig } from "../visitors/config.js";
import type { GrantRow, GrantStatus } from "../visitors/grant.js";
import { PlatformAccounts } from "../visitors/platform-client.js";
import {
  claimLease,
  dueGrants,
  type GrantChanges,
  releaseLease,
  stalePendingGrants,
  transition,
} from "../visitors/repository.js";
import { currentAuthorisation, type LotAuthorisations, revokeIfOwned } from "../visitors/revocation.js";
import { CallBudget, isBudgetExhausted } from "./budget.js";
import { closingOf, failureOf, type GrantChange, settlingOf } from "./outcomes.js";

export { backoffMs } from "./outcomes.js";

/** How long a run holds a grant it works on; a run that dies releases it by this expiring. */
export const SWEEP_LEASE_MS = 5 * 60_000;
/** A pending grant younger than this may still be in the middle of its create request. */
export const PENDING_GRACE_MS = 5 * 60_000;
/** D1 statements a grant costs a run at most: its lease, then its change and audit row (one batch of two). */
const D1_PER_GRANT = 3;

export interface SweepOptions {
  /** The run's instant (epoch ms): the cron's scheduledTime. */
  now: number;
  runId?: string;
  /** The transport under the call budget (tests; default global fetch). */
  fetch?: typeof fetch;
}

export interface SweepReport {
  runId: string;
  now: string;
  expired: number;
  superseded: number;
  retrying: number;
  failed: number;
  activated: number;
  rejected: number;
  /** Grants another run (or the API) held. */
  skipped: number;
  platformCalls: number;
  /** D1 statements the run ran (counted as planned: selects, leases, changes with their audit rows). */
  d1Queries: number;
  /** True when the run stopped because its platform-call or D1 budget was spent (work left for the next run). */
  budgetExhausted: boolean;
}

export async function runVisitorSweep(env: Env, options: SweepOptions): Promise<SweepReport> {
  const config = readVisitorConfig(env);
  const now = options.now;
  const runId = options.runId ?? crypto.randomUUID();
  const actor = `sweep:${runId}`;
  const budget = new CallBudget(config.sweepMaxPlatformCalls, options.fetch);
  // One in-run retry for reads; everything else is retried by the next runs, with backoff.
  const accounts = new PlatformAccounts(env, { fetch: budget.fetch, retries: 1 });
  const report: SweepReport = {
    runId,
    now: new Date(now).toISOString(),
    expired: 0,
    superseded: 0,
    retrying: 0,
    failed: 0,
    activated: 0,
    rejected: 0,
    skipped: 0,
    platformCalls: 0,
    d1Queries: 0,
    budgetExhausted: false,
  };

  // Each grant needs at least one call and D1_PER_GRANT statements; more are never useful in one run.
  const limit = Math.max(
    0,
    Math.min(config.sweepMaxPlatformCalls, Math.floor((config.sweepMaxD1Queries - 2) / D1_PER_GRANT)),
  );
  let d1Used = 2;
  const pending = await stalePendingGrants(env.DB, now - PENDING_GRACE_MS, now, limit);
  const due = await dueGrants(env.DB, now, limit);
  const work: Array<{ grant: GrantRow; status: GrantStatus }> = [
    ...pending.map((grant) => ({ grant, status: "pending" as const })),
    ...due.map((grant) => ({ grant, status: "active" as const })),
  ];

  for (const item of work) {
    // The calls this grant needs at least: its account's token and its lot's list (each once per
    // run), a deletion. A grant whose account is gone needs none: it fails below, with the reason.
    const appKey = item.grant.app_key;
    const needed = !accounts.has(appKey)
      ? 0
      : (accounts.hasToken(appKey) ? 0 : 1) +
        (accounts.lots(appKey).has(item.grant.parking_id) ? 0 : 1) +
        (item.status === "active" ? 1 : 0);
    if (budget.remaining < needed || config.sweepMaxD1Queries - d1Used < D1_PER_GRANT) {
      report.budgetExhausted = true;
      break;
    }
    d1Used += D1_PER_GRANT;
    const grant = await claimLease(env.DB, {
      id: item.grant.id,
      status: item.status,
      owner: actor,
      now,
      until: now + SWEEP_LEASE_MS,
      dueOnly: item.status === "active",
    });
    if (!grant) {
      report.skipped++;
      continue;
    }
    try {
      const lots = accounts.lots(grant.app_key);
      if (item.status === "pending") await settlePending(env.DB, grant, lots, actor, now, report);
      else await endGrant(env.DB, grant, accounts.client(grant.app_key), lots, actor, now, report);
    } catch (error) {
      if (isBudgetExhausted(error)) {
        await releaseLease(env.DB, grant.id, actor);
        report.budgetExhausted = true;
        break;
      }
      await recordFailure(env.DB, grant, error, actor, now, config.sweepMaxAttempts, report);
    }
  }
  report.platformCalls = budget.used;
  report.d1Queries = d1Used;
  console.log(JSON.stringify({ job: "visitor-expiry-sweep", ...report }));
  return report;
}

/** The ledger columns of a change (the audit row is written with it). */
export const columnsOf = (change: GrantChange): GrantChanges => ({
  status: change.status,
  closed_reason: change.closedReason,
  attempts: change.attempts,
  last_error: change.lastError,
  next_attempt_at: change.nextAttemptAt,
});

async function apply(
  db: D1Database,
  grant: GrantRow,
  change: GrantChange,
  actor: string,
  now: number,
): Promise<boolean> {
  return transition(db, {
    id: grant.id,
    from: grant.status,
    leaseOwner: actor,
    set: columnsOf(change),
    at: now,
    audit: { actor, action: change.action, detail: change.detail },
  });
}

async function endGrant(
  db: D1Database,
  grant: GrantRow,
  client: PlatformClient,
  lots: LotAuthorisations,
  actor: string,
  now: number,
  report: SweepReport,
): Promise<void> {
  const closing = closingOf(grant, await revokeIfOwned(client, lots, grant));
  if (!(await apply(db, grant, closing, actor, now))) report.skipped++;
  else if (closing.status === "superseded") report.superseded++;
  else report.expired++;
}

/** A pending grant is active if the platform holds its authorisation, else its create did not take effect. */
async function settlePending(
  db: D1Database,
  grant: GrantRow,
  lots: LotAuthorisations,
  actor: string,
  now: number,
  report: SweepReport,
): Promise<void> {
  const settling = settlingOf(grant, await currentAuthorisation(lots, grant.parking_id, grant.vehicle_code), now);
  if (await apply(db, grant, settling, actor, now))
    settling.status === "active" ? report.activated++ : report.rejected++;
}

async function recordFailure(
  db: D1Database,
  grant: GrantRow,
  error: unknown,
  actor: string,
  now: number,
  maxAttempts: number,
  report: SweepReport,
): Promise<void> {
  const failure = failureOf(grant, error, now, maxAttempts);
  await apply(db, grant, failure, actor, now);
  if (failure.status === "failed") report.failed++;
  else report.retrying++;
}
