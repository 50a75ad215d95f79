/**
 * Reading one window of a lot's records from its cursor: claim it (a lease, so overlapping runs
 * read different windows), read a page, store what it holds in one batch with the cursor's
 * advance, and go on while the invocation can afford another page. A page's batch is idempotent
 * on its own: a record is stored once by its natural key and recordId (callbacks/store.ts), so a
 * page read twice (a lease that lapsed, a run that died after its batch) stores nothing twice.
 */
import { sha256Hex } from "@parkbridge/shared";
import { planStore, type StorePlan, storeBatch } from "../callbacks/store.js";
import { enqueueDeliveries } from "../delivery/outbox.js";
import { callbackMaxSkewMs } from "../lib/config.js";
import { newId } from "../lib/ids.js";
import { isBudgetExhausted } from "../sweep/budget.js";
import type { RecordsInvocation } from "./invocation.js";
import { isUnusable, type RecordSource, type RecoveredAccess, recordSourceOf } from "./source.js";

/** How long a claimed window is its reader's (a reader that dies frees it after this). */
export const WINDOW_LEASE_MS = 120_000;
/** D1 statements one page costs at most: its batch (raw, events, outbox, attach, cursor, job, lot). */
export const PAGE_D1_STATEMENTS = 7;
/** Subrequests one page may cost: a token fetch, the page, its deliveries' hand-off (a queue send). */
export const PAGE_SUBREQUESTS = 3;

export interface WindowRow {
  job_id: string;
  idx: number;
  platform: string;
  app_key: string;
  parking_id: string;
  from_at: number;
  to_at: number;
  next_page: number;
  attempts: number;
}

/** Whether the invocation can afford one more page (and the statement that claims or releases a window). */
export const canAffordPage = (inv: RecordsInvocation) =>
  inv.report.pagesRead < inv.config.taskPages &&
  inv.calls.remaining >= PAGE_SUBREQUESTS &&
  inv.d1.remaining >= PAGE_D1_STATEMENTS + 1;

/** Claims the next window to read (passes first, then backfills, oldest first), or null. */
export async function claimWindow(inv: RecordsInvocation, owner: string): Promise<WindowRow | null> {
  const now = inv.now();
  return inv.db
    .prepare(
      `UPDATE record_windows SET lease_owner = ?1, lease_until = ?2, updated_at = ?3
       WHERE (job_id, idx) = (SELECT job_id, idx FROM record_windows
         WHERE status = 'pending' AND (lease_until IS NULL OR lease_until <= ?3)
         ORDER BY priority, lease_until IS NOT NULL, from_at LIMIT 1)
       RETURNING job_id, idx, platform, app_key, parking_id, from_at, to_at, next_page, attempts`,
    )
    .bind(owner, now + WINDOW_LEASE_MS, now)
    .first<WindowRow>();
}

/** Gives a window back unread (the invocation's budget ran out first): another run takes it at once. */
async function release(inv: RecordsInvocation, window: WindowRow, owner: string): Promise<void> {
  await inv.db
    .prepare(
      "UPDATE record_windows SET lease_owner = NULL, lease_until = NULL WHERE job_id = ? AND idx = ? AND lease_owner = ?",
    )
    .bind(window.job_id, window.idx, owner)
    .run();
}

/** One failed read: counted, backed off (1, 2, 4… min), and given up after maxAttempts with its reason. */
async function failed(inv: RecordsInvocation, window: WindowRow, owner: string, error: unknown): Promise<void> {
  const now = inv.now();
  const attempts = window.attempts + 1;
  const gaveUp = attempts >= inv.config.maxAttempts;
  const reason = error instanceof Error ? error.message : String(error);
  inv.report.readFailures++;
  if (gaveUp) inv.report.windowsFailed++;
  await inv.db.batch([
    inv.db
      .prepare(
        `UPDATE record_windows SET attempts = ?3, last_error = ?4, lease_owner = NULL, lease_until = ?5, updated_at = ?6,
           status = iif(?7, 'failed', status), finished_at = iif(?7, ?6, finished_at)
         WHERE job_id = ?1 AND idx = ?2 AND lease_owner = ?8`,
      )
      .bind(
        window.job_id,
        window.idx,
        attempts,
        reason.slice(0, 500),
        now + 60_000 * 2 ** (attempts - 1),
        now,
        gaveUp ? 1 : 0,
        owner,
      ),
    finishJob(inv.db, window.job_id, now),
  ]);
}

