/**
 * What the status page shows of the reconciliation (status/queries.ts composes these into its one
 * batch): per reconciled lot, the accesses recovered in the last 24 h and the latest window read
 * to its end; and the windows that could not be read lately, with why.
 */
import { type Query, query } from "../lib/d1-query.js";

export interface ReconciledLotRow {
  parking_id: string;
  app_key: string;
  name: string | null;
  last_window_from: number | null;
  last_window_to: number | null;
  last_read_at: number | null;
  recovered: number;
}

export interface TroubleWindowRow {
  job_id: string;
  kind: "pass" | "backfill";
  parking_id: string;
  from_at: number;
  to_at: number;
  status: "pending" | "failed";
  attempts: number;
  last_error: string | null;
  updated_at: number;
}

/** Reconciled lots (listed, or read since `since`: a backfill) with their accesses recovered since `since` (ISO). */
export const reconciledLots = (db: D1Database, since: string, limit: number): Query<ReconciledLotRow[]> =>
  query<ReconciledLotRow, ReconciledLotRow[]>(
    db
      .prepare(
        `SELECT l.parking_id, l.app_key, l.name, l.last_window_from, l.last_window_to, l.last_read_at,
           (SELECT count(*) FROM events e
             WHERE e.source = 'platform-records' AND e.received_at >= ?1 AND e.parking_id = l.parking_id) AS recovered
         FROM record_lots l WHERE l.removed_at IS NULL OR l.last_read_at >= ?3 ORDER BY l.parking_id LIMIT ?2`,
      )
      .bind(since, limit, Date.parse(since)),
    (rows) => rows,
  );

/** Windows whose reads failed since `sinceMs` (still retrying, or given up), newest first. */
export const troubleWindows = (
  db: D1Database,
  sinceMs: number,
  limit: number,
): Query<{ items: TroubleWindowRow[]; total: number }> =>
  query<TroubleWindowRow & { total: number }, { items: TroubleWindowRow[]; total: number }>(
    db
      .prepare(
        `SELECT w.job_id, j.kind, w.parking_id, w.from_at, w.to_at, w.status, w.attempts, w.last_error, w.updated_at,
           (SELECT count(*) FROM record_windows WHERE attempts > 0 AND updated_at >= ?1) AS total
         FROM record_windows w JOIN record_jobs j ON j.id = w.job_id
         WHERE w.attempts > 0 AND w.updated_at >= ?1
         ORDER BY w.updated_at DESC LIMIT ?2`,
      )
      .bind(sinceMs, limit),
    (rows) => ({ total: rows[0]?.total ?? 0, items: rows.map(({ total: _total, ...row }) => row) }),
  );
