/**
 * The D1 side of expiry rounds (migrations/0009_expiry_queue.sql): opening a lot's round with
 * its due grants, the scan's chunks and sightings, a task's share of the round's grants, and
 * closing the round. Every statement is conditional on the round's status or the grants'
 * lease, so a redelivered message or an overlapping cron changes nothing twice.
 *
 * Leases: a round's grants are held by `xr:<round>` (its pool) until the round's deadline; a
 * revoke task takes its share as `xr:<round>:<task>`. Round ids have a fixed length, so every
 * lease of a round sorts in [poolOf(id), poolOf(id) + ";").
 */
import type { GrantRow } from "../visitors/grant.js";

export type RoundStatus = "scanning" | "revoking" | "done" | "failed" | "abandoned";

export interface RoundRow {
  id: string;
  app_key: string;
  parking_id: string;
  status: RoundStatus;
  created_at: number;
  deadline: number;
  grants: number;
  windows_planned: number;
  chunk_windows: number;
  scan_complete: number | null;
  scan_reason: string | null;
  updated_at: number;
}

export interface ChunkRow {
  round_id: string;
  chunk: number;
  from_window: number;
  to_window: number;
  head: string;
  tail: string;
  reached_end: number;
  end_position: number | null;
  broken: string | null;
  read_at: number;
}

export const poolOf = (roundId: string) => `xr:${roundId}`;
export const taskLease = (roundId: string, taskId: string) => `xr:${roundId}:${taskId}`;
const leasesOf = (roundId: string) => [poolOf(roundId), `${poolOf(roundId)};`] as const;

