/**
 * The ledger in D1: every read and every state change of a visitor grant. A state change is
 * one conditional UPDATE (it only applies from the expected status, and, when a lease is
 * named, only for its holder) and its audit row, in one batch (a transaction): the audit row
 * is written only if the UPDATE changed the row.
 */
import { type Query, query } from "../lib/d1-query.js";
import type { GrantRow, GrantSource, GrantStatus } from "./grant.js";

export interface AuditEntry {
  actor: string;
  action: string;
  detail?: Record<string, unknown> | string | null;
}

export interface AuditRow {
  id: number;
  grant_id: string;
  at: number;
  actor: string;
  action: string;
  from_status: string | null;
  to_status: string | null;
  detail: string | null;
}

type MutableColumn = Exclude<keyof GrantRow, "id" | "created_at" | "source" | "source_ref">;
export type GrantChanges = Partial<Pick<GrantRow, MutableColumn>>;

const mutableColumns = new Set<string>([
  "parking_id",
  "vehicle_code",
  "visitor_name",
  "visitor_phone",
  "reason",
  "lane_nos",
  "starts_at",
  "ends_at",
  "starts_at_local",
  "ends_at_local",
  "platform_start_date",
  "platform_end_date",
  "status",
  "closed_reason",
  "attempts",
  "last_error",
  "next_attempt_at",
  "lease_owner",
  "lease_until",
  "updated_at",
]);

const detailText = (detail: AuditEntry["detail"]) =>
  detail === undefined || detail === null ? null : typeof detail === "string" ? detail : JSON.stringify(detail);

type AuditArgs = [
  db: D1Database,
  grantId: string,
  at: number,
  entry: AuditEntry,
  fromStatus: GrantStatus | null,
  toStatus: GrantStatus | null,
];

const auditRow =
  (onlyIfChanged: boolean) =>
  (...[db, grantId, at, entry, fromStatus, toStatus]: AuditArgs): D1PreparedStatement =>
    db
      .prepare(
        `INSERT INTO grant_audit (grant_id, at, actor, action, from_status, to_status, detail)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 ${onlyIfChanged ? "WHERE changes() = 1" : ""}`,
      )
      .bind(grantId, at, entry.actor, entry.action, fromStatus, toStatus, detailText(entry.detail));

/** An audit row for `grantId`, written only when the statement before it in the batch changed a row. */
export const auditIfChanged: (...args: AuditArgs) => D1PreparedStatement = auditRow(true);

/** An unconditional audit row. */
export const audit: (...args: AuditArgs) => D1PreparedStatement = auditRow(false);

export type NewGrant = Omit<
  GrantRow,
  "attempts" | "last_error" | "next_attempt_at" | "lease_owner" | "lease_until" | "closed_reason" | "updated_at"
>;

/** The INSERT of a new grant; `orIgnore` skips it when the plate already has an open grant (or the ref is known). */
/**
 * `ifNew`: a grant that conflicts with one already recorded (the same source event, or an open
 * grant of the plate at the lot) is not inserted, and that is no error. Only uniqueness is let
 * go (ON CONFLICT DO NOTHING): a CHECK or NOT NULL violation still fails, never silently dropped.
 */
