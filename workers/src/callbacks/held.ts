/**
 * Held callbacks: a second, different body under a (timestamp, sign) pair already bound to
 * another body. The sign does not cover the body, so such a body is either a real event the
 * platform signed in the same millisecond or a forgery under a captured pair: it is neither
 * trusted nor refused for good. It is kept here (never in raw_callbacks, events, the outbox or
 * the live state) and its sender is told to resend it under a fresh signature; when it does, the
 * stored copy confirms it (the trigger of migrations/0005; or any stored report of the same
 * vehicle access, 0007: the platform's records too). An operator releases (stores) or
 * discards the ones that never come back, each with an audit row.
 */
import { type Query, query } from "../lib/d1-query.js";
import { ApiError, notFound } from "../lib/errors.js";
import { newId } from "../lib/ids.js";
import type { StorePlan } from "./store.js";

export const heldStatuses = ["held", "confirmed", "released", "discarded"] as const;
export type HeldStatus = (typeof heldStatuses)[number];

/** Held bodies per (timestamp, sign) pair at most: a captured pair cannot fill the table. */
export const MAX_HELD_PER_PAIR = 100;
/** After this long, a resolved held callback keeps its record and audit but not its body and headers. */
export const HELD_EVIDENCE_DAYS = 30;

export interface HeldRow {
  id: string;
  content_key: string;
  source: string;
  app_key: string;
  callback_type: string;
  body: string;
  body_digest: string;
  headers: string;
  timestamp: number;
  sign: string;
  client_ip: string | null;
  received_at: string;
  last_seen_at: string;
  attempts: number;
  status: HeldStatus;
  event_id: string | null;
  resolved_at: string | null;
  resolved_by: string | null;
  note: string | null;
}

export type HoldOutcome =
  /** Kept (or seen again): answer so the sender resends it under a fresh signature. */
  | { kind: "held"; id: string; attempts: number }
  /** Its content, or the access it reports, was stored meanwhile (the resend won the race): nothing to hold. */
  | { kind: "stored"; eventId: string }
  /** The pair has MAX_HELD_PER_PAIR held already: not kept, but answered the same (a real event is resent). */
  | { kind: "over_limit" };

/**
 * Holds a callback whose pair is bound to another body (storeCallbacks' `conflict`), unless its
 * content is stored (then it is a duplicate) or the pair holds too many. Seen again, its row counts
 * the attempt. One batch: the row and, when new, its audit row.
 */
export async function holdCallback(
  db: D1Database,
  plan: StorePlan,
  meta: { source: string; clientIp: string | null },
): Promise<HoldOutcome> {
  const { row, content } = plan;
  const id = newId("hld", plan.input.receivedAt.getTime());
  const [held] = await db.batch([
    db
      .prepare(
        `INSERT INTO held_callbacks (id, content_key, source, app_key, callback_type, body, body_digest, headers,
           timestamp, sign, client_ip, received_at, last_seen_at, access_key)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, ?14
         WHERE NOT EXISTS (SELECT 1 FROM raw_callbacks WHERE content_key = ?2)
           AND (?14 IS NULL OR NOT EXISTS (SELECT 1 FROM raw_callbacks WHERE access_key = ?14))
           AND ((SELECT count(*) FROM held_callbacks WHERE app_key = ?4 AND timestamp = ?9 AND sign = ?10) < ?13
                OR EXISTS (SELECT 1 FROM held_callbacks WHERE content_key = ?2))
         ON CONFLICT (content_key) DO UPDATE SET attempts = attempts + 1, last_seen_at = excluded.last_seen_at
         RETURNING id, attempts`,
      )
      .bind(
        id,
        row.content_key,
        meta.source,
        row.app_key,
        row.callback_type,
        content.body,
        row.body_digest,
        content.headers,
        row.timestamp,
        row.sign,
        meta.clientIp,
        row.received_at,
        MAX_HELD_PER_PAIR,
        row.access_key,
      ),
    db
      .prepare(
        `INSERT INTO held_callback_audit (held_id, at, actor, action, detail)
         SELECT id, received_at, 'ingest', 'held', ?2 FROM held_callbacks WHERE id = ?1`,
      )
      .bind(id, JSON.stringify({ timestamp: row.timestamp, clientIp: meta.clientIp })),
  ]);
  const kept = (held?.results ?? [])[0] as { id: string; attempts: number } | undefined;
  if (kept) return { kind: "held", id: kept.id, attempts: kept.attempts };
  const stored = await db
    .prepare("SELECT id FROM raw_callbacks WHERE content_key = ?1 OR (?2 IS NOT NULL AND access_key = ?2)")
    .bind(row.content_key, row.access_key)
    .first<{ id: string }>();
  return stored ? { kind: "stored", eventId: stored.id } : { kind: "over_limit" };
}

// ---- what operators see and do ---------------------------------------------------------------

export interface HeldCallback {
  id: string;
  source: string;
  appKey: string;
  callbackType: string;
  status: HeldStatus;
  /** The raw body as received (untrusted: it was never verified). Empty once the evidence has expired. */
  body: string;
  /** The shared pair it came with. */
  timestamp: number;
  clientIp: string | null;
  receivedAt: string;
  lastSeenAt: string;
  attempts: number;
  /** The event it became, when confirmed or released. */
  eventId: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  note: string | null;
}

export interface HeldAudit {
  at: string;
  actor: string;
  action: HeldStatus;
  detail: unknown;
}

