/**
 * The parkbridge edge Worker: where the platform's callbacks land (fetch), where visitor
 * access expires on time (scheduled), and (see docs/architecture.md) how events reach subscribers.
 */
import { app } from "./app.js";
import { consumeQueue } from "./delivery/consumer.js";
import type { DeliveryMessage } from "./delivery/outbox.js";
import type { Env } from "./env.js";
import type { RecordsMessage } from "./records/invocation.js";
import { consumeRecords, RECORDS_QUEUE } from "./records/run.js";
import { runScheduled } from "./scheduled.js";
import { consumeExpiry, EXPIRY_QUEUE } from "./sweep/consumer.js";
import type { ExpiryMessage } from "./sweep/invocation.js";

export default {
  fetch: app.fetch,
  scheduled(controller, env, ctx) {
    ctx.waitUntil(runScheduled(controller, env));
  },
  // Visitor expiry rounds (sweep/consumer.ts); the history's reconciliation (records/run.ts); event delivery and its dead-letter queue (delivery/consumer.ts).
  // The context is unused (all work is awaited), so callers may leave it out.
  queue(batch: MessageBatch<DeliveryMessage | ExpiryMessage | RecordsMessage>, env: Env, _ctx?: ExecutionContext) {
    if (batch.queue === RECORDS_QUEUE) return consumeRecords(batch as MessageBatch<RecordsMessage>, env);
    if (batch.queue === EXPIRY_QUEUE) return consumeExpiry(batch as MessageBatch<ExpiryMessage>, env);
    return consumeQueue(batch as MessageBatch<DeliveryMessage>, env);
  },
} satisfies ExportedHandler<Env, DeliveryMessage | ExpiryMessage | RecordsMessage>;
