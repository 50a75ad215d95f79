/**
 * The `parkbridge-expiry` queue consumer: each invocation runs the task its message names
 * (max_batch_size = 1: one task, one invocation's budget), and whatever follow-ups it can still
 * afford; the rest it sends back to the queue. A task that throws (D1 failing) is retried by
 * Queues; a message that is never done is recovered by its round's deadline (planner.ts).
 */
import type { Env } from "../env.js";
import { readVisitorConfig } from "../visitors/config.js";
import { ExpiryInvocation, type ExpiryMessage } from "./invocation.js";
import { runTasks } from "./tasks.js";

export const EXPIRY_QUEUE = "parkbridge-expiry";

export async function consumeExpiry(
  batch: MessageBatch<ExpiryMessage>,
  env: Env,
  options: { fetch?: typeof fetch } = {},
): Promise<void> {
  const config = readVisitorConfig(env);
  const first = batch.messages[0];
  if (!first) return;
  // The sender's clock, advanced by the time the message travelled: leases and backoff stay in one time base.
  const inv = new ExpiryInvocation(env, {
    via: "queue",
    now: first.body.now + Math.max(0, Date.now() - first.body.sentAt),
    maxPlatformCalls: config.expiryMaxPlatformCalls,
    maxD1Queries: config.expiryMaxD1Queries,
    fetch: options.fetch,
  });
  try {
    for (const [index, message] of batch.messages.entries()) {
      // One invocation's budget serves one task: further messages of a larger batch wait.
      if (index > 0) {
        message.retry();
        continue;
      }
      try {
        await runTasks(inv, [{ task: message.body.task, attempt: message.body.attempt }], true);
        message.ack();
      } catch (error) {
        console.error(`expiry message ${JSON.stringify(message.body.task)} failed:`, String(error));
        message.retry({ delaySeconds: 5 });
      }
    }
  } finally {
    inv.finish();
  }
}