/** Rounds still open after their deadline: abandoned (their grants' leases have lapsed with it). */
export function abandonExpiredRounds(db: D1Database, now: number): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE expiry_rounds SET status = 'abandoned', updated_at = ?1
       WHERE status IN ('scanning', 'revoking') AND deadline < ?1`,
    )
    .bind(now);
}

/**
 * What closed rounds leave is kept no longer than needed: their sightings (plates) and chunks an
 * hour after the round closed, the rounds themselves (counts, the scan's verdict) a week.
 */
export function pruneRoundsStatements(db: D1Database, now: number): D1PreparedStatement[] {
  const closed = `SELECT id FROM expiry_rounds INDEXED BY expiry_rounds_closed
    WHERE status IN ('done', 'failed', 'abandoned') AND updated_at < ?1`;
  return [
    db.prepare(`DELETE FROM expiry_sightings WHERE round_id IN (${closed})`).bind(now - 3_600_000),
    db.prepare(`DELETE FROM expiry_chunks WHERE round_id IN (${closed})`).bind(now - 3_600_000),
    db
      .prepare(
        `DELETE FROM expiry_rounds WHERE id IN (SELECT id FROM expiry_rounds INDEXED BY expiry_rounds_closed
           WHERE status IN ('done', 'failed', 'abandoned') AND updated_at < ?1 LIMIT 1000)`,
      )
      .bind(now - 7 * 86_400_000),
  ];
}

export interface LotWithWork {
  app_key: string;
  parking_id: string;
  due: number;
  /** The lot's size at its last complete scan, if any. */
  authorisations: number | null;
}

interface WorkWindow {
  now: number;
  /** Pending grants created before this are settled (their create call may still be running until then). */
  pendingBefore: number;
  /** The account of grants recorded without one. */
  primaryAppKey: string;
}

/**
 * The lots with due grants (or stale pending ones) that no open round holds, with their last
 * known size. Reads the partial indexes of active and pending grants only.
 */
export async function lotsWithWork(db: D1Database, window: WorkWindow, limit: number): Promise<LotWithWork[]> {
  const { results } = await db
    .prepare(
      `SELECT w.app_key, w.parking_id, count(*) AS due, l.authorisations
       FROM (
         SELECT coalesce(app_key, ?3) AS app_key, parking_id, ends_at AS due_at FROM visitor_grants INDEXED BY visitor_grants_due
         WHERE status = 'active' AND ends_at <= ?1
           AND (next_attempt_at IS NULL OR next_attempt_at <= ?1) AND (lease_until IS NULL OR lease_until < ?1)
         UNION ALL
         SELECT coalesce(app_key, ?3), parking_id, created_at FROM visitor_grants INDEXED BY visitor_grants_pending
         WHERE status = 'pending' AND created_at < ?2
           AND (next_attempt_at IS NULL OR next_attempt_at <= ?1) AND (lease_until IS NULL OR lease_until < ?1)
       ) w
       LEFT JOIN expiry_lots l ON l.app_key = w.app_key AND l.parking_id = w.parking_id
       WHERE NOT EXISTS (
         SELECT 1 FROM expiry_rounds r
         WHERE r.app_key = w.app_key AND r.parking_id = w.parking_id AND r.status IN ('scanning', 'revoking'))
       GROUP BY w.app_key, w.parking_id
       ORDER BY min(w.due_at)
       LIMIT ?4`,
    )
    .bind(window.now, window.pendingBefore, window.primaryAppKey, limit)
    .all<LotWithWork>();
  return results;
}

/** The first end of an active grant in (after, before), or null. */
export async function nextEndBefore(db: D1Database, after: number, before: number): Promise<number | null> {
  const row = await db
    .prepare(
      `SELECT min(ends_at) AS next FROM visitor_grants INDEXED BY visitor_grants_due
       WHERE status = 'active' AND ends_at > ?1 AND ends_at < ?2`,
    )
    .bind(after, before)
    .first<{ next: number | null }>();
  return row?.next ?? null;
}

export interface NewRound {
  id: string;
  appKey: string;
  parkingId: string;
  windowsPlanned: number;
}

/**
 * Opens rounds and claims their lots' due grants, as one batch: the rounds (a lot that has an
 * open round already gets none: the unique index), up to `maxGrants` grants each (earliest end
 * first), then each round's count (a round that claimed nothing is done at once). The last
 * statement returns the rounds opened.
 */
export function openRoundsStatements(
  db: D1Database,
  rounds: NewRound[],
  options: WorkWindow & { deadline: number; chunkWindows: number; maxGrants: number },
): D1PreparedStatement[] {
  const json = JSON.stringify(rounds);
  const mine = "SELECT value ->> 'id' FROM json_each(?1)";
  return [
    db
      .prepare(
        `INSERT OR IGNORE INTO expiry_rounds
           (id, app_key, parking_id, status, created_at, deadline, grants, windows_planned, chunk_windows, updated_at)
         SELECT value ->> 'id', value ->> 'appKey', value ->> 'parkingId', 'scanning', ?2, ?3, 0,
           value ->> 'windowsPlanned', ?4, ?2
         FROM json_each(?1)`,
      )
      .bind(json, options.now, options.deadline, options.chunkWindows),
    db
      .prepare(
        `UPDATE visitor_grants SET lease_owner = c.owner, lease_until = ?3
         FROM (
           SELECT gid, owner, row_number() OVER (PARTITION BY owner ORDER BY due_at, gid) AS rank FROM (
             SELECT g.id AS gid, 'xr:' || r.id AS owner, g.ends_at AS due_at
             FROM expiry_rounds r JOIN visitor_grants g INDEXED BY visitor_grants_due
               ON g.parking_id = r.parking_id AND coalesce(g.app_key, ?4) = r.app_key
             WHERE r.id IN (${mine}) AND r.status = 'scanning'
               AND g.status = 'active' AND g.ends_at <= ?2
               AND (g.next_attempt_at IS NULL OR g.next_attempt_at <= ?2) AND (g.lease_until IS NULL OR g.lease_until < ?2)
             UNION ALL
             SELECT g.id, 'xr:' || r.id, g.created_at
             FROM expiry_rounds r JOIN visitor_grants g INDEXED BY visitor_grants_pending
               ON g.parking_id = r.parking_id AND coalesce(g.app_key, ?4) = r.app_key
             WHERE r.id IN (${mine}) AND r.status = 'scanning'
               AND g.status = 'pending' AND g.created_at < ?5
               AND (g.next_attempt_at IS NULL OR g.next_attempt_at <= ?2) AND (g.lease_until IS NULL OR g.lease_until < ?2)
           )
         ) c
         WHERE visitor_grants.id = c.gid AND c.rank <= ?6`,
      )
      .bind(json, options.now, options.deadline, options.primaryAppKey, options.pendingBefore, options.maxGrants),
    db
      .prepare(
        `UPDATE expiry_rounds SET
           grants = (SELECT count(*) FROM visitor_grants INDEXED BY visitor_grants_lease
                     WHERE lease_owner = 'xr:' || expiry_rounds.id),
           status = CASE WHEN EXISTS (SELECT 1 FROM visitor_grants INDEXED BY visitor_grants_lease
                                      WHERE lease_owner = 'xr:' || expiry_rounds.id) THEN status ELSE 'done' END
         WHERE id IN (${mine}) AND created_at = ?2
         RETURNING *`,
      )
      .bind(json, options.now),
  ];
}

/** The round, and the plates of its pool (what its scan looks for), as one batch. */
export function scanContextStatements(db: D1Database, roundId: string): D1PreparedStatement[] {
  return [
    db.prepare("SELECT * FROM expiry_rounds WHERE id = ?1").bind(roundId),
    db
      .prepare("SELECT id, vehicle_code FROM visitor_grants INDEXED BY visitor_grants_lease WHERE lease_owner = ?1")
      .bind(poolOf(roundId)),
  ];
}

export interface Sighting {
  grantId: string;
  /** The authorisation as the platform listed it (only the fields ownership is judged on). */
  authorisation: Record<string, unknown>;
  readAt: number;
}

export interface ChunkRecord {
  roundId: string;
  chunk: number;
  fromWindow: number;
  toWindow: number;
  head: string[];
  tail: string[];
  reachedEnd: boolean;
  endPosition: number | null;
  broken: string | null;
  readAt: number;
  sightings: Sighting[];
  /** Raise the round's planned windows to this (the list goes on past the plan). */
  extendTo?: number;
}

/**
 * A chunk's result as one batch: its row (once), its sightings (a later read of a plate wins),
 * the plan's extension, then the round's status and how many of its chunks are in (last statement).
 */
export function recordChunkStatements(db: D1Database, record: ChunkRecord): D1PreparedStatement[] {
  const statements = [
    db
      .prepare(
        `INSERT OR IGNORE INTO expiry_chunks
           (round_id, chunk, from_window, to_window, head, tail, reached_end, end_position, broken, read_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)`,
      )
      .bind(
        record.roundId,
        record.chunk,
        record.fromWindow,
        record.toWindow,
        JSON.stringify(record.head),
        JSON.stringify(record.tail),
        record.reachedEnd ? 1 : 0,
        record.endPosition,
        record.broken,
        record.readAt,
      ),
  ];
  if (record.sightings.length > 0) {
    statements.push(
      db
        .prepare(
          `INSERT INTO expiry_sightings (round_id, grant_id, authorisation, read_at)
           SELECT ?1, j.value ->> 'grantId', j.value ->> 'authorisation', j.value ->> 'readAt' FROM json_each(?2) j WHERE true
           ON CONFLICT (round_id, grant_id) DO UPDATE SET authorisation = excluded.authorisation, read_at = excluded.read_at
           WHERE excluded.read_at > expiry_sightings.read_at`,
        )
        .bind(record.roundId, JSON.stringify(record.sightings)),
    );
  }
  if (record.extendTo !== undefined) {
    statements.push(
      db
        .prepare(
          `UPDATE expiry_rounds SET windows_planned = max(windows_planned, ?2), updated_at = ?3
           WHERE id = ?1 AND status = 'scanning'`,
        )
        .bind(record.roundId, record.extendTo, record.readAt),
    );
  }
  statements.push(
    db
      .prepare(
        `SELECT r.status, r.windows_planned, r.chunk_windows,
           (SELECT count(*) FROM expiry_chunks c WHERE c.round_id = r.id) AS chunks_in
         FROM expiry_rounds r WHERE r.id = ?1`,
      )
      .bind(record.roundId),
  );
  return statements;
}

export async function chunksOf(db: D1Database, roundId: string): Promise<ChunkRow[]> {
  const { results } = await db
    .prepare("SELECT * FROM expiry_chunks WHERE round_id = ?1 ORDER BY chunk")
    .bind(roundId)
    .all<ChunkRow>();
  return results;
}

/**
 * The round's scan is over: it moves to revoking with the scan's verdict (the first of
 * concurrent finalisers wins: the first statement returns a row only for it), and a complete
 * scan records the lot's size.
 */
export function finishScanStatements(
  db: D1Database,
  round: RoundRow,
  verdict: { complete: boolean; reason: string | null; authorisations: number | null },
  now: number,
): D1PreparedStatement[] {
  const statements = [
    db
      .prepare(
        `UPDATE expiry_rounds SET status = 'revoking', scan_complete = ?2, scan_reason = ?3, updated_at = ?4
         WHERE id = ?1 AND status = 'scanning' RETURNING *`,
      )
      .bind(round.id, verdict.complete ? 1 : 0, verdict.reason, now),
  ];
  if (verdict.complete && verdict.authorisations !== null) {
    statements.push(
      db
        .prepare(
          `INSERT INTO expiry_lots (app_key, parking_id, authorisations, counted_at) VALUES (?1, ?2, ?3, ?4)
           ON CONFLICT (app_key, parking_id) DO UPDATE SET authorisations = excluded.authorisations,
             counted_at = excluded.counted_at WHERE excluded.counted_at >= expiry_lots.counted_at`,
        )
        .bind(round.app_key, round.parking_id, verdict.authorisations, now),
    );
  }
  return statements;
}

/**
 * A revoke task's share: the round (it must be revoking), up to `count` of its pool's grants
 * leased to the task until `until`, and the sightings of those grants, as one batch.
 */
export function claimShareStatements(
  db: D1Database,
  options: { roundId: string; lease: string; until: number; now: number; count: number },
): D1PreparedStatement[] {
  return [
    db.prepare("SELECT * FROM expiry_rounds WHERE id = ?1").bind(options.roundId),
    db
      .prepare(
        `UPDATE visitor_grants SET lease_owner = ?2, lease_until = ?3
         WHERE id IN (SELECT id FROM visitor_grants INDEXED BY visitor_grants_lease
                      WHERE lease_owner = ?4 AND lease_until >= ?5 LIMIT ?6)
           AND EXISTS (SELECT 1 FROM expiry_rounds WHERE id = ?1 AND status = 'revoking')
         RETURNING *`,
      )
      .bind(options.roundId, options.lease, options.until, poolOf(options.roundId), options.now, options.count),
    db
      .prepare(
        `SELECT s.grant_id, s.authorisation FROM expiry_sightings s JOIN visitor_grants g ON g.id = s.grant_id
         WHERE s.round_id = ?1 AND g.lease_owner = ?2`,
      )
      .bind(options.roundId, options.lease),
  ];
}

/**
 * What a task hands back (after its transitions, in the same batch): grants it must not decide
 * now are released (`deferred`: the next round looks again), the rest of its share goes back to
 * the pool; then the pool's size, and the round is done when no live lease of it is left (last
 * statement returns a row then).
 */
export function handBackStatements(
  db: D1Database,
  options: { round: RoundRow; lease: string; deferred: string[]; now: number },
): D1PreparedStatement[] {
  const [from, to] = leasesOf(options.round.id);
  return [
    db
      .prepare(
        `UPDATE visitor_grants SET lease_owner = NULL, lease_until = NULL
         WHERE lease_owner = ?1 AND id IN (SELECT value FROM json_each(?2))`,
      )
      .bind(options.lease, JSON.stringify(options.deferred)),
    db
      .prepare("UPDATE visitor_grants SET lease_owner = ?2, lease_until = ?3 WHERE lease_owner = ?1")
      .bind(options.lease, poolOf(options.round.id), options.round.deadline),
    db
      .prepare(
        `SELECT count(*) AS pool FROM visitor_grants INDEXED BY visitor_grants_lease
         WHERE lease_owner = ?1 AND lease_until >= ?2`,
      )
      .bind(poolOf(options.round.id), options.now),
    db
      .prepare(
        `UPDATE expiry_rounds SET status = 'done', updated_at = ?2
         WHERE id = ?1 AND status = 'revoking' AND NOT EXISTS (
           SELECT 1 FROM visitor_grants INDEXED BY visitor_grants_lease
           WHERE lease_owner >= ?3 AND lease_owner < ?4 AND lease_until >= ?2)
         RETURNING id`,
      )
      .bind(options.round.id, options.now, from, to),
  ];
}

/** The grants of a round's pool (a round whose scan failed records an attempt on each). */
export async function poolGrants(db: D1Database, roundId: string): Promise<GrantRow[]> {
  const { results } = await db
    .prepare("SELECT * FROM visitor_grants INDEXED BY visitor_grants_lease WHERE lease_owner = ?1")
    .bind(poolOf(roundId))
    .all<GrantRow>();
  return results;
}

export function closeRoundStatement(
  db: D1Database,
  roundId: string,
  status: "failed" | "done",
  reason: string | null,
  now: number,
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE expiry_rounds SET status = ?2, scan_reason = coalesce(?3, scan_reason), updated_at = ?4
       WHERE id = ?1 AND status IN ('scanning', 'revoking')`,
    )
    .bind(roundId, status, reason, now);
}
