/**
 * Stores a verified callback in one D1 batch (a transaction: all or nothing): the used
 * (timestamp, sign) pair, the raw callback, its event row, its typed row, the live state it
 * advances and its outbox rows. Every statement after the raw insert only acts when that insert
 * did, so a redelivery (same content key) or a reused pair (same timestamp and sign, another
 * body) stores nothing new. The batch is idempotent (fixed ids, content key), hence safe to retry.
 */
import type { VerifiedCallback } from "@parkbridge/shared";
import { outboxInsert } from "../delivery/outbox.js";
import { type EventRow, laneUpdateOf, lotUpdateOf, toEventRow } from "./normalise.js";

export interface StoreInput {
  verified: VerifiedCallback;
  body: string;
  headers: Record<string, string>;
  receivedAt: Date;
  eventId: string;
  /**
   * Statements other modules add to the batch (e.g. the visitor grant of a PARKING_VISITOR
   * callback). They run only if this batch stored the callback: a guard aborts it otherwise.
   */
  extra?: D1PreparedStatement[];
}

export type StoreOutcome =
  | {
      kind: "stored";
      eventId: string;
      row: EventRow;
      deliveryIds: string[];
      lotChanged: boolean;
      laneChanged: boolean;
    }
  | { kind: "duplicate"; eventId: string }
  | { kind: "reused_signature" };

/** appKey + callbackType + sha256(body): what makes two deliveries the same callback. */
export const contentKeyOf = (v: Pick<VerifiedCallback, "appKey" | "event" | "bodyDigest">) =>
  `${v.appKey}:${v.event.callbackType}:${v.bodyDigest}`;

const IF_STORED = "WHERE EXISTS (SELECT 1 FROM raw_callbacks WHERE id = ?)";

export function typedInsert(db: D1Database, eventId: string, row: EventRow): D1PreparedStatement {
  switch (row.event) {
    case "vehicleAccess": {
      const d = row.data as Extract<VerifiedCallback["event"], { event: "vehicleAccess" }>["data"];
      return db
        .prepare(
          `INSERT INTO vehicle_accesses (event_id, parking_id, vehicle_code, vehicle_type, direction, lane_no, lane_name,
             occurred_at, temp_lot, in_park_num, total_lot)
           SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? ${IF_STORED}`,
        )
        .bind(
          eventId,
          d.parkingId,
          d.vehicleCode,
          d.vehicleType ?? null,
          d.direction,
          d.laneNo,
          d.laneName ?? null,
          row.occurredAt,
          d.tempLot ?? null,
          d.inParkNum ?? null,
          d.totalLot ?? null,
          eventId,
        );
    }
    case "cameraStatus": {
      const d = row.data as Extract<VerifiedCallback["event"], { event: "cameraStatus" }>["data"];
      return db
        .prepare(
          `INSERT INTO camera_statuses (event_id, parking_id, lane_no, lane_name, online, occurred_at)
           SELECT ?, ?, ?, ?, ?, ? ${IF_STORED}`,
        )
        .bind(eventId, d.parkingId, d.laneNo, d.laneName ?? null, d.online ? 1 : 0, row.occurredAt, eventId);
    }
    case "visitorRegistered": {
      const d = row.data as Extract<VerifiedCallback["event"], { event: "visitorRegistered" }>["data"];
      return db
        .prepare(
          `INSERT INTO visitor_registrations (event_id, parking_id, vehicle_code, user_name, user_phone, start_date, end_date, memo)
           SELECT ?, ?, ?, ?, ?, ?, ?, ? ${IF_STORED}`,
        )
        .bind(
          eventId,
          d.parkingId,
          d.vehicleCode,
          d.userName ?? null,
          d.userPhoneNumber ?? null,
          d.startTime,
          d.endTime,
          d.memo ?? null,
          eventId,
        );
    }
  }
}

