/**
 * Retention: personal data is kept no longer than needed (docs/privacy.md, "How long"). The cron
 * deletes, oldest first and in bounded batches, events (with their raw bodies, typed rows and
 * deliveries: migrations/0008's triggers), finished deliveries, and closed visitor grants (with
 * their audit trail), each older than its period. Events are counted per day, lot, kind and
 * direction in the batch that deletes them (event_daily_counts), so history totals survive; the
 * live state and the status page's charts (hours, not months) never read what is pruned.
 * Every statement goes through the invocation's D1 budget (sweep/budget.ts): free plan, 50.
 */
import type { Env } from "../env.js";
import { numberVar } from "../lib/config.js";
import { BudgetExhausted, D1Budget } from "../sweep/budget.js";

export const DEFAULT_RETENTION_DAYS = 180;

export interface RetentionConfig {
  /** Days events and their raw bodies are kept (0: forever). */
  eventsDays: number;
  /** Days finished (delivered or dead) deliveries are kept (0: forever). */
  deliveriesDays: number;
  /** Days closed visitor grants and their audit rows are kept after they closed (0: forever). */
  grantsDays: number;
  /** Rows one statement deletes at most. */
  batchRows: number;
  /** D1 statements one run may use (the cron's other jobs share the invocation's 50). */
  maxD1Queries: number;
}

export function readRetentionConfig(env: Env): RetentionConfig {
  return {
    eventsDays: numberVar(env.RETENTION_EVENTS_DAYS, "RETENTION_EVENTS_DAYS", DEFAULT_RETENTION_DAYS),
    deliveriesDays: numberVar(env.RETENTION_DELIVERIES_DAYS, "RETENTION_DELIVERIES_DAYS", DEFAULT_RETENTION_DAYS),
    grantsDays: numberVar(env.RETENTION_GRANTS_DAYS, "RETENTION_GRANTS_DAYS", DEFAULT_RETENTION_DAYS),
    batchRows: Math.max(1, Math.floor(numberVar(env.RETENTION_BATCH_ROWS, "RETENTION_BATCH_ROWS", 200))),
    maxD1Queries: Math.floor(numberVar(env.RETENTION_MAX_D1_QUERIES, "RETENTION_MAX_D1_QUERIES", 6)),
  };
}

export interface RetentionReport {
  job: "retention";
  now: string;
  eventsDeleted: number;
  deliveriesDeleted: number;
  grantsDeleted: number;
  /** True when a category had more to delete than this run could (the next run goes on). */
  more: boolean;
  d1Queries: number;
}

const DAY_MS = 86_400_000;
const cutoffIso = (now: number, days: number) => new Date(now - days * DAY_MS).toISOString();

/** The oldest `?2` events received before `?1`: the same rows for both statements of a round (one transaction). */
/** Statements of one round of events: the baselines, the daily counts, the deletion. */
const ROUND_STATEMENTS = 3;
const OLDEST_EVENTS = "SELECT id FROM events WHERE received_at < ?1 ORDER BY received_at, id LIMIT ?2";

export async function pruneExpired(env: Env, now: number, config = readRetentionConfig(env)): Promise<RetentionReport> {
  const budget = new D1Budget(config.maxD1Queries, env.DB);
  const db = budget.db;
  const report: RetentionReport = {
    job: "retention",
    now: new Date(now).toISOString(),
    eventsDeleted: 0,
    deliveriesDeleted: 0,
    grantsDeleted: 0,
    more: false,
    d1Queries: 0,
  };
  const limit = config.batchRows;
  try {
    if (config.deliveriesDays > 0) {
      const result = await db
        .prepare(
          `DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries
             WHERE status IN ('delivered', 'dead') AND created_at < ?1 ORDER BY created_at LIMIT ?2) RETURNING id`,
        )
        .bind(cutoffIso(now, config.deliveriesDays), limit)
        .all();
      // Counted by RETURNING: meta.changes counts what the triggers delete too.
      report.deliveriesDeleted = result.results.length;
      if (report.deliveriesDeleted === limit) report.more = true;
    }
    if (config.grantsDays > 0) {
      // Only closed grants: an open one still has to be ended on the platform.
      const result = await db
        .prepare(
          `DELETE FROM visitor_grants WHERE id IN (SELECT id FROM visitor_grants
             WHERE status NOT IN ('pending', 'active') AND updated_at < ?1 ORDER BY updated_at LIMIT ?2) RETURNING id`,
        )
        .bind(now - config.grantsDays * DAY_MS, limit)
        .all();
      report.grantsDeleted = result.results.length;
      if (report.grantsDeleted === limit) report.more = true;
    }
    if (config.eventsDays > 0) {
      const cutoff = cutoffIso(now, config.eventsDays);
      // Rounds while the budget allows and the last one was full.
      while (budget.remaining >= ROUND_STATEMENTS) {
        const [, , deleted] = await db.batch([
          // The lot's newest pruned pass with counts: where its occupancy chart starts when nothing older is left.
          db
            .prepare(
              `INSERT INTO lot_count_baselines (platform, parking_id, occurred_at, in_park_num, total_lot)
               SELECT platform, parking_id, max(occurred_at), inside, free FROM (
                 SELECT va.platform, va.parking_id, va.occurred_at, va.in_park_num AS inside, va.total_lot AS free
                   FROM (${OLDEST_EVENTS}) o JOIN vehicle_accesses va ON va.event_id = o.id
                  WHERE va.in_park_num IS NOT NULL
                 UNION ALL
                 SELECT ls.platform, ls.parking_id, ls.occurred_at, ls.total_spaces - ls.free_spaces, ls.free_spaces
                   FROM (${OLDEST_EVENTS}) o JOIN lot_statuses ls ON ls.event_id = o.id
                  WHERE ls.total_spaces IS NOT NULL AND ls.free_spaces IS NOT NULL)
               WHERE true
               GROUP BY platform, parking_id
               ON CONFLICT (platform, parking_id) DO UPDATE SET occurred_at = excluded.occurred_at,
                 in_park_num = excluded.in_park_num, total_lot = excluded.total_lot
               WHERE excluded.occurred_at > lot_count_baselines.occurred_at`,
            )
            .bind(cutoff, limit),
          db
            .prepare(
              `INSERT INTO event_daily_counts (day, platform, parking_id, event, direction, events)
               SELECT strftime('%Y-%m-%d', e.occurred_at, '+8 hours'), e.platform, e.parking_id, e.event,
                 coalesce(va.direction, ''), count(*)
               FROM (${OLDEST_EVENTS}) o JOIN events e ON e.id = o.id
               LEFT JOIN vehicle_accesses va ON va.event_id = e.id
               WHERE true
               GROUP BY 1, 2, 3, 4, 5
               ON CONFLICT (day, platform, parking_id, event, direction) DO UPDATE SET events = events + excluded.events`,
            )
            .bind(cutoff, limit),
          db.prepare(`DELETE FROM events WHERE id IN (${OLDEST_EVENTS}) RETURNING id`).bind(cutoff, limit),
        ]);
        const count = deleted?.results.length ?? 0;
        report.eventsDeleted += count;
        if (count < limit) break;
        // A full round: more may be left (the next run goes on if the budget ends here).
        if (budget.remaining < ROUND_STATEMENTS) report.more = true;
      }
    }
  } catch (error) {
    if (!(error instanceof BudgetExhausted)) throw error;
    report.more = true;
  }
  report.d1Queries = budget.used;
  console.log(JSON.stringify(report));
  return report;
}
