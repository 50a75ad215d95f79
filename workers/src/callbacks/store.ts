/**
 * Stores verified callbacks (and Ebopark's reports: "callbacks" here means both) in one D1 batch
 * (a transaction: all or nothing): the used (timestamp, sign) pairs, the raw callbacks, their
 * event rows and their outbox rows. Each kind's typed row (vehicle_accesses, camera_statuses,
 * barrier_overrides, lot_statuses, visitor_registrations) and the live state it reports
 * (lot_state, lane_state) follow from its event row inside the event insert itself, by the
 * triggers of migrations/0005 and 0006, and storing a content confirms its held copy (a trigger of the
 * raw insert): so a batch is four statements whatever its callbacks, where each statement costs
 * a round of D1's work of its own. Every statement after the raw insert only acts on the
 * callbacks that insert stored, so a redelivery (same content key) or a shared pair (same
 * timestamp and sign, another body: `conflict`, which the caller holds, see held.ts) stores
 * nothing new. The batch is idempotent (fixed ids, content keys), hence safe to retry.
 *
 * An access (a vehicle entering or leaving) is also known by its natural key (accessKeyOf: lot,
 * plate, direction, the platform's time, lane), unique in raw_callbacks like the content key: the
 * same access reported twice, by a callback and by the platform's records (records/), in either
 * order, is stored once, and the raw insert decides it row by row (migrations/0007).
 *
 * One batch carries any number of callbacks in the same statements: each reads the callbacks as
 * rows of one JSON parameter (`json_each`), in order, so callbacks that arrive together cost one
 * round trip and no more statements than one (see pipeline.ts). Row by row in arrival order, a
 * later callback sees an earlier one exactly as in separate batches.
 */
import type { EventProvenance } from "@parkbridge/shared";
import { outboxInsert } from "../delivery/outbox.js";
import { type EventRow, type NormalisedCallback, withSaneTime } from "./normalise.js";

export interface StoreInput {
  /** The account that sent it (appKey, Ebopark's partnerid): with callbackType and bodyDigest, the content key. */
  appKey: string;
  /** The platform's own name for what it sent (callbackType, Ebopark's report id). */
  callbackType: string;
  /** SHA-256 of the raw body, hex. */
  bodyDigest: string;
  /**
   * The (timestamp, sign) pair, where the sign does not cover the body (the open platform): bound
   * to the first body it comes with, and a later different body under it is a `conflict`.
   */
  pair?: { timestamp: number; sign: string };
  /** Stored even under a pair bound to another body (an allowed address; an operator's release). */
  trusted?: boolean;
  /** What it means (the source's normalisation); its time is checked here (withSaneTime). */
  callback: NormalisedCallback;
  /** The raw body, as text. */
  body: string;
  headers: Record<string, string>;
  /** The query string, where it carries the signature (Ebopark). */
  query?: string;
  receivedAt: Date;
  eventId: string;
  /** How far the event's own time may lead its receipt, ms. */
  maxSkewMs: number;
  /**
   * Statements other modules add to the batch (e.g. the visitor grant of a PARKING_VISITOR
   * callback). They run only if this batch stored the callback: a guard aborts it otherwise,
   * so a callback with extra statements is always stored alone.
   */
  extra?: D1PreparedStatement[];
  /** Statements that run first, before anything is stored (an operator's release marks its held row). */
  prelude?: D1PreparedStatement[];
  /**
   * A record of the platform's history rather than a callback (reconciliation, records/): stored
   * with provenance `platform-records`, its recordId, and a content key of the record's identity
   * (a record read again, even changed, is the same record).
   */
  record?: { id: string };
}

export type StoreOutcome =
  | {
      kind: "stored";
      eventId: string;
      row: StoredEvent;
      deliveryIds: string[];
      /** The live-state keys the event may have moved (refreshed from D1, where newest wins). */
      lotChanged: boolean;
      laneChanged: boolean;
    }
  | { kind: "duplicate"; eventId: string }
  /** Its pair is bound to another body and it is not trusted: nothing stored (the caller holds it). */
  | { kind: "conflict" };

/** The event row as stored: its time checked. */
export type StoredEvent = EventRow & { timeSuspect: boolean };

/** appKey + callbackType + sha256(body): what makes two deliveries the same callback. */
export const contentKeyOf = (v: { appKey: string; callbackType: string; bodyDigest: string }) =>
  `${v.appKey}:${v.callbackType}:${v.bodyDigest}`;

/** A record's content key: its lot and recordId (one row per record, whatever it says when read again). */
export const recordContentKeyOf = (parkingId: string, recordId: string) => `records:${parkingId}:${recordId}`;