/** A job is over once none of its windows is pending: done, or failed when one was given up. */
const finishJob = (db: D1Database, jobId: string, now: number) =>
  db
    .prepare(
      `UPDATE record_jobs SET updated_at = ?2, finished_at = ?2,
         status = iif(EXISTS (SELECT 1 FROM record_windows WHERE job_id = ?1 AND status = 'failed'), 'failed', 'done')
       WHERE id = ?1 AND status = 'open'
         AND NOT EXISTS (SELECT 1 FROM record_windows WHERE job_id = ?1 AND status = 'pending')`,
    )
    .bind(jobId, now);

/** The plans of one page's records, and the records that cannot be an access (counted, with the first reason). */
async function planPage(
  inv: RecordsInvocation,
  source: RecordSource,
  window: WindowRow,
  items: unknown[],
): Promise<{ plans: StorePlan[]; unusable: number; reason: string | null }> {
  const receivedAt = new Date(inv.now());
  const maxSkewMs = callbackMaxSkewMs(inv.env);
  const accesses: RecoveredAccess[] = [];
  let unusable = 0;
  let reason: string | null = null;
  for (const item of items) {
    for (const reading of source.accessesOf(item, { parkingId: window.parking_id, receivedAt })) {
      if (!isUnusable(reading)) accesses.push(reading);
      else {
        unusable++;
        reason ??= reading.unusable;
      }
    }
  }
  // The digests at once: one await for the page, not one per record.
  const digests = await Promise.all(accesses.map((access) => sha256Hex(access.body)));
  const plans = accesses.map((access, index) =>
    planStore({
      appKey: window.app_key,
      callbackType: access.callbackType,
      bodyDigest: digests[index] as string,
      callback: access.callback,
      body: access.body,
      headers: {},
      receivedAt,
      eventId: newId("evt", receivedAt.getTime()),
      maxSkewMs,
      record: { id: access.recordId },
    }),
  );
  return { plans, unusable, reason };
}

/**
 * Reads a claimed window from its cursor while the invocation affords it (its budgets, and its
 * pages: CPU time): each page stored with the cursor's advance in one batch. Ends with the window done,
 * released for the next run, or its failure counted.
 */
export async function readWindow(inv: RecordsInvocation, window: WindowRow, owner: string): Promise<void> {
  const source = recordSourceOf(window.platform);
  const { pageSize } = inv.config;
  let pageNo = window.next_page;
  for (;;) {
    if (!canAffordPage(inv)) return release(inv, window, owner);
    let page: { items: unknown[]; hasMore: boolean };
    try {
      page = await source.readPage(
        inv,
        { appKey: window.app_key, parkingId: window.parking_id, from: window.from_at, to: window.to_at },
        { pageNo, pageSize },
      );
    } catch (error) {
      if (isBudgetExhausted(error)) return release(inv, window, owner);
      return failed(inv, window, owner, error);
    }
    inv.report.pagesRead++;
    inv.report.recordsRead += page.items.length;
    const { plans, unusable, reason } = await planPage(inv, source, window, page.items);
    const last = !page.hasMore || page.items.length === 0;
    const done = await storePage(inv, window, owner, {
      plans,
      unusable,
      reason,
      records: page.items.length,
      last,
      pageNo,
    });
    if (!done) return; // the lease was lost to another reader: it goes on from the cursor
    if (last) {
      inv.report.windowsDone++;
      return;
    }
    pageNo++;
  }
}

