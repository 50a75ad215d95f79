/**
 * The visitor-expiry sweep: time and platform calls to expire the same number of due grants
 * in a small ledger and in a large one (the rest closed history and grants not yet due). The
 * Worker's real scheduled handler runs in Miniflare against the real simulator, whose lot holds
 * the due grants' authorisations (loaded in bulk, in-process) and the not-yet-due ones. Both
 * ledgers run side by side in two Miniflare instances sharing one simulator, alternating runs.
 */
import os from "node:os";
import path from "node:path";
import { formatPlatformTime } from "@parkbridge/shared";
import { type RunningSimulator, startSimulator } from "@parkbridge/simulator";
import { median } from "./lib/stats.js";
import { bundleWorker, ROOT, type RunningWorker, startWorker } from "./lib/worker.js";

export interface SweepBenchOptions {
  due: number;
  ledgers: number[];
  /** Active grants not yet due (inside the largest ledger); their authorisations are on the platform in every run. */
  notYetDue: number;
  repetitions: number;
}

export interface SweepRun {
  ms: number;
  expired: number;
  platformCalls: number;
  byOperation: Record<string, number>;
  d1Queries: number | undefined;
}

export interface SweepBenchResult {
  options: SweepBenchOptions;
  ledgers: Array<{ size: number; runs: SweepRun[]; queryMs: number[] }>;
  queryPlan: string[];
  dueQuery: string;
  /** Plans of the statements the sweep runs for each grant (lease, transition, audit). */
  perGrantPlans: Array<{ what: string; plan: string[] }>;
}

// The sweep's repository, loaded at run time (Worker code: kept out of the Node typecheck).
interface Repository {
  DUE_GRANTS_SQL: string;
  claimLease: (db: unknown, lease: Record<string, unknown>) => Promise<unknown>;
  transitionStatements: (db: unknown, options: Record<string, unknown>) => unknown[];
}

/** The SQL and parameters of the per-grant statements, recorded from the repository's own functions. */
async function perGrantStatements(repository: Repository) {
  const recorded: Array<{ sql: string; params: unknown[] }> = [];
  const recorder = {
    prepare(sql: string) {
      const statement = {
        bind(...params: unknown[]) {
          recorded.push({ sql, params });
          return statement;
        },
        first: async () => null,
        all: async () => ({ results: [] }),
        run: async () => ({ meta: { changes: 0 } }),
      };
      return statement;
    },
  };
  const lease = { id: "due-00001", status: "active", owner: "sweep:x", now: NOW, until: NOW + 1, dueOnly: true };
  await repository.claimLease(recorder, lease);
  repository.transitionStatements(recorder, {
    id: "due-00001",
    from: "active",
    leaseOwner: "sweep:x",
    set: { status: "expired", closed_reason: "bench", next_attempt_at: null },
    at: NOW,
    audit: { actor: "sweep:x", action: "expired", detail: {} },
  });
  const names = [
    "claim the lease (UPDATE … RETURNING)",
    "close the grant (UPDATE)",
    "audit row (INSERT … WHERE changes() = 1)",
  ];
  return recorded.map((r, i) => ({ what: names[i] ?? `statement ${i + 1}`, sql: r.sql, params: r.params }));
}

// The sweep's clock: 12:00 UTC+8, grants ended from 10:00 (the same local day, well away from midnight).
const NOW = Date.parse("2026-12-01T04:00:00Z");
const DUE_END = NOW - 2 * 3_600_000;
const END_DATE = formatPlatformTime(DUE_END, "date");
const START_DATE = formatPlatformTime(DUE_END - 86_400_000, "date");
const LOT = "park1";
const plate = (prefix: string, i: number) => `${prefix}${String(i).padStart(5, "0")}`;