export function insertGrant(db: D1Database, grant: NewGrant, ifNew = false): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO visitor_grants (
         id, parking_id, vehicle_code, visitor_name, visitor_phone, reason, lane_nos,
         starts_at, ends_at, starts_at_local, ends_at_local, platform_start_date, platform_end_date,
         source, source_ref, status, app_key, attempts, created_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?18, 0, ?17, ?17)
       ${ifNew ? "ON CONFLICT DO NOTHING" : ""}`,
    )
    .bind(
      grant.id,
      grant.parking_id,
      grant.vehicle_code,
      grant.visitor_name,
      grant.visitor_phone,
      grant.reason,
      grant.lane_nos,
      grant.starts_at,
      grant.ends_at,
      grant.starts_at_local,
      grant.ends_at_local,
      grant.platform_start_date,
      grant.platform_end_date,
      grant.source,
      grant.source_ref,
      grant.status,
      grant.created_at,
      grant.app_key,
    );
}

export async function getGrant(db: D1Database, id: string): Promise<GrantRow | null> {
  return db.prepare("SELECT * FROM visitor_grants WHERE id = ?1").bind(id).first<GrantRow>();
}

export async function getAudit(db: D1Database, grantId: string): Promise<AuditRow[]> {
  const { results } = await db
    .prepare("SELECT * FROM grant_audit WHERE grant_id = ?1 ORDER BY id")
    .bind(grantId)
    .all<AuditRow>();
  return results;
}

export async function findOpenGrant(db: D1Database, parkingId: string, vehicleCode: string): Promise<GrantRow | null> {
  return db
    .prepare(
      "SELECT * FROM visitor_grants WHERE parking_id = ?1 AND vehicle_code = ?2 AND status IN ('pending', 'active')",
    )
    .bind(parkingId, vehicleCode)
    .first<GrantRow>();
}

export interface TransitionOptions {
  id: string;
  /** Applies only from this status. */
  from: GrantStatus;
  set: GrantChanges;
  /** Applies only while this owner holds the lease; the lease is released (unless `set` says otherwise). */
  leaseOwner?: string;
  at: number;
  audit: AuditEntry;
}

/** The statements of a conditional state change and its audit row (for a caller's batch). */
export function transitionStatements(db: D1Database, options: TransitionOptions): D1PreparedStatement[] {
  const set: GrantChanges = { updated_at: options.at, ...options.set };
  if (options.leaseOwner !== undefined) {
    if (!("lease_owner" in set)) set.lease_owner = null;
    if (!("lease_until" in set)) set.lease_until = null;
  }
  const entries = Object.entries(set).filter(([column]) => {
    if (!mutableColumns.has(column)) throw new Error(`not a mutable grant column: ${column}`);
    return true;
  });
  const assignments = entries.map(([column], index) => `${column} = ?${index + 3}`).join(", ");
  const leaseCondition = options.leaseOwner !== undefined ? ` AND lease_owner = ?${entries.length + 3}` : "";
  const values: unknown[] = [options.id, options.from, ...entries.map(([, value]) => value ?? null)];
  if (options.leaseOwner !== undefined) values.push(options.leaseOwner);
  const update = db
    .prepare(`UPDATE visitor_grants SET ${assignments} WHERE id = ?1 AND status = ?2${leaseCondition}`)
    .bind(...values);
  const toStatus = set.status ?? options.from;
  return [update, auditIfChanged(db, options.id, options.at, options.audit, options.from, toStatus)];
}

/** Applies a conditional state change; true when it applied. */
export async function transition(db: D1Database, options: TransitionOptions): Promise<boolean> {
  const [update] = await db.batch(transitionStatements(db, options));
  return (update?.meta.changes ?? 0) === 1;
}

/** A grant's outcome: the five columns it has afterwards, and what its audit row says. */
export interface GrantOutcome {
  status: GrantStatus;
  closedReason: string | null;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: number | null;
  action: string;
  detail: Record<string, unknown> | null;
}

/** One grant's change in a bulk transition. */
export interface BulkChange extends GrantOutcome {
  id: string;
  /** Applies only from this status. */
  from: GrantStatus;
}

/**
 * The statements (for one batch, a transaction) of conditional changes of many grants that
 * `leaseOwner` holds, with their audit rows: each change applies only from its `from` status and
 * while the lease is held, and releases the lease. The audit rows come first, read against the
 * same conditions, so exactly the grants that change get one. Two statements for any number of
 * grants (their JSON is one parameter: keep it under D1's 2 MB, a few thousand grants).
 */
export function bulkTransitionStatements(
  db: D1Database,
  options: { leaseOwner: string; at: number; actor: string; changes: BulkChange[] },
): D1PreparedStatement[] {
  const rows = JSON.stringify(
    options.changes.map((c) => ({ ...c, detail: c.detail === null ? null : JSON.stringify(c.detail) })),
  );
  const audit = db
    .prepare(
      `INSERT INTO grant_audit (grant_id, at, actor, action, from_status, to_status, detail)
       SELECT g.id, ?2, ?3, j.value ->> 'action', g.status, j.value ->> 'status', j.value ->> 'detail'
       FROM json_each(?1) j JOIN visitor_grants g ON g.id = j.value ->> 'id'
       WHERE g.status = j.value ->> 'from' AND g.lease_owner = ?4
       ORDER BY j.key`,
    )
    .bind(rows, options.at, options.actor, options.leaseOwner);
  const update = db
    .prepare(
      `UPDATE visitor_grants SET status = j.value ->> 'status', closed_reason = j.value ->> 'closedReason',
         attempts = j.value ->> 'attempts', last_error = j.value ->> 'lastError',
         next_attempt_at = j.value ->> 'nextAttemptAt', lease_owner = NULL, lease_until = NULL, updated_at = ?2
       FROM json_each(?1) j
       WHERE visitor_grants.id = j.value ->> 'id' AND visitor_grants.status = j.value ->> 'from'
         AND visitor_grants.lease_owner = ?3`,
    )
    .bind(rows, options.at, options.leaseOwner);
  return [audit, update];
}

export interface LeaseRequest {
  id: string;
  status: GrantStatus;
  owner: string;
  now: number;
  until: number;
  /** The sweep's conditions: the grant is still due at `now` and not backing off. */
  dueOnly?: boolean;
}

/**
 * Takes the lease of a grant for `owner`, unless someone else holds an unexpired lease, and
 * returns the grant as it is now (or null). The guard that lets overlapping sweeps (and the
 * API) never work on the same grant at once: the condition and the write are one statement.
 */
export async function claimLease(db: D1Database, lease: LeaseRequest): Promise<GrantRow | null> {
  const dueConditions = lease.dueOnly
    ? " AND ends_at <= ?5 AND (next_attempt_at IS NULL OR next_attempt_at <= ?5)"
    : "";
  return db
    .prepare(
      `UPDATE visitor_grants SET lease_owner = ?3, lease_until = ?4
       WHERE id = ?1 AND status = ?2 AND (lease_until IS NULL OR lease_until < ?5)${dueConditions}
       RETURNING *`,
    )
    .bind(lease.id, lease.status, lease.owner, lease.until, lease.now)
    .first<GrantRow>();
}

export async function releaseLease(db: D1Database, id: string, owner: string): Promise<void> {
  await db
    .prepare("UPDATE visitor_grants SET lease_owner = NULL, lease_until = NULL WHERE id = ?1 AND lease_owner = ?2")
    .bind(id, owner)
    .run();
}

/** Active grants whose end has passed and that are not backing off or leased, soonest first. */
export const DUE_GRANTS_SQL = `SELECT * FROM visitor_grants INDEXED BY visitor_grants_due
  WHERE status = 'active' AND ends_at <= ?1
    AND (next_attempt_at IS NULL OR next_attempt_at <= ?1)
    AND (lease_until IS NULL OR lease_until < ?1)
  ORDER BY ends_at LIMIT ?2`;

/**
 * The sweep's query, pinned to the partial index on (ends_at) of active grants: without table
 * statistics SQLite would rather use the (status, …) index and read every active grant.
 */
export async function dueGrants(db: D1Database, now: number, limit: number): Promise<GrantRow[]> {
  const { results } = await db.prepare(DUE_GRANTS_SQL).bind(now, limit).all<GrantRow>();
  return results;
}

/** Pending grants created before `createdBefore`: their create call's outcome is unknown. */
export async function stalePendingGrants(db: D1Database, createdBefore: number, now: number, limit: number) {
  const { results } = await db
    .prepare(
      `SELECT * FROM visitor_grants INDEXED BY visitor_grants_pending
       WHERE status = 'pending' AND created_at < ?1
         AND (next_attempt_at IS NULL OR next_attempt_at <= ?2)
         AND (lease_until IS NULL OR lease_until < ?2)
       ORDER BY created_at LIMIT ?3`,
    )
    .bind(createdBefore, now, limit)
    .all<GrantRow>();
  return results;
}

/**
 * Active grants ending before `untilMs`, soonest first, overdue ones too (a stalled sweep shows
 * there), at most `limit`, and how many there are in all: one statement, for a caller's batch.
 */
export const activeGrantsEndingBefore = (
  db: D1Database,
  untilMs: number,
  limit: number,
): Query<{ items: GrantRow[]; total: number }> =>
  query<GrantRow & { total: number }, { items: GrantRow[]; total: number }>(
    db
      .prepare(
        `SELECT *, (SELECT COUNT(*) FROM visitor_grants WHERE status = 'active' AND ends_at <= ?1) AS total
           FROM visitor_grants WHERE status = 'active' AND ends_at <= ?1 ORDER BY ends_at LIMIT ?2`,
      )
      .bind(untilMs, limit),
    (rows) => ({ total: rows[0]?.total ?? 0, items: rows.map(({ total: _total, ...grant }) => grant) }),
  );

export interface GrantFilter {
  status?: GrantStatus;
  parkingId?: string;
  vehicleCode?: string;
  source?: GrantSource;
}

export interface Cursor {
  createdAt: number;
  id: string;
}

/** Newest first, keyset-paginated by (created_at, id). */
export async function listGrants(
  db: D1Database,
  filter: GrantFilter,
  cursor: Cursor | undefined,
  limit: number,
): Promise<GrantRow[]> {
  const conditions: string[] = [];
  const values: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    values.push(value);
    conditions.push(sql.replace("?", `?${values.length}`));
  };
  if (filter.status) add("status = ?", filter.status);
  if (filter.parkingId) add("parking_id = ?", filter.parkingId);
  if (filter.vehicleCode) add("vehicle_code = ?", filter.vehicleCode);
  if (filter.source) add("source = ?", filter.source);
  if (cursor) {
    // A row value: one range of the (…, created_at, id) index (lib/cursor.ts, olderThan).
    values.push(cursor.createdAt, cursor.id);
    conditions.push(`(created_at, id) < (?${values.length - 1}, ?${values.length})`);
  }
  values.push(limit);
  const where = conditions.length ? `WHERE ${conditions.join(" AND ")}` : "";
  const { results } = await db
    .prepare(`SELECT * FROM visitor_grants ${where} ORDER BY created_at DESC, id DESC LIMIT ?${values.length}`)
    .bind(...values)
    .all<GrantRow>();
  return results;
}
