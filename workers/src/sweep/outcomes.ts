/**
 * What the visitor expiry writes when it ends a grant, settles a pending one or records a
 * failed attempt: one vocabulary (statuses, reasons, audit actions, backoff) for the sweep run
 * (sweep.ts) and the queued rounds (tasks.ts).
 */
import { formatPlatformTime } from "@parkbridge/shared";
import type { GrantRow } from "../visitors/grant.js";
import { type Authorisation, judgeOwnership } from "../visitors/ownership.js";
import type { GrantOutcome } from "../visitors/repository.js";
import { describeFailure, type RevocationOutcome } from "../visitors/revocation.js";

const BACKOFF_BASE_MS = 60_000;
const BACKOFF_MAX_MS = 30 * 60_000;

/** Delay before the next attempt after `attempts` failures: 1, 2, 4, 8… minutes, at most 30. */
export const backoffMs = (attempts: number) =>
  Math.min(BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1), BACKOFF_MAX_MS);

/** The columns a closing, settling or failure sets (with the audit row that goes with it). */
export type GrantChange = GrantOutcome & { detail: Record<string, unknown> };

/** An active grant ended on the platform (or found ended, or left to whoever changed it). */
export function closingOf(grant: GrantRow, outcome: RevocationOutcome): GrantChange {
  const ended = `ended ${grant.ends_at_local} (UTC+8)`;
  const base = { attempts: grant.attempts, lastError: grant.last_error, nextAttemptAt: null };
  const detail = { outcome, attempts: grant.attempts };
  switch (outcome.kind) {
    case "deleted":
      return {
        ...base,
        status: "expired",
        closedReason: `${ended}; the platform's authorisation was deleted`,
        action: "expired",
        detail,
      };
    case "gone":
      return {
        ...base,
        status: "expired",
        closedReason: `${ended}; the platform had no authorisation for the plate any more`,
        action: "expired_already_gone",
        detail,
      };
    case "superseded":
      return {
        ...base,
        status: "superseded",
        closedReason: `${ended}; the platform's authorisation was left in place: ${outcome.reason}`,
        action: "superseded",
        detail,
      };
  }
}

/**
 * A pending grant (its create call's outcome was lost) settled from the platform's authorisation
 * of the plate: active if it is the grant's, with the grant's end date; else the create did not take effect.
 */
export function settlingOf(grant: GrantRow, current: Authorisation | undefined, now: number): GrantChange {
  const ownership = judgeOwnership(grant, current);
  const took = ownership.kind === "owned" && current?.endTime?.slice(0, 10) === grant.platform_end_date;
  return {
    status: took ? "active" : "rejected",
    closedReason: took
      ? null
      : `the create call's outcome was unknown and the platform has no authorisation of this grant (checked ${formatPlatformTime(now, "second")} UTC+8)`,
    attempts: grant.attempts,
    lastError: grant.last_error,
    nextAttemptAt: null,
    action: took ? "reconciled_active" : "reconciled_rejected",
    detail: { platform: current ?? null },
  };
}

/** A failed attempt: retried after the backoff, or `failed` after `maxAttempts`, the error kept. */
export function failureOf(grant: GrantRow, error: unknown, now: number, maxAttempts: number): GrantChange {
  const attempts = grant.attempts + 1;
  const message = describeFailure(error);
  const giveUp = attempts >= maxAttempts;
  const nextAttemptAt = now + backoffMs(attempts);
  return {
    status: giveUp ? "failed" : grant.status,
    closedReason: giveUp
      ? `gave up after ${attempts} attempts; the platform's authorisation may still be in place`
      : grant.closed_reason,
    attempts,
    lastError: message,
    nextAttemptAt: giveUp ? null : nextAttemptAt,
    action: giveUp ? "failed" : "attempt_failed",
    detail: {
      attempts,
      error: message,
      ...(giveUp ? {} : { nextAttemptAt: new Date(nextAttemptAt).toISOString() }),
    },
  };
}
