/**
 * Jobs of the reconciliation: a lot's range, cut into windows of at most the platform's 24 h,
 * each read page by page from its cursor (windows.ts). A `pass` is the cron's trailing range
 * (at most one open per lot); a `backfill` is POST /api/backfill. Opening a job and its windows
 * is one batch of fixed statements however many lots or windows (json_each, a recursive CTE).
 */
import { newId } from "../lib/ids.js";

/** Windows are [from, to], whole seconds, `to` included; the next starts a second later. */
const windowsSql = (maxWindowMs: number) =>
  `INSERT INTO record_windows (job_id, idx, platform, app_key, parking_id, priority, from_at, to_at, status,
     created_at, updated_at)
   WITH RECURSIVE w (job_id, idx, from_at) AS (
     SELECT id, 0, from_at FROM record_jobs WHERE opened_by = ?1
     UNION ALL
     SELECT w.job_id, w.idx + 1, w.from_at + ${maxWindowMs} + 1000 FROM w JOIN record_jobs j ON j.id = w.job_id
     WHERE w.from_at + ${maxWindowMs} + 1000 <= j.to_at)
   SELECT w.job_id, w.idx, j.platform, j.app_key, j.parking_id, iif(j.kind = 'pass', 0, 1), w.from_at,
     min(w.from_at + ${maxWindowMs}, j.to_at), 'pending', ?2, ?2
   FROM w JOIN record_jobs j ON j.id = w.job_id
   ON CONFLICT DO NOTHING`;

export interface PassRange {
  /** The run opening them (marks its jobs, so their windows are inserted by the same batch). */
  runId: string;
  now: number;
  from: number;
  to: number;
  everyMs: number;
  maxWindowMs: number;
}

/**
 * The statements opening a pass for every listed lot whose last pass is older than `everyMs`
 * (none while one is open: a unique index), its windows, and the lots' pass time.
 */
export function openPassStatements(db: D1Database, range: PassRange): D1PreparedStatement[] {
  const { runId, now, from, to, everyMs, maxWindowMs } = range;
  const windowCount = (to_: number, from_: number) => Math.floor((to_ - from_) / (maxWindowMs + 1000)) + 1;
  return [
    db
      .prepare(
        `INSERT INTO record_jobs (id, kind, platform, app_key, parking_id, from_at, to_at, windows, status, opened_by,
           created_at, updated_at)
         SELECT 'rj_' || lower(hex(randomblob(10))), 'pass', platform, app_key, parking_id, ?1, ?2, ?3, 'open', ?4, ?5, ?5
         FROM record_lots
         WHERE removed_at IS NULL AND (last_pass_at IS NULL OR last_pass_at <= ?5 - ?6)
         ON CONFLICT DO NOTHING`,
      )
      .bind(from, to, windowCount(to, from), runId, now, everyMs),
    db.prepare(windowsSql(maxWindowMs)).bind(runId, now),
    db
      .prepare(
        `UPDATE record_lots SET last_pass_at = ?2
         WHERE EXISTS (SELECT 1 FROM record_jobs j WHERE j.opened_by = ?1
           AND j.app_key = record_lots.app_key AND j.parking_id = record_lots.parking_id)`,
      )
      .bind(runId, now),
  ];
}

export interface BackfillRequest {
  platform: string;
  appKey: string;
  parkingId: string;
  from: number;
  to: number;
  requestedBy: string | null;
  now: number;
  maxWindowMs: number;
}

/** Opens a backfill job and its windows in one batch; returns its id. */
export async function openBackfill(db: D1Database, request: BackfillRequest): Promise<string> {
  const id = newId("rj", request.now);
  const windows = Math.floor((request.to - request.from) / (request.maxWindowMs + 1000)) + 1;
  await db.batch([
    db
      .prepare(
        `INSERT INTO record_jobs (id, kind, platform, app_key, parking_id, from_at, to_at, windows, status, opened_by,
           requested_by, created_at, updated_at)
         VALUES (?1, 'backfill', ?2, ?3, ?4, ?5, ?6, ?7, 'open', ?1, ?8, ?9, ?9)`,
      )
      .bind(
        id,
        request.platform,
        request.appKey,
        request.parkingId,
        request.from,
        request.to,
        windows,
        request.requestedBy,
        request.now,
      ),
    db.prepare(windowsSql(request.maxWindowMs)).bind(id, request.now),
  ]);
  return id;
}

export interface JobRow {
  id: string;
  kind: "pass" | "backfill";
  platform: string;
  app_key: string;
  parking_id: string;
  from_at: number;
  to_at: number;
  windows: number;
  status: "open" | "done" | "failed";
  requested_by: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

export interface WindowSummary {
  idx: number;
  from_at: number;
  to_at: number;
  status: "pending" | "done" | "failed";
  next_page: number;
  pages: number;
  records: number;
  recovered: number;
  attached: number;
  unusable: number;
  unusable_reason: string | null;
  attempts: number;
  last_error: string | null;
}

/** A job and its windows (GET /api/backfill/:id), or undefined. */
export async function readJob(
  db: D1Database,
  id: string,
): Promise<{ job: JobRow; windows: WindowSummary[] } | undefined> {
  const [job, windows] = await db.batch([
    db.prepare("SELECT * FROM record_jobs WHERE id = ?").bind(id),
    db
      .prepare(
        `SELECT idx, from_at, to_at, status, next_page, pages, records, recovered, attached, unusable, unusable_reason,
           attempts, last_error FROM record_windows WHERE job_id = ? ORDER BY idx`,
      )
      .bind(id),
  ]);
  const row = (job?.results ?? [])[0] as JobRow | undefined;
  return row ? { job: row, windows: (windows?.results ?? []) as WindowSummary[] } : undefined;
}