/**
 * The natural key of a vehicle access: JSON [platform, lot, plate, direction, the platform's local
 * time, lane], or null for other events. The platform's own time (occurredAtLocal), not occurredAt, which
 * is the receipt for a suspect time: a callback and its record must meet whenever each arrives.
 * migrations/0007 builds the same text with json_array for the history before it.
 */
export function accessKeyOf(event: EventRow): string | null {
  if (event.event !== "vehicleAccess") return null;
  const direction = event.details.direction;
  return JSON.stringify([
    event.platform,
    event.parkingId,
    event.vehicleCode,
    direction,
    event.occurredAtLocal,
    event.laneNo,
  ]);
}

/**
 * One callback as a JSON row of the batch: its columns, named as in the tables. Its bulky text
 * (body, headers, data) travels apart, in CallbackContent, to only the two statements that store
 * it: every statement's parameters are serialised into the D1 request on their own.
 */
export interface CallbackRow {
  id: string;
  content_key: string;
  app_key: string;
  callback_type: string;
  body_digest: string;
  received_at: string;
  query: string | null;
  /** Null where the source has no pair (its sign covers the body). */
  timestamp: number | null;
  sign: string | null;
  /** 1: stored even under a pair bound to another body. */
  trusted: 0 | 1;
  /** A vehicle access's natural key (accessKeyOf), else null. */
  access_key: string | null;
  source: EventProvenance;
  /** The platform's recordId, for a record. */
  record_id: string | null;
  platform: EventRow["platform"];
  event: EventRow["event"];
  parking_id: string;
  vehicle_code: string | null;
  lane_no: string | null;
  occurred_at_local: string;
  /** The instant the event is ordered by (and the live state compares): its own time, or its receipt when suspect. */
  occurred_at: string;
  time_suspect: 0 | 1;
}

/** The callback's text as stored: the raw body and headers, the normalised data and its details (JSON). */
export interface CallbackContent {
  body: string;
  headers: string;
  data: string;
  details: string;
}

/** A callback ready for a batch: its row and content, and what the outcome needs to report. */
export interface StorePlan {
  input: StoreInput;
  row: CallbackRow;
  content: CallbackContent;
  event: StoredEvent;
}

export function planStore(input: StoreInput): StorePlan {
  const { body, headers, receivedAt, eventId, callback, record } = input;
  const event = withSaneTime(callback.event, receivedAt, input.maxSkewMs);
  return {
    input,
    event,
    content: {
      body,
      headers: JSON.stringify(headers),
      data: JSON.stringify(event.data),
      details: JSON.stringify(event.details),
    },
    row: {
      id: eventId,
      content_key: record ? recordContentKeyOf(event.parkingId, record.id) : contentKeyOf(input),
      app_key: input.appKey,
      callback_type: input.callbackType,
      body_digest: input.bodyDigest,
      received_at: receivedAt.toISOString(),
      query: input.query ?? null,
      timestamp: input.pair?.timestamp ?? null,
      sign: input.pair?.sign ?? null,
      trusted: input.trusted ? 1 : 0,
      access_key: accessKeyOf(event),
      source: record ? "platform-records" : "callback",
      record_id: record?.id ?? null,
      platform: event.platform,
      event: event.event,
      parking_id: event.parkingId,
      vehicle_code: event.vehicleCode,
      lane_no: event.laneNo,
      occurred_at_local: event.occurredAtLocal,
      occurred_at: event.occurredAt,
      time_suspect: event.timeSuspect ? 1 : 0,
    },
  };
}

// Every statement reads the batch's callbacks from ?1, a JSON array of CallbackRow, in order;
// the two that store text also read ?2, the CallbackContent array, item by item alongside.
const ROWS = "(SELECT value AS r FROM json_each(?1))";
// ?2's item for a row: looked up by index (a join of the two json_each would scan ?2 per row).
const ROWS_WITH_CONTENT = "(SELECT value AS r, json_extract(?2, '$[' || key || ']') AS c FROM json_each(?1))";
/** Only the callbacks this batch stored (the raw insert's rows). */
const STORED = "EXISTS (SELECT 1 FROM raw_callbacks WHERE id = r ->> 'id')";

