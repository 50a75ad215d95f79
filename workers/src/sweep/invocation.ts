/**
 * One invocation of the visitor expiry (the cron, or one queue consumer invocation): a budgeted
 * invocation (lib/invocation.ts: its own platform calls and D1 statements, its clock, the platform
 * clients sharing each account's token through D1) that runs expiry tasks itself or hands them to
 * the `parkbridge-expiry` queue for another invocation with a budget of its own.
 */
import type { Env } from "../env.js";
import {
  BudgetedInvocation,
  type BudgetOptions,
  type QueuedTask as Queued,
  type TaskMessage,
} from "../lib/invocation.js";
import { readVisitorConfig, type VisitorConfig } from "../visitors/config.js";

/**
 * A unit of the expiry's work: one chunk of a round's scan, one share of its revocations, or
 * opening rounds between cron ticks (a wake-up, for grants ending before `until`, the next tick).
 */
export type ExpiryTask =
  | { kind: "scan"; roundId: string; chunk: number }
  | { kind: "revoke"; roundId: string }
  | { kind: "plan"; until: number };

/** A queue message: the task, its attempt (1 first), and the sender's clock. */
export type ExpiryMessage = TaskMessage<ExpiryTask>;

export type QueuedTask = Queued<ExpiryTask>;
/** What one invocation did (logged as one JSON line). */
export interface ExpiryReport {
  job: "visitor-expiry";
  via: "cron" | "queue";
  now: string;
  roundsOpened: number;
  windowsRead: number;
  expired: number;
  superseded: number;
  retrying: number;
  failed: number;
  activated: number;
  rejected: number;
  /** Grants not decided in their round (their plate unseen in a scan that cannot prove it gone). */
  deferred: number;
  tasksRun: number;
  tasksSent: number;
  platformCalls: number;
  d1Queries: number;
}

export interface InvocationOptions extends BudgetOptions {
  via: "cron" | "queue";
}

export class ExpiryInvocation extends BudgetedInvocation<ExpiryTask> {
  readonly config: VisitorConfig;
  readonly report: ExpiryReport;

  constructor(env: Env, options: InvocationOptions) {
    super(env, env.EXPIRY, options);
    this.config = readVisitorConfig(env);
    this.report = {
      job: "visitor-expiry",
      via: options.via,
      now: new Date(options.now).toISOString(),
      roundsOpened: 0,
      windowsRead: 0,
      expired: 0,
      superseded: 0,
      retrying: 0,
      failed: 0,
      activated: 0,
      rejected: 0,
      deferred: 0,
      tasksRun: 0,
      tasksSent: 0,
      platformCalls: 0,
      d1Queries: 0,
    };
  }

  finish(): ExpiryReport {
    this.report.tasksSent = this.sent;
    this.report.platformCalls = this.calls.used;
    this.report.d1Queries = this.d1.used;
    console.log(JSON.stringify(this.report));
    return this.report;
  }
}
