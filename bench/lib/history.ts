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
  /** How many distinct plates (default 50,000). */
  plates?: number;
  /** The lots' prefix (default: the tag), so two histories can share lots. */
  lotTag?: string;
}

interface Runner {
  prepare(sql: string): { bind(...values: unknown[]): { run(): Promise<unknown> } };
}

/** Row i's receipt time: evenly spread, the last one at endIso. */
const AT = `strftime('%Y-%m-%dT%H:%M:%fZ', julianday(?4) - (?2 - 1 - i) * ?5 / ?2)`;
const COUNTER = "WITH RECURSIVE n(i) AS (SELECT ?6 UNION ALL SELECT i + 1 FROM n WHERE i < ?7 - 1)";

export const lotOf = (tag: string, i: number) => `${tag}-lot${String(i).padStart(3, "0")}`;
export const plateOf = (i: number) => `京H${String(i).padStart(5, "0")}`;

/** Inserts the history, in chunks of `chunk` rows per statement. */
export async function insertHistory(db: Runner, options: HistoryOptions, chunk = 50_000): Promise<void> {
  for (let first = 0; first < options.count; first += chunk) {
    const last = Math.min(first + chunk, options.count);
    const binds = [
      options.tag,
      options.count,
      options.lots,
      options.endIso,
      options.spanDays,
      first,
      last,
      options.plates ?? 50_000,
      options.lotTag ?? options.tag,
    ];
    await db
      .prepare(
        `${COUNTER} INSERT INTO raw_callbacks (id, content_key, app_key, callback_type, body, body_digest, headers, received_at)
         SELECT printf('%s-%08d', ?1, i), printf('%s-ck-%08d', ?1, i), 'history', 'PARKING_VEHICLE_ACCESS', '{}', '-', '{}', ${AT} FROM n`,
      )
      .bind(...binds.slice(0, 7))
      .run();
    await db
      .prepare(
        `${COUNTER} INSERT INTO events (id, event, callback_type, app_key, parking_id, vehicle_code, lane_no,
           occurred_at_local, occurred_at, received_at, data, details)
         SELECT printf('%s-%08d', ?1, i), 'vehicleAccess', 'PARKING_VEHICLE_ACCESS', 'history',
           printf('%s-lot%03d', ?9, i % ?3), printf('京H%05d', i % ?8), '1',
           strftime('%Y-%m-%d %H:%M:%S', ${AT}, '+8 hours'), ${AT}, ${AT},
           json_object('vehicleCode', printf('京H%05d', i % ?8), 'accessType', iif(i % 2, '1', '0'),
             'vehicleType', '2', 'laneName', 'Lane 1', 'inParkNum', 20 + i % 80, 'totalLot', 80 - i % 80, 'tempLot', 5),
           json_object('direction', iif(i % 2, 'out', 'in'), 'laneName', 'Lane 1',
             'spaces', json_object('vehiclesInside', 20 + i % 80, 'freeSpaces', 80 - i % 80, 'freeTemporarySpaces', 5))
         FROM n`,
      )
      .bind(...binds)
      .run();
  }
}

/** Unix ms of an ISO column, in SQL. */
const MS = (column: string) => `CAST(round((julianday(${column}) - 2440587.5) * 86400000) AS INTEGER)`;

/**
 * Deliveries (to one subscription) and visitor grants (expired, so no open-plate conflict) for every
 * `every`-th event of the history, created when the event was received: the lists that page by
 * (created_at, id) grow with the history.
 */
export async function insertDeliveriesAndGrants(
  db: Runner,
  tag: string,
  count: number,
  every: number,
  chunk = 100_000,
): Promise<void> {
  await db
    .prepare(
      `INSERT INTO subscriptions (id, url, secret, events, parking_id, created_at)
       VALUES (?1 || '-sub', 'https://n8n.example.com/hook', 'whsec_AAAA', NULL, ?1 || '-nowhere', '2026-01-01T00:00:00.000Z')`,
    )
    .bind(tag)
    .run();
  const of = `FROM events WHERE id >= printf('%s-%08d', ?1, ?3) AND id < printf('%s-%08d', ?1, ?4)
    AND CAST(substr(id, length(?1) + 2) AS INTEGER) % ?2 = 0`;
  for (let first = 0; first < count; first += chunk) {
    const last = Math.min(first + chunk, count);
    await insertChunk(db, of, tag, every, first, last);
  }
}

async function insertChunk(db: Runner, of: string, tag: string, every: number, first: number, last: number) {
  await db
    .prepare(
      `INSERT INTO deliveries (id, subscription_id, event_id, status, attempts, last_status, next_attempt_at, created_at, updated_at, delivered_at)
       SELECT 'dl-' || id, ?1 || '-sub', id, 'delivered', 1, 204, received_at, received_at, received_at, received_at ${of}`,
    )
    .bind(tag, every, first, last)
    .run();
  await db
    .prepare(
      `INSERT INTO visitor_grants (id, parking_id, vehicle_code, visitor_name, visitor_phone, starts_at, ends_at,
         starts_at_local, ends_at_local, platform_start_date, platform_end_date, source, status, created_at, updated_at)
       SELECT 'vg-' || id, parking_id, vehicle_code, '张三', '13800138000', ${MS("received_at")}, ${MS("received_at")} + 3600000,
         occurred_at_local, occurred_at_local, occurred_at_local, occurred_at_local, 'api', 'expired',
         ${MS("received_at")}, ${MS("received_at")} ${of}`,
    )
    .bind(tag, every, first, last)
    .run();
}
