/**
 * The queue consumer. Messages of a batch are attempted concurrently and acked or retried one
 * by one, so a slow or failing subscriber holds up no other (each attempt has its own timeout).
 * Messages arriving on the dead-letter queue (a consumer that kept crashing) mark their
 * delivery dead, where the API shows it and can re-send it.
 */
import type { Env } from "../env.js";
import { attemptDelivery } from "./attempt.js";
import type { DeliveryMessage } from "./outbox.js";
import { deliveryPolicy } from "./policy.js";

export const isDeadLetterQueue = (name: string) => name.endsWith("-dlq");

export async function consumeDeliveries(batch: MessageBatch<DeliveryMessage>, env: Env): Promise<void> {
  const policy = deliveryPolicy(env);
  await Promise.all(
    batch.messages.map(async (message) => {
      try {
        const outcome = await attemptDelivery(env, message.body.deliveryId, Date.now(), policy);
        if (outcome.kind === "retry") message.retry({ delaySeconds: outcome.delaySeconds });
        else message.ack();
      } catch (error) {
        // D1 failed, not the subscriber: let Queues redeliver (max_retries, then the DLQ).
        console.error(`delivery ${message.body.deliveryId}: attempt failed`, String(error));
        message.retry({ delaySeconds: policy.retryBaseSeconds });
      }
    }),
  );
}

export async function consumeDeadLetters(batch: MessageBatch<DeliveryMessage>, env: Env): Promise<void> {
  const now = new Date().toISOString();
  for (const message of batch.messages) {
    await env.DB.prepare(
      `UPDATE deliveries SET status = 'dead', updated_at = ?,
         last_error = coalesce(last_error, 'the delivery consumer failed repeatedly')
       WHERE id = ? AND status IN ('pending', 'failed')`,
    )
      .bind(now, message.body.deliveryId)
      .run();
    message.ack();
  }
}

export function consumeQueue(batch: MessageBatch<DeliveryMessage>, env: Env): Promise<void> {
  return isDeadLetterQueue(batch.queue) ? consumeDeadLetters(batch, env) : consumeDeliveries(batch, env);
}
