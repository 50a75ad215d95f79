/** Settings of the visitor grants and their sweep, read from the Worker's vars (wrangler.toml [vars]). */
import type { Env } from "../env.js";

export interface VisitorConfig {
  /** Per-request timeout of platform calls, ms. */
  platformTimeoutMs: number;
  /** Platform requests one sweep run may make (token fetches, list pages, deletions, retries). */
  sweepMaxPlatformCalls: number;
  /** Failed revocation attempts before a grant is marked `failed`. */
  sweepMaxAttempts: number;
  /** D1 statements one sweep run may run (D1 allows 50 queries per invocation on the free plan). */
  sweepMaxD1Queries: number;
  /** Platform requests one expiry queue consumer invocation may make (free plan: 50 subrequests). */
  expiryMaxPlatformCalls: number;
  /** D1 statements one expiry queue consumer invocation may run (free plan: 50 queries). */
  expiryMaxD1Queries: number;
  /** Pages of a lot's authorisations one scan task reads (its CPU time: free plan 10 ms). */
  expiryScanPages: number;
  /** Platform requests one invocation keeps in flight at once (Workers allow 6 open connections). */
  expiryParallelCalls: number;
  /** Grants one round (one lot's scan) ends at most. */
  expiryRoundGrants: number;
  /** Wake up between cron ticks for grants ending before the next one (a delayed queue message). */
  expiryWakeUp: boolean;
}

function positiveInt(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value.trim() === "") return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) {
    throw new Error(`${name} must be a whole number of at least 1, got ${JSON.stringify(value)}`);
  }
  return parsed;
}

function onOff(value: string | undefined, fallback: boolean, name: string): boolean {
  if (value === undefined || value.trim() === "") return fallback;
  if (value === "on" || value === "off") return value === "on";
  throw new Error(`${name} must be "on" or "off", got ${JSON.stringify(value)}`);
}

export function readVisitorConfig(env: Env): VisitorConfig {
  return {
    platformTimeoutMs: positiveInt(env.PLATFORM_TIMEOUT_MS, 10_000, "PLATFORM_TIMEOUT_MS"),
    sweepMaxPlatformCalls: positiveInt(env.SWEEP_MAX_PLATFORM_CALLS, 40, "SWEEP_MAX_PLATFORM_CALLS"),
    sweepMaxAttempts: positiveInt(env.SWEEP_MAX_ATTEMPTS, 5, "SWEEP_MAX_ATTEMPTS"),
    sweepMaxD1Queries: positiveInt(env.SWEEP_MAX_D1_QUERIES, 40, "SWEEP_MAX_D1_QUERIES"),
    expiryMaxPlatformCalls: positiveInt(env.EXPIRY_MAX_PLATFORM_CALLS, 45, "EXPIRY_MAX_PLATFORM_CALLS"),
    expiryMaxD1Queries: positiveInt(env.EXPIRY_MAX_D1_QUERIES, 45, "EXPIRY_MAX_D1_QUERIES"),
    expiryScanPages: positiveInt(env.EXPIRY_SCAN_PAGES, 4, "EXPIRY_SCAN_PAGES"),
    expiryParallelCalls: Math.min(6, positiveInt(env.EXPIRY_PARALLEL_CALLS, 1, "EXPIRY_PARALLEL_CALLS")),
    expiryRoundGrants: positiveInt(env.EXPIRY_ROUND_GRANTS, 5000, "EXPIRY_ROUND_GRANTS"),
    expiryWakeUp: onOff(env.EXPIRY_WAKE_UP, false, "EXPIRY_WAKE_UP"),
  };
}