/** One ledger: `size - due` filler rows (closed history and `notYetDue` open grants), then `due` due grants. */
async function buildLedger(worker: RunningWorker, size: number, due: number, notYetDue: number): Promise<void> {
  const filler = size - due;
  const future = Math.min(notYetDue, filler);
  const columns = `id, parking_id, vehicle_code, visitor_name, visitor_phone, reason, lane_nos, starts_at, ends_at,
    starts_at_local, ends_at_local, platform_start_date, platform_end_date, source, source_ref, status, attempts, created_at, updated_at`;
  if (filler > 0) {
    await worker.db
      .prepare(
        `INSERT INTO visitor_grants (${columns})
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
         SELECT printf('hist-%06d', i), 'park' || (1 + i % 3),
           CASE WHEN i <= ?2 THEN '浙F' || printf('%05d', i) ELSE 'H' || i END,
           'visitor', '13800000000', NULL, NULL,
           ?3 - 86400000 * (1 + i % 400), CASE WHEN i <= ?2 THEN ?3 + 86400000 * (1 + i % 30) ELSE ?3 - 86400000 * (i % 400) END,
           'x', 'x', 'x', 'x', 'api', NULL,
           CASE WHEN i <= ?2 THEN 'active' ELSE ('expired', 'revoked', 'superseded', 'failed', 'rejected')[0] END,
           0, ?3 - 86400000 * (1 + i % 400), ?3
         FROM n`.replace(
          "('expired', 'revoked', 'superseded', 'failed', 'rejected')[0]",
          "CASE i % 5 WHEN 0 THEN 'expired' WHEN 1 THEN 'revoked' WHEN 2 THEN 'superseded' WHEN 3 THEN 'failed' ELSE 'rejected' END",
        ),
      )
      .bind(filler, future, NOW)
      .run();
  }
  await worker.db
    .prepare(
      `INSERT INTO visitor_grants (${columns})
       WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
       SELECT printf('due-%05d', i), ?2, '浙D' || printf('%05d', i), 'visitor', '13800000000', NULL, NULL,
         ?3 - 86400000, ?3 - i * 1000, 'x', 'x', ?4, ?5, 'api', NULL, 'active', 0, ?3 - 86400000, ?3 - 86400000
       FROM n`,
    )
    .bind(due, LOT, DUE_END, START_DATE, END_DATE)
    .run();
}

/** Back to "all due grants active, their authorisations on the platform". */
async function resetDue(worker: RunningWorker, simulator: RunningSimulator, due: number): Promise<void> {
  await worker.db.batch([
    worker.db.prepare(
      `UPDATE visitor_grants SET status = 'active', closed_reason = NULL, lease_owner = NULL, lease_until = NULL,
         next_attempt_at = NULL, attempts = 0, last_error = NULL WHERE id LIKE 'due-%'`,
    ),
    worker.db.prepare("DELETE FROM grant_audit"),
  ]);
  for (let i = 1; i <= due; i++) {
    simulator.state.putAuthorisation({
      parkingId: LOT,
      vehicleCode: plate("浙D", i),
      vehicleType: "2",
      userName: "visitor",
      userPhoneNumber: "13800000000",
      startTime: START_DATE,
      endTime: END_DATE,
      remark: `[pb:${`due-${String(i).padStart(5, "0")}`}]`,
    });
  }
}