const SQL = {
  // The sign does not cover the body: the first body a (timestamp, sign) pair came with is its own.
  bindPairs: `INSERT INTO callback_signatures (app_key, timestamp, sign, body_digest, first_seen_at)
    SELECT r ->> 'app_key', r ->> 'timestamp', r ->> 'sign', r ->> 'body_digest', r ->> 'received_at' FROM ${ROWS}
    WHERE r ->> 'sign' IS NOT NULL
    ON CONFLICT DO NOTHING`,
  // Only when the pair is bound to this very body (or there is none, or the sender is trusted);
  // ON CONFLICT: this content, or this access (its natural key), is already stored. A record whose
  // recordId an event already carries is that event's. A held copy is confirmed by the triggers.
  raw: `INSERT INTO raw_callbacks (id, content_key, app_key, callback_type, body, body_digest, headers, received_at, query,
      access_key)
    SELECT r ->> 'id', r ->> 'content_key', r ->> 'app_key', r ->> 'callback_type', c ->> 'body', r ->> 'body_digest',
      c ->> 'headers', r ->> 'received_at', r ->> 'query', r ->> 'access_key'
    FROM ${ROWS_WITH_CONTENT}
    WHERE (r ->> 'sign' IS NULL OR r ->> 'trusted' = 1
      OR (SELECT s.body_digest FROM callback_signatures s
          WHERE s.app_key = r ->> 'app_key' AND s.timestamp = r ->> 'timestamp' AND s.sign = r ->> 'sign') = r ->> 'body_digest')
      AND (r ->> 'record_id' IS NULL
        OR NOT EXISTS (SELECT 1 FROM events WHERE parking_id = r ->> 'parking_id' AND record_id = r ->> 'record_id'))
    ON CONFLICT DO NOTHING
    RETURNING id`,
  // Its kind's typed row and live state follow, by the triggers on events (migrations/0006).
  events: `INSERT INTO events (id, platform, event, callback_type, app_key, parking_id, vehicle_code, lane_no,
      occurred_at_local, occurred_at, received_at, data, details, time_suspect, source, record_id)
    SELECT r ->> 'id', r ->> 'platform', r ->> 'event', r ->> 'callback_type', r ->> 'app_key', r ->> 'parking_id',
      r ->> 'vehicle_code', r ->> 'lane_no', r ->> 'occurred_at_local', r ->> 'occurred_at', r ->> 'received_at',
      c ->> 'data', c ->> 'details', r ->> 'time_suspect', r ->> 'source', r ->> 'record_id'
    FROM ${ROWS_WITH_CONTENT} WHERE ${STORED}`,
  /** Aborts the transaction (NOT NULL) unless the callback was stored: guards `extra` statements. */
  guard: `INSERT INTO ingest_guard (must_be_stored) SELECT NULL FROM ${ROWS} WHERE NOT ${STORED}`,
} as const;

/**
 * Stores callbacks in one batch; answers one outcome per plan, in order. Plans with `extra` or
 * `prelude` statements must come alone (their guard aborts the whole transaction when the
 * callback is not new: then nothing of the batch is stored, and the pair is bound on its own).
 */
export async function storeCallbacks(db: D1Database, plans: StorePlan[]): Promise<StoreOutcome[]> {
  const extra = plans.flatMap((plan) => plan.input.extra ?? []);
  const prelude = plans.flatMap((plan) => plan.input.prelude ?? []);
  if ((extra.length || prelude.length) && plans.length > 1) {
    throw new Error("a callback with extra statements must be stored alone");
  }
  const batch = storeBatch(db, plans, { prelude, extra });

  let results: D1Result[];
  try {
    results = await db.batch(batch.statements);
  } catch (error) {
    if (!(extra.length || prelude.length) || !String(error).includes("ingest_guard")) throw error;
    // The guard aborted the batch: nothing was stored. The abort also rolled back the pair's
    // binding, so bind it on its own: a redelivery's (timestamp, sign) must stay tied to its
    // body, or it could be replayed with another body inside the window.
    if (batch.bindsPairs) await db.prepare(SQL.bindPairs).bind(batch.rows).run();
    return Promise.all(plans.map((plan) => whyNotStored(db, plan)));
  }

  const { stored, deliveries } = batch.read(results);
  return Promise.all(
    plans.map((plan): StoreOutcome | Promise<StoreOutcome> => {
      const eventId = plan.row.id;
      if (!stored.has(eventId)) return whyNotStored(db, plan);
      return storedOutcome(plan, deliveries.get(eventId) ?? []);
    }),
  );
}

/** What a store batch wrote: the plans it stored (their event ids) and the outbox rows of each. */
export interface Stored {
  stored: Set<string>;
  deliveries: Map<string, string[]>;
}

/**
 * The statements that store plans, in order, for a batch of the caller's (storeCallbacks, or the
 * reconciliation's page, records/tasks.ts, which adds its own after them), and how to read what
 * they stored from the batch's results. `extra` statements need the guard, and a plan alone.
 */