/** A page's records stored with the window's advance; false when the window was no longer this reader's. */
async function storePage(
  inv: RecordsInvocation,
  window: WindowRow,
  owner: string,
  page: { plans: StorePlan[]; unusable: number; reason: string | null; records: number; last: boolean; pageNo: number },
): Promise<boolean> {
  const db = inv.db;
  const now = inv.now();
  const batch = storeBatch(db, page.plans);
  const rows = batch.rows;
  const statements = page.plans.length ? [...batch.statements] : [];
  // A record whose access a callback stored gets its recordId (OR IGNORE: another event has it already).
  const attachIndex = page.plans.length
    ? statements.push(
        db
          .prepare(
            `UPDATE OR IGNORE events SET record_id = j.value ->> 'record_id'
             FROM json_each(?1) j JOIN raw_callbacks rc ON rc.access_key = j.value ->> 'access_key'
             WHERE events.id = rc.id AND events.record_id IS NULL
             RETURNING events.id`,
          )
          .bind(rows),
      ) - 1
    : -1;
  const cursorIndex =
    statements.push(
      db
        .prepare(
          `UPDATE record_windows SET
             pages = pages + 1, records = records + ?4,
             recovered = recovered + (SELECT count(*) FROM json_each(?5) j JOIN events e ON e.id = j.value ->> 'id'),
             attached = attached + (SELECT count(*) FROM json_each(?5) j
               JOIN events e ON e.parking_id = j.value ->> 'parking_id' AND e.record_id = j.value ->> 'record_id'
               WHERE e.source = 'callback'),
             unusable = unusable + ?6, unusable_reason = coalesce(unusable_reason, ?7),
             next_page = ?8 + 1, attempts = 0, last_error = NULL, updated_at = ?9,
             status = iif(?10, 'done', status), finished_at = iif(?10, ?9, finished_at),
             lease_owner = iif(?10, NULL, lease_owner), lease_until = iif(?10, NULL, ?11)
           WHERE job_id = ?1 AND idx = ?2 AND lease_owner = ?3 AND status = 'pending'
           RETURNING status`,
        )
        .bind(
          window.job_id,
          window.idx,
          owner,
          page.records,
          rows,
          page.unusable,
          page.reason,
          page.pageNo,
          now,
          page.last ? 1 : 0,
          now + WINDOW_LEASE_MS,
        ),
    ) - 1;
  if (page.last) {
    statements.push(
      finishJob(db, window.job_id, now),
      // The lot's latest window read (status page). A backfilled lot its account does not list is
      // kept as removed (no passes), so the page still shows what was read of it.
      db
        .prepare(
          `INSERT INTO record_lots (app_key, parking_id, platform, listed_at, removed_at, last_window_from, last_window_to,
             last_read_at)
           VALUES (?1, ?2, ?6, ?5, ?5, ?3, ?4, ?5)
           ON CONFLICT (app_key, parking_id) DO UPDATE SET last_window_from = ?3, last_window_to = ?4, last_read_at = ?5
           WHERE last_window_to IS NULL OR last_window_to <= ?4`,
        )
        .bind(window.app_key, window.parking_id, window.from_at, window.to_at, now, window.platform),
    );
  }
  const results = await db.batch(statements);
  const advanced = (results[cursorIndex]?.results ?? []).length > 0;
  if (!page.plans.length) return advanced;
  const { stored, deliveries } = batch.read(results);
  inv.report.recovered += stored.size;
  inv.report.attached += (results[attachIndex]?.results ?? []).length;
  inv.report.unusable += page.unusable;
  if (stored.size) await afterRecovered(inv, deliveries);
  return advanced;
}

/**
 * Recovered events' deliveries handed to the queue. The live state needs nothing: a record carries
 * no counts of the lot (the only live state an access reports), and D1's triggers move it only
 * for a report at least as recent as the one it holds.
 */
async function afterRecovered(inv: RecordsInvocation, deliveries: Map<string, string[]>): Promise<void> {
  const ids = [...deliveries.values()].flat();
  if (!ids.length) return;
  // A queue send is a subrequest: counted in the invocation's budget with the platform calls.
  inv.spendSubrequests(Math.ceil(ids.length / 100));
  try {
    await enqueueDeliveries(inv.env.DELIVERIES, ids);
  } catch (error) {
    // The outbox has them: the delivery reconciliation re-enqueues.
    console.warn("records: delivery enqueue failed, the reconciliation will re-enqueue", String(error));
  }
}