export async function runSweepBench(
  options: SweepBenchOptions,
  log: (line: string) => void,
): Promise<SweepBenchResult> {
  const outdir = path.join(os.tmpdir(), `parkbridge-bench-${process.pid}`);
  const script = await bundleWorker(path.join(ROOT, "workers/src/index.ts"), outdir, "parkbridge");
  const simulator = await startSimulator({ port: 0, seed: 3 });
  // Grants not yet due hold authorisations too (the same in every run, whatever the ledger).
  for (let i = 1; i <= options.notYetDue; i++) {
    simulator.state.putAuthorisation({
      parkingId: `park${1 + (i % 3)}`,
      vehicleCode: plate("浙F", i),
      vehicleType: "2",
      userName: "visitor",
      userPhoneNumber: "13800000000",
      startTime: START_DATE,
      endTime: formatPlatformTime(NOW + 40 * 86_400_000, "date"),
    });
  }
  const reports: Array<Record<string, unknown>> = [];
  const repository = (await import(path.join(ROOT, "workers/src/visitors/repository.ts"))) as Repository;
  const dueQuery = repository.DUE_GRANTS_SQL;
  const perGrant = await perGrantStatements(repository);
  const ledgers: Array<{ size: number; worker: RunningWorker; runs: SweepRun[]; queryMs: number[] }> = [];
  try {
    for (const size of options.ledgers) {
      const worker = await startWorker({
        scriptPath: script,
        bindings: {
          PLATFORM_BASE_URL: simulator.url,
          PLATFORM_APP_KEY: "demo-app-key",
          PLATFORM_APP_SECRET: "demo-app-secret",
          ADMIN_TOKEN: "bench-admin-token",
          // One run does all the work (the default caps spread it over many minutes).
          SWEEP_MAX_PLATFORM_CALLS: String(options.due * 5 + 100),
          SWEEP_MAX_D1_QUERIES: String(options.due * 10 + 100),
        },
        onLog: (line) => {
          if (line.includes('"job":"visitor-expiry-sweep"')) reports.push(JSON.parse(line.slice(line.indexOf("{"))));
        },
      });
      await buildLedger(worker, size, options.due, size === Math.max(...options.ledgers) ? options.notYetDue : 0);
      ledgers.push({ size, worker, runs: [], queryMs: [] });
      log(`sweep: ledger of ${size} grants built`);
    }
    for (let rep = 0; rep < options.repetitions; rep++) {
      for (const ledger of rep % 2 === 0 ? ledgers : [...ledgers].reverse()) {
        await resetDue(ledger.worker, simulator, options.due);
        const callsBefore = simulator.calls.length;
        const reportsBefore = reports.length;
        const handler = await ledger.worker.mf.getWorker();
        const started = performance.now();
        await handler.scheduled({ scheduledTime: new Date(NOW), cron: "* * * * *" });
        // The handler hands the sweep to waitUntil: the run is over when it logs its report.
        while (reports.length === reportsBefore) await new Promise((resolve) => setTimeout(resolve, 2));
        const ms = performance.now() - started;
        const calls = simulator.calls.slice(callsBefore);
        const expired =
          (
            await ledger.worker.db
              .prepare("SELECT count(*) AS n FROM visitor_grants WHERE id LIKE 'due-%' AND status = 'expired'")
              .first<{ n: number }>()
          )?.n ?? 0;
        const byOperation: Record<string, number> = {};
        for (const call of calls) byOperation[call.operationId] = (byOperation[call.operationId] ?? 0) + 1;
        const report = reports.slice(reportsBefore).at(-1);
        ledger.runs.push({
          ms,
          expired: expired as number,
          platformCalls: calls.length,
          byOperation,
          d1Queries: report?.d1Queries as number | undefined,
        });
        log(
          `sweep ledger=${ledger.size} run ${rep + 1}: ${ms.toFixed(0)} ms, ${expired} expired, ${calls.length} platform calls`,
        );
      }
    }
    // The due-grants query alone, all due grants active (median of 25, through Miniflare's D1 proxy).
    for (const ledger of ledgers) {
      await resetDue(ledger.worker, simulator, options.due);
      for (let i = 0; i < 25; i++) {
        const started = performance.now();
        await ledger.worker.db.prepare(dueQuery).bind(NOW, options.due).all();
        ledger.queryMs.push(performance.now() - started);
      }
    }
    const largest = ledgers.at(-1) as (typeof ledgers)[number];
    const plan = await largest.worker.db
      .prepare(`EXPLAIN QUERY PLAN ${dueQuery}`)
      .bind(NOW, options.due)
      .all<{ detail: string }>();
    const perGrantPlans: SweepBenchResult["perGrantPlans"] = [];
    for (const { what, sql, params } of perGrant) {
      const rows = await largest.worker.db
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .bind(...params)
        .all<{ detail: string }>();
      perGrantPlans.push({ what, plan: rows.results.map((r) => r.detail) });
    }
    return {
      options,
      ledgers: ledgers.map(({ size, runs, queryMs }) => ({ size, runs, queryMs })),
      queryPlan: plan.results.map((r) => r.detail),
      perGrantPlans,
      dueQuery: dueQuery.replace(/\s+/g, " ").trim(),
    };
  } finally {
    for (const ledger of ledgers) await ledger.worker.close();
    await simulator.close();
  }
}

export const sweepMedian = (runs: SweepRun[]) => ({
  ms: median(runs.map((r) => r.ms)),
  platformCalls: median(runs.map((r) => r.platformCalls)),
  expired: Math.min(...runs.map((r) => r.expired)),
  d1Queries: median(runs.map((r) => r.d1Queries ?? Number.NaN)),
});
