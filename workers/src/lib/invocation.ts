/**
 * One invocation of a budgeted background job (the visitor expiry, the history's reconciliation):
 * Workers limit subrequests and D1 queries per invocation, not per minute, so each invocation gets
 * its own budgets, its logical clock, the platform clients (each account's token shared through
 * D1), and hands what it cannot afford to its queue, for another invocation with a budget of its own.
 */
import type { Env } from "../env.js";
import { CallBudget, D1Budget } from "../sweep/budget.js";
import { PlatformAccounts } from "../visitors/platform-client.js";
import { SharedTokens } from "../visitors/token-store.js";

/** A queue message: the task, its attempt (1 first), and the sender's clock. */
export interface TaskMessage<T> {
  task: T;
  attempt: number;
  /** The sender's logical instant (the cron's scheduledTime, advanced by the time since). */
  now: number;
  /** When it was sent, by the sender's Date.now(). */
  sentAt: number;
}

export interface QueuedTask<T> {
  task: T;
  attempt: number;
  /** Wait before delivery (a retry after a transient failure). */
  delaySeconds?: number;
}

export interface BudgetOptions {
  /** The logical instant at `realAt`: the cron's scheduledTime, or a message's clock. */
  now: number;
  /** Date.now() when `now` was read (default: at construction). */
  realAt?: number;
  maxPlatformCalls: number;
  maxD1Queries: number;
  /** The transport under the call budget (tests; default global fetch). */
  fetch?: typeof fetch;
}

/** A message's clock at its receipt: its sender's, advanced by the time it travelled. */
export const clockOf = (message: { now: number; sentAt: number }) =>
  message.now + Math.max(0, Date.now() - message.sentAt);

export class BudgetedInvocation<T> {
  readonly calls: CallBudget;
  readonly d1: D1Budget;
  readonly tokens: SharedTokens;
  readonly accounts: PlatformAccounts;
  /** Messages sent so far. */
  sent = 0;
  private readonly base: number;
  private readonly realAt: number;

  constructor(
    readonly env: Env,
    private readonly queue: Queue<TaskMessage<T>> | undefined,
    options: BudgetOptions,
  ) {
    this.base = options.now;
    this.realAt = options.realAt ?? Date.now();
    this.calls = new CallBudget(options.maxPlatformCalls, options.fetch);
    this.d1 = new D1Budget(options.maxD1Queries, env.DB);
    this.tokens = new SharedTokens(this.d1.db, () => this.now());
    // One in-invocation retry for reads; everything else is retried by later tasks, with backoff.
    this.accounts = new PlatformAccounts(env, { fetch: this.calls.fetch, retries: 1, sharedTokens: this.tokens });
  }

  /** D1 through the invocation's statement budget. */
  get db(): D1Database {
    return this.d1.db;
  }

  /** The invocation's instant: its logical start plus the time since (so leases and backoff stay in one time base). */
  now(): number {
    return this.base + Math.max(0, Date.now() - this.realAt);
  }

  /** Hands tasks to the queue (Queues takes at most 100 messages per sendBatch); none without a queue. */
  async send(tasks: QueuedTask<T>[]): Promise<void> {
    if (!this.queue || tasks.length === 0) return;
    const now = this.now();
    const sentAt = Date.now();
    for (let i = 0; i < tasks.length; i += 100) {
      await this.queue.sendBatch(
        tasks.slice(i, i + 100).map(({ task, attempt, delaySeconds }) => ({
          body: { task, attempt, now, sentAt } satisfies TaskMessage<T>,
          ...(delaySeconds ? { delaySeconds } : {}),
        })),
      );
    }
    this.sent += tasks.length;
  }
}
