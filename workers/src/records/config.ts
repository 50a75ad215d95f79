/** Settings of the history's reconciliation, read from the Worker's vars (wrangler.toml [vars]). */
import type { Env } from "../env.js";
import { wholeNumberVar } from "../lib/config.js";

export interface RecordsConfig {
  /** How far back each pass reads a lot's records (0: no passes; backfills still run). */
  trailingMs: number;
  /** How often a lot's pass opens. */
  everyMs: number;
  /** Records younger than this are left to their callbacks (in flight, or being retried). */
  settleMs: number;
  /** Records per page (the platform allows 1000). */
  pageSize: number;
  /** Pages one invocation reads at most (its CPU time: free plan 10 ms per invocation). */
  taskPages: number;
  /** Platform requests one queue consumer invocation may make (free plan: 50 subrequests). */
  maxPlatformCalls: number;
  /** D1 statements one queue consumer invocation may run (free plan: 50 queries). */
  maxD1Queries: number;
  /** Failed reads in a row before a window is given up (`failed`, with the last error). */
  maxAttempts: number;
  /** Per-request timeout of platform calls, ms. */
  platformTimeoutMs: number;
}

export function readRecordsConfig(env: Env): RecordsConfig {
  const minutes = 60_000;
  return {
    trailingMs: wholeNumberVar(env.RECONCILE_TRAILING_HOURS, "RECONCILE_TRAILING_HOURS", 48, 0) * 60 * minutes,
    everyMs: wholeNumberVar(env.RECONCILE_EVERY_MINUTES, "RECONCILE_EVERY_MINUTES", 30) * minutes,
    settleMs: wholeNumberVar(env.RECONCILE_SETTLE_MINUTES, "RECONCILE_SETTLE_MINUTES", 10, 0) * minutes,
    pageSize: Math.min(1000, wholeNumberVar(env.RECONCILE_PAGE_SIZE, "RECONCILE_PAGE_SIZE", 500)),
    taskPages: wholeNumberVar(env.RECONCILE_TASK_PAGES, "RECONCILE_TASK_PAGES", 1),
    maxPlatformCalls: wholeNumberVar(env.RECONCILE_MAX_PLATFORM_CALLS, "RECONCILE_MAX_PLATFORM_CALLS", 45),
    maxD1Queries: wholeNumberVar(env.RECONCILE_MAX_D1_QUERIES, "RECONCILE_MAX_D1_QUERIES", 45),
    maxAttempts: wholeNumberVar(env.RECONCILE_MAX_ATTEMPTS, "RECONCILE_MAX_ATTEMPTS", 5),
    platformTimeoutMs: wholeNumberVar(env.PLATFORM_TIMEOUT_MS, "PLATFORM_TIMEOUT_MS", 10_000),
  };
}
