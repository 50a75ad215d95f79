/**
 * A stored history made in D1 itself (one INSERT … SELECT per table over a recursive counter), for
 * the read benchmark and the status page's scale test: `count` vehicle accesses spread evenly over
 * `spanDays` up to `endIso`, across `lots` lots, through the real tables and triggers (raw_callbacks,
 * events → vehicle_accesses, lot_state). Plain SQL: it runs on workerd's D1 and on Miniflare's from Node.
 */
export interface HistoryOptions {
  /** Prefix of the rows' ids, so several histories can share a database. */
  tag: string;
  count: number;
  lots: number;
  spanDays: number;
  endIso: string;
  /** First of the rows' sequence numbers (to add to a history in chunks). */
  from?: number;
}

interface Runner {
  prepare(sql: string): { bind(...values: unknown[]): { run(): Promise<unknown> } };
}

/** Row i's receipt time: evenly spread, the last one at endIso. */
const AT = `strftime('%Y-%m-%dT%H:%M:%fZ', julianday(?4) - (?2 - 1 - i) * ?5 / ?2)`;
const COUNTER = "WITH RECURSIVE n(i) AS (SELECT ?6 UNION ALL SELECT i + 1 FROM n WHERE i < ?7 - 1)";

export const lotOf = (tag: string, i: number, lots: number) => `${tag}-lot${String(i % lots).padStart(3, "0")}`;
export const plateOf = (i: number) => `京H${String(i % 50_000).padStart(5, "0")}`;

/** Inserts rows from..from+count-1 of the history, in chunks of `chunk` rows per statement. */
export async function insertHistory(db: Runner, options: HistoryOptions, chunk = 50_000): Promise<void> {
  const start = options.from ?? 0;
  for (let first = start; first < start + options.count; first += chunk) {
    const last = Math.min(first + chunk, start + options.count);
    const binds = [options.tag, start + options.count, options.lots, options.endIso, options.spanDays, first, last];
    await db
      .prepare(
        `${COUNTER} INSERT INTO raw_callbacks (id, content_key, app_key, callback_type, body, body_digest, headers, received_at)
         SELECT printf('%s-%08d', ?1, i), printf('%s-ck-%08d', ?1, i), 'history', 'PARKING_VEHICLE_ACCESS', '{}', '-', '{}', ${AT} FROM n`,
      )
      .bind(...binds)
      .run();
    await db
      .prepare(
        `${COUNTER} INSERT INTO events (id, event, callback_type, app_key, parking_id, vehicle_code, lane_no,
           occurred_at_local, occurred_at, received_at, data)
         SELECT printf('%s-%08d', ?1, i), 'vehicleAccess', 'PARKING_VEHICLE_ACCESS', 'history',
           printf('%s-lot%03d', ?1, i % ?3), printf('京H%05d', i % 50000), '1',
           strftime('%Y-%m-%d %H:%M:%S', ${AT}, '+8 hours'), ${AT}, ${AT},
           json_object('vehicleCode', printf('京H%05d', i % 50000), 'direction', iif(i % 2, 'out', 'in'),
             'vehicleType', '2', 'laneName', 'Lane 1', 'inParkNum', 20 + i % 80, 'totalLot', 80 - i % 80, 'tempLot', 5)
         FROM n`,
      )
      .bind(...binds)
      .run();
  }
}
