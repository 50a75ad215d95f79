/**
 * One invocation of the visitor expiry (the cron, or one queue consumer invocation): its own
 * budget of platform calls and D1 statements (Workers count both per invocation), its clock,
 * the platform clients (sharing each account's token through D1), and the tasks it runs itself
 * or hands to the `parkbridge-expiry` queue for another invocation with a budget of its own.
 */
import type { Env } from "../env.js";
import { readVisitorConfig, type VisitorConfig } from "../visitors/config.js";
import { PlatformAccounts } from "../visitors/platform-client.js";
import { SharedTokens } from "../visitors/token-store.js";
import { CallBudget, D1Budget } from "./budget.js";

/**
 * A unit of the expiry's work: one chunk of a round's scan, one share of its revocations, or
 * opening rounds between cron ticks (a wake-up, for grants ending before `until`, the next tick).
 */
export type ExpiryTask =
  | { kind: "scan"; roundId: string; chunk: number }
  | { kind: "revoke"; roundId: string }
  | { kind: "plan"; until: number };

/** A queue message: the task, its attempt (1 first), and the sender's clock. */
export interface ExpiryMessage {
  task: ExpiryTask;
  attempt: number;
  /** The sender's logical instant (the cron's scheduledTime, advanced by the time since). */
  now: number;
  /** When it was sent, by the sender's Date.now(). */
  sentAt: number;
}

export interface QueuedTask {
  task: ExpiryTask;
  attempt: number;
  /** Wait before delivery (a retry after a transient failure). */
  delaySeconds?: number;
}

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

export interface InvocationOptions {
  via: "cron" | "queue";
  /** The logical instant at `realAt`: the cron's scheduledTime, or a message's clock. */
  now: number;
  /** Date.now() when `now` was read (default: at construction). */
  realAt?: number;
  maxPlatformCalls: number;
  maxD1Queries: number;
  /** The transport under the call budget (tests; default global fetch). */
  fetch?: typeof fetch;
}

export class ExpiryInvocation {
  readonly config: VisitorConfig;
  readonly calls: CallBudget;
  readonly d1: D1Budget;
  readonly tokens: SharedTokens;
  readonly accounts: PlatformAccounts;
  readonly report: ExpiryReport;
  private readonly base: number;
  private readonly realAt: number;

  constructor(
    readonly env: Env,
    options: InvocationOptions,
  ) {
    this.config = readVisitorConfig(env);
    this.base = options.now;
    this.realAt = options.realAt ?? Date.now();
    this.calls = new CallBudget(options.maxPlatformCalls, options.fetch);
    this.d1 = new D1Budget(options.maxD1Queries, env.DB);
    this.tokens = new SharedTokens(this.d1.db, () => this.now());
    // One in-invocation retry for reads; everything else is retried by later tasks, with backoff.
    this.accounts = new PlatformAccounts(env, { fetch: this.calls.fetch, retries: 1, sharedTokens: this.tokens });
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

  get db(): D1Database {
    return this.d1.db;
  }

  /** The invocation's instant: its logical start plus the time since (so leases and backoff stay in one time base). */
  now(): number {
    return this.base + Math.max(0, Date.now() - this.realAt);
  }

  /** Hands tasks to the queue (Queues takes at most 100 messages per sendBatch). */
  async send(tasks: QueuedTask[]): Promise<void> {
    const queue = this.env.EXPIRY;
    if (!queue || tasks.length === 0) return;
    const now = this.now();
    const sentAt = Date.now();
    for (let i = 0; i < tasks.length; i += 100) {
      await queue.sendBatch(
        tasks.slice(i, i + 100).map(({ task, attempt, delaySeconds }) => ({
          body: { task, attempt, now, sentAt } satisfies ExpiryMessage,
          ...(delaySeconds ? { delaySeconds } : {}),
        })),
      );
    }
    this.report.tasksSent += tasks.length;
  }

  finish(): ExpiryReport {
    this.report.platformCalls = this.calls.used;
    this.report.d1Queries = this.d1.used;
    console.log(JSON.stringify(this.report));
    return this.report;
  }
}