export function storeBatch(
  db: D1Database,
  plans: StorePlan[],
  around: { prelude?: D1PreparedStatement[]; extra?: D1PreparedStatement[] } = {},
): { statements: D1PreparedStatement[]; rows: string; bindsPairs: boolean; read(results: D1Result[]): Stored } {
  const rows = JSON.stringify(plans.map((plan) => plan.row));
  const contents = JSON.stringify(plans.map((plan) => plan.content));
  const statement = (sql: string) => db.prepare(sql).bind(rows);
  const withContent = (sql: string) => db.prepare(sql).bind(rows, contents);

  const statements = [...(around.prelude ?? [])];
  const bindsPairs = plans.some((plan) => plan.row.sign !== null);
  if (bindsPairs) statements.push(statement(SQL.bindPairs));
  const rawIndex = statements.push(withContent(SQL.raw)) - 1;
  statements.push(withContent(SQL.events));
  if (around.extra?.length) statements.push(statement(SQL.guard), ...around.extra);
  const outboxIndex = statements.push(outboxInsert(db, rows)) - 1;
  return {
    statements,
    rows,
    bindsPairs,
    read(results) {
      const stored = new Set(((results[rawIndex]?.results ?? []) as { id: string }[]).map((r) => r.id));
      const deliveries = new Map<string, string[]>();
      for (const { id, event_id } of (results[outboxIndex]?.results ?? []) as { id: string; event_id: string }[]) {
        deliveries.set(event_id, [...(deliveries.get(event_id) ?? []), id]);
      }
      return { stored, deliveries };
    },
  };
}

/**
 * A stored callback's outcome. Whether its lot or lane moved is not asked of D1 (that would cost
 * a statement): a callback that reports one refreshes it, from D1, where the newest report wins,
 * so a refresh that finds nothing new writes nothing newer (live-state.ts, coalesced per key).
 */
function storedOutcome(plan: StorePlan, deliveryIds: string[]): Extract<StoreOutcome, { kind: "stored" }> {
  return {
    kind: "stored",
    eventId: plan.row.id,
    row: plan.event,
    deliveryIds,
    lotChanged: plan.input.callback.live.lot,
    laneChanged: plan.input.callback.live.lane,
  };
}

export const COMMITTED_OUTCOME_SQL =
  // deliveries has no index on event_id alone (one would cost a row write per delivery): reach
  // them through the few subscriptions (CROSS JOIN fixes that order in SQLite), each lookup on
  // the UNIQUE (subscription_id, event_id) index.
  `SELECT o.id FROM raw_callbacks r
   LEFT JOIN (SELECT dl.id FROM subscriptions s CROSS JOIN deliveries dl
              ON dl.subscription_id = s.id AND dl.event_id = ?1) o
   WHERE r.id = ?1 ORDER BY o.id`;

/**
 * The outcome of a batch whose answer was lost: if this callback's own event id is in D1, the
 * batch committed, and it is "stored" (not a duplicate: nobody else can have written that id),
 * with the outbox rows it wrote, so its deliveries are sent now rather than by the cron's
 * reconciliation minutes later. Null when the batch did not commit.
 */
export async function committedOutcome(db: D1Database, plan: StorePlan): Promise<StoreOutcome | null> {
  const eventId = plan.row.id;
  const { results } = await db.prepare(COMMITTED_OUTCOME_SQL).bind(eventId).all<{ id: string | null }>();
  if (!results.length) return null;
  return storedOutcome(
    plan,
    results.flatMap((r) => (r.id === null ? [] : [r.id])),
  );
}

/**
 * Why a callback was not stored: its access is stored already (a record recovered first, or
 * another report of it), its content is (a redelivery), or its pair is bound to another body (a
 * conflict: the caller holds it). Read after the batch: these facts only ever get set. A stored
 * access or content is a duplicate whatever pair it came with: nothing new is trusted.
 */
async function whyNotStored(db: D1Database, plan: StorePlan): Promise<StoreOutcome> {
  const { row } = plan;
  const why = await db
    .prepare(
      `SELECT (SELECT body_digest FROM callback_signatures WHERE app_key = ? AND timestamp = ? AND sign = ?) AS pair_digest,
              (SELECT id FROM raw_callbacks WHERE content_key = ?) AS stored_id,
              (SELECT id FROM raw_callbacks WHERE access_key = ?) AS access_id`,
    )
    .bind(row.app_key, row.timestamp, row.sign, row.content_key, row.access_key)
    .first<{ pair_digest: string | null; stored_id: string | null; access_id: string | null }>();
  const storedId = why?.stored_id ?? why?.access_id;
  if (storedId) return { kind: "duplicate", eventId: storedId };
  // A pair bound to another body, from an untrusted sender.
  if (why?.pair_digest && why.pair_digest !== row.body_digest && !row.trusted) return { kind: "conflict" };
  return { kind: "duplicate", eventId: row.id };
}
