/**
 * The outbox: one `deliveries` row per subscription an event matches, written in the event's own
 * batch, and the queue messages that carry each row to the consumer. A lost send costs only
 * latency: the reconciliation re-enqueues rows left due (see reconcile.ts).
 */

/** A queue message names one delivery; the consumer reads the rest from D1. */
export interface DeliveryMessage {
  deliveryId: string;
}

/**
 * Inserts the outbox rows of just-stored events (only those raw_callbacks has), RETURNING their
 * ids and events. `eventsJson` is the ingestion batch's JSON array of callback rows; this reads
 * their `id`, `platform`, `event`, `parking_id` and `received_at`.
 */
export function outboxInsert(db: D1Database, eventsJson: string): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO deliveries (id, subscription_id, event_id, status, attempts, next_attempt_at, created_at, updated_at)
       SELECT 'dlv_' || lower(hex(randomblob(12))), s.id, r ->> 'id', 'pending', 0,
         r ->> 'received_at', r ->> 'received_at', r ->> 'received_at'
       FROM (SELECT value AS r FROM json_each(?1))
       JOIN subscriptions s
         ON s.deleted_at IS NULL
         AND (s.platform IS NULL OR s.platform = r ->> 'platform')
         AND (s.parking_id IS NULL OR s.parking_id = r ->> 'parking_id')
         AND (s.events IS NULL OR EXISTS (SELECT 1 FROM json_each(s.events) e WHERE e.value = r ->> 'event'))
       WHERE EXISTS (SELECT 1 FROM raw_callbacks WHERE id = r ->> 'id')
       RETURNING id, event_id`,
    )
    .bind(eventsJson);
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
