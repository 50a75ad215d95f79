/**
 * The outbox: one `deliveries` row per subscription an event matches, written in the event's own
 * batch, and the queue messages that carry each row to the consumer. A lost send costs only
 * latency: the reconciliation re-enqueues rows left due (see reconcile.ts).
 */
import type { CallbackEventId } from "@parkbridge/shared";

/** A queue message names one delivery; the consumer reads the rest from D1. */
export interface DeliveryMessage {
  deliveryId: string;
}

/** Inserts the outbox rows of a just-stored event (no-op unless raw_callbacks has it), RETURNING their ids. */
export function outboxInsert(
  db: D1Database,
  input: { eventId: string; event: CallbackEventId; parkingId: string; now: string },
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO deliveries (id, subscription_id, event_id, status, attempts, next_attempt_at, created_at, updated_at)
       SELECT 'dlv_' || lower(hex(randomblob(12))), s.id, ?1, 'pending', 0, ?4, ?4, ?4
       FROM subscriptions s
       WHERE s.deleted_at IS NULL
         AND (s.parking_id IS NULL OR s.parking_id = ?3)
         AND (s.events IS NULL OR EXISTS (SELECT 1 FROM json_each(s.events) WHERE json_each.value = ?2))
         AND EXISTS (SELECT 1 FROM raw_callbacks WHERE id = ?1)
       RETURNING id`,
    )
    .bind(input.eventId, input.event, input.parkingId, input.now);
}

/** Sends one message per delivery (Queues takes at most 100 per sendBatch). */
export async function enqueueDeliveries(
  queue: Queue<DeliveryMessage>,
  deliveryIds: string[],
  delaySeconds?: number,
): Promise<void> {
  for (let i = 0; i < deliveryIds.length; i += 100) {
    const chunk = deliveryIds.slice(i, i + 100);
    await queue.sendBatch(
      chunk.map((deliveryId) => ({ body: { deliveryId }, ...(delaySeconds ? { delaySeconds } : {}) })),
    );
  }
}
