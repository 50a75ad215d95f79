/**
 * One run of the history's reconciliation (records/): the accounts' lot listings that are due
 * (hourly), the passes that are due (every lot's trailing range, RECONCILE_EVERY_MINUTES), then
 * windows from their cursors while the invocation's budgets last. Runs on the
 * `parkbridge-records` queue when it is bound (the cron sends one message a minute; a run that
 * left work sends one follow-up), else on the cron itself.
 */
import type { Env } from "../env.js";
import { accountsOf } from "../lib/config.js";
import { newId } from "../lib/ids.js";
import { isBudgetExhausted } from "../sweep/budget.js";
import { readRecordsConfig } from "./config.js";
import {
  RecordsInvocation as Invocation,
  type RecordsInvocation,
  type RecordsMessage,
  type RecordsReport,
} from "./invocation.js";
import { openPassStatements } from "./jobs.js";
import { recordSourceOf } from "./source.js";
import { canAffordPage, claimWindow, readWindow } from "./windows.js";

export const RECORDS_QUEUE = "parkbridge-records";
/** How often an account's lots are listed again (new lots join, removed ones stop). */
export const LIST_LOTS_EVERY_MS = 3_600_000;
/** After a failed listing, the next try waits this long. */
const LIST_RETRY_MS = 300_000;

/** Lists the lots of every account whose listing is due (each is then reconciled with it). */
async function listLotsDue(inv: RecordsInvocation): Promise<void> {
  const now = inv.now();
  const rows = await inv.db
    .prepare("SELECT app_key, listed_at, lease_until FROM record_accounts")
    .all<{ app_key: string; listed_at: number | null; lease_until: number | null }>();
  const known = new Map(rows.results.map((row) => [row.app_key, row]));
  const source = recordSourceOf("open");
  for (const appKey of accountsOf(inv.env).keys()) {
    const row = known.get(appKey);
    if (row?.listed_at != null && row.listed_at > now - LIST_LOTS_EVERY_MS) continue;
    if (row?.lease_until != null && row.lease_until > now) continue;
    if (inv.calls.remaining < 2 || inv.d1.remaining < 4) return;
    try {
      const lots = await source.listLots(inv, appKey);
      await inv.db.batch(lotStatements(inv.db, appKey, lots, inv.now()));
      inv.report.lotsListed += lots.length;
    } catch (error) {
      if (isBudgetExhausted(error)) return;
      const reason = (error instanceof Error ? error.message : String(error)).slice(0, 500);
      await inv.db
        .prepare(
          `INSERT INTO record_accounts (app_key, lease_until, last_error, last_error_at) VALUES (?1, ?2, ?3, ?4)
           ON CONFLICT (app_key) DO UPDATE SET lease_until = ?2, last_error = ?3, last_error_at = ?4`,
        )
        .bind(appKey, now + LIST_RETRY_MS, reason, now)
        .run();
    }
  }
}

/** An account's listing stored: its lots (a lot another account reconciles already stays with it), and the ones gone. */
function lotStatements(
  db: D1Database,
  appKey: string,
  lots: Array<{ parkingId: string; name: string | null }>,
  now: number,
): D1PreparedStatement[] {
  const json = JSON.stringify(lots);
  return [
    db
      .prepare(
        `INSERT INTO record_accounts (app_key, listed_at, lots) VALUES (?1, ?2, ?3)
         ON CONFLICT (app_key) DO UPDATE SET listed_at = ?2, lots = ?3, lease_until = NULL, last_error = NULL`,
      )
      .bind(appKey, now, lots.length),
    db
      .prepare(
        `INSERT INTO record_lots (app_key, parking_id, name, listed_at)
         SELECT ?1, j.value ->> 'parkingId', j.value ->> 'name', ?3 FROM json_each(?2) j
         WHERE NOT EXISTS (SELECT 1 FROM record_lots o
           WHERE o.parking_id = j.value ->> 'parkingId' AND o.app_key <> ?1 AND o.removed_at IS NULL)
         ON CONFLICT (app_key, parking_id) DO UPDATE SET name = excluded.name, listed_at = ?3, removed_at = NULL`,
      )
      .bind(appKey, json, now),
    db
      .prepare(
        `UPDATE record_lots SET removed_at = ?3 WHERE app_key = ?1 AND removed_at IS NULL
           AND parking_id NOT IN (SELECT j.value ->> 'parkingId' FROM json_each(?2) j)`,
      )
      .bind(appKey, json, now),
  ];
}