export const toHeldCallback = (r: HeldRow): HeldCallback => ({
  id: r.id,
  source: r.source,
  appKey: r.app_key,
  callbackType: r.callback_type,
  status: r.status,
  body: r.body,
  timestamp: r.timestamp,
  clientIp: r.client_ip,
  receivedAt: r.received_at,
  lastSeenAt: r.last_seen_at,
  attempts: r.attempts,
  eventId: r.event_id,
  resolvedAt: r.resolved_at,
  resolvedBy: r.resolved_by,
  note: r.note,
});

export async function getHeld(db: D1Database, id: string): Promise<HeldRow> {
  const row = await db.prepare("SELECT * FROM held_callbacks WHERE id = ?").bind(id).first<HeldRow>();
  if (!row) throw notFound(`held callback ${id}`);
  return row;
}

export async function heldAudit(db: D1Database, id: string): Promise<HeldAudit[]> {
  const { results } = await db
    .prepare("SELECT at, actor, action, detail FROM held_callback_audit WHERE held_id = ? ORDER BY id")
    .bind(id)
    .all<{ at: string; actor: string; action: HeldStatus; detail: string | null }>();
  return results.map((r) => ({ ...r, detail: r.detail === null ? null : JSON.parse(r.detail) }));
}

export const notHeld = (row: Pick<HeldRow, "id" | "status">) =>
  new ApiError(
    409,
    "not_held",
    `held callback ${row.id} is ${row.status} already: only a held one can be released or discarded`,
  );

/** The statements that resolve a held row (if, and only if, it is still held) and audit it. */
export function resolveStatements(
  db: D1Database,
  id: string,
  resolution: { status: "released" | "discarded"; at: string; actor: string; note: string | null; eventId?: string },
): { guard: D1PreparedStatement; mark: D1PreparedStatement; audit: D1PreparedStatement } {
  return {
    // Aborts the batch (NOT NULL, as the ingestion's guard) unless the row is still held.
    guard: db
      .prepare(
        "INSERT INTO ingest_guard (must_be_stored) SELECT NULL WHERE NOT EXISTS (SELECT 1 FROM held_callbacks WHERE id = ? AND status = 'held')",
      )
      .bind(id),
    mark: db
      .prepare(
        "UPDATE held_callbacks SET status = ?2, event_id = ?3, resolved_at = ?4, resolved_by = ?5, note = ?6 WHERE id = ?1",
      )
      .bind(id, resolution.status, resolution.eventId ?? null, resolution.at, resolution.actor, resolution.note),
    audit: db
      .prepare("INSERT INTO held_callback_audit (held_id, at, actor, action, detail) VALUES (?, ?, ?, ?, ?)")
      .bind(
        id,
        resolution.at,
        resolution.actor,
        resolution.status,
        JSON.stringify({ note: resolution.note, ...(resolution.eventId ? { eventId: resolution.eventId } : {}) }),
      ),
  };
}

/** Discards a held callback: it stays out of the history for good (its record and audit stay). */
export async function discardHeld(db: D1Database, id: string, actor: string, note: string | null): Promise<HeldRow> {
  const row = await getHeld(db, id);
  if (row.status !== "held") throw notHeld(row);
  const { guard, mark, audit } = resolveStatements(db, id, {
    status: "discarded",
    at: new Date().toISOString(),
    actor,
    note,
  });
  try {
    await db.batch([guard, mark, audit]);
  } catch (error) {
    if (!String(error).includes("ingest_guard")) throw error;
    throw notHeld(await getHeld(db, id));
  }
  return getHeld(db, id);
}

/**
 * Forgets the evidence of resolved held callbacks after HELD_EVIDENCE_DAYS (their bodies carry
 * plates, names, phones): the record of what was decided stays, with its audit.
 */
export async function pruneHeldEvidence(db: D1Database, now: number): Promise<number> {
  const cutoff = new Date(now - HELD_EVIDENCE_DAYS * 86_400_000).toISOString();
  const result = await db
    .prepare(
      "UPDATE held_callbacks SET body = '', headers = '{}' WHERE status <> 'held' AND resolved_at < ? AND body <> ''",
    )
    .bind(cutoff)
    .run();
  return result.meta.changes ?? 0;
}

/** A held callback still waiting, as the status page lists it (its lot and plate as its body says). */
export interface HeldWaitingRow {
  id: string;
  callback_type: string;
  parking_id: unknown;
  vehicle_code: unknown;
  received_at: string;
  attempts: number;
}

/** Held callbacks still waiting (the sender never resent them), newest first, and how many in all. */
export const waitingHeld = (db: D1Database, limit: number): Query<{ items: HeldWaitingRow[]; total: number }> =>
  query<HeldWaitingRow & { total: number }, { items: HeldWaitingRow[]; total: number }>(
    db
      .prepare(
        `SELECT id, callback_type, body ->> '$.data.parkingId' AS parking_id, body ->> '$.data.vehicleCode' AS vehicle_code,
                received_at, attempts, (SELECT COUNT(*) FROM held_callbacks WHERE status = 'held') AS total
           FROM held_callbacks WHERE status = 'held'
          ORDER BY received_at DESC, id DESC LIMIT ?1`,
      )
      .bind(limit),
    (rows) => ({ total: rows[0]?.total ?? 0, items: rows.map(({ total: _total, ...row }) => row) }),
  );
