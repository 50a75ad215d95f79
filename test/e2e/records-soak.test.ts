/**
 * Soak of the history's reconciliation (bench/reconcile.ts, bounded for CI): the simulator drives
 * thousands of entries and exits over its 3 lots, dropping 20 % of its callbacks and sending 5 %
 * twice, to the real Worker (workerd through Miniflare, real D1 and Queues). A backfill per lot,
 * worked off by the Worker's own queue consumer within each run's budgets, must leave the stored
 * vehicle accesses equal to the platform's records (count and content), with no duplicate, and
 * every recovered event delivered to the subscriber at least once.
 */
import { describe, expect, it } from "vitest";
import { runReconcileBench } from "../../bench/reconcile.js";

// 2000 traffic events keep the test near a minute on 2 busy cores; RECORDS_SOAK_STEPS=10000 for a longer soak.
const STEPS = Number(process.env.RECORDS_SOAK_STEPS ?? 2000);

describe("soak: the history from a platform that loses callbacks", () => {
  it(`equals the platform's records after reconciliation (${STEPS} events, 20 % dropped, 5 % duplicated)`, async () => {
    const result = await runReconcileBench(
      { steps: STEPS, dropRate: 0.2, duplicateRate: 0.05, timeoutMs: 240_000 },
      () => {},
    );
    // The faults really happened, on thousands of accesses.
    expect(result.records).toBeGreaterThan(STEPS);
    expect(result.callbacksDropped).toBeGreaterThan(STEPS * 0.1);
    expect(result.callbacksDuplicated).toBeGreaterThan(0);
    // Every record once, as the platform has it.
    expect(result.missing, JSON.stringify(result.missingExamples)).toBe(0);
    expect(result.duplicates).toBe(0);
    expect(result.mismatched).toBe(0);
    expect(result.storedByCallback + result.recovered).toBe(result.records);
    expect(result.recovered).toBeGreaterThanOrEqual(result.callbacksDropped * 0.5);
    // Every recovered event reached the subscriber.
    expect(result.recoveredDelivered).toBe(result.recovered);
    // Each run within the free plan's limits.
    expect(result.peakPlatformCallsPerRun).toBeLessThanOrEqual(50);
    expect(result.peakD1QueriesPerRun).toBeLessThanOrEqual(50);
    const { missingExamples: _examples, ...figures } = result;
    console.log(JSON.stringify(figures));
  }, 420_000);
});