export async function storeCallback(db: D1Database, input: StoreInput): Promise<StoreOutcome> {
  const { verified, body, headers, receivedAt, eventId } = input;
  const receivedIso = receivedAt.toISOString();
  const row = toEventRow(verified.event, receivedAt);
  const contentKey = contentKeyOf(verified);
  const lot = lotUpdateOf(verified.event);
  const lane = laneUpdateOf(verified.event);

  const statements: D1PreparedStatement[] = [
    bindPair(db, verified, receivedIso),
    // Only when the pair is bound to this very body; ON CONFLICT: this content is already stored.
    db
      .prepare(
        `INSERT INTO raw_callbacks (id, content_key, app_key, callback_type, body, body_digest, headers, received_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8
         WHERE (SELECT body_digest FROM callback_signatures WHERE app_key = ?3 AND timestamp = ?9 AND sign = ?10) = ?6
         ON CONFLICT (content_key) DO NOTHING`,
      )
      .bind(
        eventId,
        contentKey,
        verified.appKey,
        verified.event.callbackType,
        body,
        verified.bodyDigest,
        JSON.stringify(headers),
        receivedIso,
        verified.timestamp,
        verified.sign,
      ),
    db
      .prepare(
        `INSERT INTO events (id, event, callback_type, app_key, parking_id, vehicle_code, lane_no, occurred_at_local,
           occurred_at, received_at, data)
         SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? ${IF_STORED}`,
      )
      .bind(
        eventId,
        row.event,
        row.callbackType,
        verified.appKey,
        row.parkingId,
        row.vehicleCode,
        row.laneNo,
        row.occurredAtLocal,
        row.occurredAt,
        receivedIso,
        JSON.stringify(row.data),
        eventId,
      ),
    typedInsert(db, eventId, row),
  ];
  if (input.extra?.length) {
    statements.push(
      db
        .prepare(
          `INSERT INTO ingest_guard (must_be_stored) SELECT NULL WHERE NOT EXISTS (SELECT 1 FROM raw_callbacks WHERE id = ?)`,
        )
        .bind(eventId),
      ...input.extra,
    );
  }
  const lotIndex = lot ? statements.length : -1;
  if (lot) {
    // Out-of-order events: only a report at least as recent as the stored one wins.
    statements.push(
      db
        .prepare(
          `INSERT INTO lot_state (parking_id, app_key, total_lot, temp_lot, in_park_num, occurred_at, event_id)
           SELECT ?, ?, ?, ?, ?, ?, ? ${IF_STORED}
           ON CONFLICT (parking_id) DO UPDATE SET
             app_key = excluded.app_key,
             total_lot = coalesce(excluded.total_lot, total_lot),
             temp_lot = coalesce(excluded.temp_lot, temp_lot),
             in_park_num = coalesce(excluded.in_park_num, in_park_num),
             occurred_at = excluded.occurred_at,
             event_id = excluded.event_id
           WHERE excluded.occurred_at >= lot_state.occurred_at`,
        )
        .bind(
          lot.parkingId,
          verified.appKey,
          lot.totalLot,
          lot.tempLot,
          lot.inParkNum,
          lot.occurredAt,
          eventId,
          eventId,
        ),
    );
  }
  const laneIndex = lane ? statements.length : -1;
  if (lane) {
    // `since` moves only when the status changes (SET expressions read the old row).
    statements.push(
      db
        .prepare(
          `INSERT INTO lane_state (parking_id, lane_no, lane_name, online, since, occurred_at, event_id)
           SELECT ?1, ?2, ?3, ?4, ?5, ?5, ?6 WHERE EXISTS (SELECT 1 FROM raw_callbacks WHERE id = ?6)
           ON CONFLICT (parking_id, lane_no) DO UPDATE SET
             lane_name = coalesce(excluded.lane_name, lane_name),
             since = CASE WHEN online = excluded.online THEN since ELSE excluded.since END,
             online = excluded.online,
             occurred_at = excluded.occurred_at,
             event_id = excluded.event_id
           WHERE excluded.occurred_at >= lane_state.occurred_at`,
        )
        .bind(lane.parkingId, lane.laneNo, lane.laneName, lane.online ? 1 : 0, lane.occurredAt, eventId),
    );
  }
  const outboxIndex = statements.length;
  statements.push(
    outboxInsert(db, { eventId, event: row.event, parkingId: row.parkingId, now: receivedIso }),
    // Why nothing was stored, read inside the same transaction.
    whyNotStored(db, verified, contentKey),
  );

  let results: D1Result[];
  try {
    results = await db.batch(statements);
  } catch (error) {
    if (!String(error).includes("ingest_guard")) throw error;
    // The guard aborted the batch: nothing was stored. The abort also rolled back the pair's
    // binding, so bind it on its own: a redelivery's (timestamp, sign) must stay tied to its
    // body, or it could be replayed with another body inside the window.
    await bindPair(db, verified, receivedIso).run();
    return classify(verified, await whyNotStored(db, verified, contentKey).first<WhyRow>(), eventId);
  }
  const changed = (index: number) => index >= 0 && (results[index]?.meta.changes ?? 0) > 0;
  if (changed(1)) {
    const deliveryIds = ((results[outboxIndex]?.results ?? []) as { id: string }[]).map((r) => r.id);
    return {
      kind: "stored",
      eventId,
      row,
      deliveryIds,
      lotChanged: changed(lotIndex),
      laneChanged: changed(laneIndex),
    };
  }
  return classify(verified, results[results.length - 1]?.results?.[0] as WhyRow | undefined, eventId);
}

/** Whether the callback stored under this event id is in D1 (one primary-key read). */
export async function isStored(db: D1Database, eventId: string): Promise<boolean> {
  return (await db.prepare("SELECT 1 FROM raw_callbacks WHERE id = ?").bind(eventId).first()) !== null;
}

/** Binds a (timestamp, sign) pair to the body it first came with; later bodies cannot reuse it. */
function bindPair(db: D1Database, verified: VerifiedCallback, receivedIso: string): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO callback_signatures (app_key, timestamp, sign, body_digest, first_seen_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
    )
    .bind(verified.appKey, verified.timestamp, verified.sign, verified.bodyDigest, receivedIso);
}

interface WhyRow {
  pair_digest: string | null;
  stored_id: string | null;
}

function whyNotStored(db: D1Database, verified: VerifiedCallback, contentKey: string): D1PreparedStatement {
  return db
    .prepare(
      `SELECT (SELECT body_digest FROM callback_signatures WHERE app_key = ? AND timestamp = ? AND sign = ?) AS pair_digest,
              (SELECT id FROM raw_callbacks WHERE content_key = ?) AS stored_id`,
    )
    .bind(verified.appKey, verified.timestamp, verified.sign, contentKey);
}

function classify(verified: VerifiedCallback, why: WhyRow | null | undefined, eventId: string): StoreOutcome {
  // A pair bound to another body; or (guard path) a pair not recorded yet but content stored: a duplicate.
  if (why?.pair_digest && why.pair_digest !== verified.bodyDigest) return { kind: "reused_signature" };
  return { kind: "duplicate", eventId: why?.stored_id ?? eventId };
}