/** Opens the passes that are due: every listed lot's trailing range, up to the settle time. */
async function openPasses(inv: RecordsInvocation, runId: string): Promise<void> {
  const { trailingMs, settleMs, everyMs } = inv.config;
  if (trailingMs === 0 || inv.d1.remaining < 3) return;
  const now = inv.now();
  const to = Math.floor((now - settleMs) / 1000) * 1000;
  const source = recordSourceOf("open");
  const [opened] = await inv.db.batch(
    openPassStatements(inv.db, { runId, now, from: to - trailingMs, to, everyMs, maxWindowMs: source.maxWindowMs }),
  );
  inv.report.passesOpened += opened?.meta.changes ?? 0;
}

/** One run within the invocation's budgets; `more` when it left windows it could have read. */
export async function reconcile(inv: RecordsInvocation): Promise<{ more: boolean }> {
  const runId = newId("rr", inv.now());
  await listLotsDue(inv);
  await openPasses(inv, runId);
  while (canAffordPage(inv)) {
    const window = await claimWindow(inv, runId);
    if (!window) return { more: false };
    inv.report.tasksRun++;
    await readWindow(inv, window, runId);
  }
  return { more: true };
}

export interface RunOptions {
  via: RecordsReport["via"];
  now: number;
  /** The transport under the call budget (tests). */
  fetch?: typeof fetch;
}

/** One budgeted invocation of the reconciliation; its report. */
export async function runReconciliation(env: Env, options: RunOptions): Promise<RecordsReport & { more: boolean }> {
  const config = readRecordsConfig(env);
  const inv = new Invocation(env, {
    now: options.now,
    via: options.via,
    maxPlatformCalls: config.maxPlatformCalls,
    maxD1Queries: config.maxD1Queries,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  let more = false;
  try {
    more = (await reconcile(inv)).more;
    // Work left: one follow-up run at once (parallel runs read different windows; none is sent without a queue).
    if (more && env.RECORDS && inv.calls.remaining >= 1) {
      inv.spendSubrequests(1);
      await inv.send([{ task: { kind: "run" }, attempt: 1 }]);
    }
  } catch (error) {
    if (!isBudgetExhausted(error)) throw error;
    more = true;
  } finally {
    inv.finish();
  }
  return { ...inv.report, more };
}

/**
 * Whether a run has work: a window to read, a pass due, or an account's listing due. One D1
 * statement, so that the cron sends no queue message on a quiet minute (the free plan's queue has
 * 10,000 operations a day; a message costs three).
 */
export async function reconciliationDue(env: Env, now: number): Promise<boolean> {
  const { trailingMs, everyMs } = readRecordsConfig(env);
  const row = await env.DB.prepare(
    `SELECT EXISTS (SELECT 1 FROM record_windows WHERE status = 'pending' AND (lease_until IS NULL OR lease_until <= ?1))
         OR (?2 > 0 AND EXISTS (SELECT 1 FROM record_lots
               WHERE removed_at IS NULL AND (last_pass_at IS NULL OR last_pass_at <= ?1 - ?3))) AS due,
       (SELECT count(*) FROM record_accounts WHERE listed_at > ?1 - ?4 OR lease_until > ?1) AS listed`,
  )
    .bind(now, trailingMs, everyMs, LIST_LOTS_EVERY_MS)
    .first<{ due: number; listed: number }>();
  return row?.due === 1 || (row?.listed ?? 0) < accountsOf(env).size;
}

/** The cron's part: a run message when there is work and the queue is bound (a run of its own), else the run itself. */
export async function scheduleReconciliation(env: Env, now: number): Promise<void> {
  if (!(await reconciliationDue(env, now))) return;
  if (env.RECORDS) {
    await env.RECORDS.send({ task: { kind: "run" }, attempt: 1, now, sentAt: Date.now() });
    return;
  }
  await runReconciliation(env, { via: "cron", now });
}

/** The `parkbridge-records` queue consumer: one run per message (max_batch_size = 1). */
export async function consumeRecords(batch: MessageBatch<RecordsMessage>, env: Env): Promise<void> {
  for (const [index, message] of batch.messages.entries()) {
    if (index > 0) {
      message.retry();
      continue;
    }
    try {
      await runReconciliation(env, {
        via: "queue",
        now: message.body.now + Math.max(0, Date.now() - message.body.sentAt),
      });
      message.ack();
    } catch (error) {
      console.error("records run failed:", String(error));
      message.retry({ delaySeconds: 30 });
    }
  }
}
