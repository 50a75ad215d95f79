/**
 * One invocation of the history's reconciliation (a `parkbridge-records` queue consumer, or the
 * API starting a backfill): its own budgets of platform calls and D1 statements
 * (lib/invocation.ts), its tasks, and the one JSON line it logs.
 */
import type { Env } from "../env.js";
import { BudgetedInvocation, type BudgetOptions, type QueuedTask, type TaskMessage } from "../lib/invocation.js";
import { type RecordsConfig, readRecordsConfig } from "./config.js";

/**
 * A unit of reconciliation: one run (lot listings due, passes due, then windows from their
 * cursors while the budget lasts). Windows are leased in D1, so duplicate or parallel runs read
 * different windows, and a run that dies frees its window when the lease lapses.
 */
export type RecordsTask = { kind: "run" };

export type RecordsMessage = TaskMessage<RecordsTask>;
export type QueuedRecordsTask = QueuedTask<RecordsTask>;

/** What one invocation did (logged as one JSON line). */
export interface RecordsReport {
  job: "platform-records";
  via: "cron" | "queue" | "api";
  now: string;
  passesOpened: number;
  lotsListed: number;
  pagesRead: number;
  recordsRead: number;
  /** Accesses stored from records (their callbacks never came). */
  recovered: number;
  /** Records whose access a callback had stored: their recordId attached. */
  attached: number;
  /** Records that cannot be an access (and were skipped, counted on their window). */
  unusable: number;
  windowsDone: number;
  windowsFailed: number;
  /** Page reads that failed (retried later, with backoff). */
  readFailures: number;
  tasksRun: number;
  tasksSent: number;
  platformCalls: number;
  /** Queue sends (deliveries of recovered events, follow-up tasks): subrequests too. */
  queueSends: number;
  d1Queries: number;
  /** Wall time of the run, ms (workerd's clock moves on I/O only: platform calls and D1 round trips included). */
  durationMs: number;
}

export class RecordsInvocation extends BudgetedInvocation<RecordsTask> {
  readonly config: RecordsConfig;
  readonly report: RecordsReport;
  private startedAt: number;

  constructor(env: Env, options: BudgetOptions & { via: RecordsReport["via"] }) {
    super(env, env.RECORDS, options);
    this.config = readRecordsConfig(env);
    this.report = {
      job: "platform-records",
      via: options.via,
      now: new Date(options.now).toISOString(),
      passesOpened: 0,
      lotsListed: 0,
      pagesRead: 0,
      recordsRead: 0,
      recovered: 0,
      attached: 0,
      unusable: 0,
      windowsDone: 0,
      windowsFailed: 0,
      readFailures: 0,
      tasksRun: 0,
      tasksSent: 0,
      platformCalls: 0,
      queueSends: 0,
      d1Queries: 0,
      durationMs: 0,
    };
    this.startedAt = Date.now();
  }

  /** Counts subrequests that are not platform calls (queue sends) against the same cap. */
  spendSubrequests(count: number): void {
    this.calls.used += count;
    this.report.queueSends += count;
  }

  finish(): RecordsReport {
    this.report.tasksSent = this.sent;
    this.report.platformCalls = this.calls.used - this.report.queueSends;
    this.report.d1Queries = this.d1.used;
    this.report.durationMs = Date.now() - this.startedAt;
    console.log(JSON.stringify(this.report));
    return this.report;
  }
}
