/**
 * A visitor grant as the ledger stores it (a D1 row) and as the API shows it, and the one
 * builder of a new grant's row. Instants are UTC epoch ms in storage and ISO 8601 (UTC) on the
 * wire; the `*Local` strings are the same instants in the platform's wall-clock time (UTC+8).
 */
import { formatPlatformTime, type GrantSource, type GrantStatus } from "@parkbridge/shared";
import { maskValue, type PersonalDataView } from "../privacy/mask.js";

// Statuses and sources are part of the API's requests too: defined with them, in shared/src/edge/.
export { type GrantSource, type GrantStatus, grantSources, grantStatuses } from "@parkbridge/shared";

/** A row of `visitor_grants`, column for column. */
export interface GrantRow {
  id: string;
  parking_id: string;
  vehicle_code: string;
  visitor_name: string;
  visitor_phone: string;
  reason: string | null;
  lane_nos: string | null;
  starts_at: number;
  ends_at: number;
  starts_at_local: string;
  ends_at_local: string;
  platform_start_date: string;
  platform_end_date: string;
  source: GrantSource;
  source_ref: string | null;
  /** The platform account the grant is made with; null: the primary one (grants from before 0004). */
  app_key: string | null;
  status: GrantStatus;
  closed_reason: string | null;
  attempts: number;
  last_error: string | null;
  next_attempt_at: number | null;
  lease_owner: string | null;
  lease_until: number | null;
  created_at: number;
  updated_at: number;
}

/** What makes a new grant, in the API's names; every other column follows from it. */
export type GrantFields = Pick<
  Grant,
  | "id"
  | "parkingId"
  | "vehicleCode"
  | "visitorName"
  | "visitorPhone"
  | "reason"
  | "laneNos"
  | "source"
  | "appKey"
  | "status"
> & {
  startsAt: number;
  endsAt: number;
  /** The callback event the grant came from (null for the API's). */
  sourceRef: string | null;
  createdAt: number;
};

/** The platform's date of an authorisation ending at `endsAt`: the day of its last second (an end at 00:00 is the day before). */
export const platformEndDate = (endsAt: number) => formatPlatformTime(endsAt - 1000, "date");

/** The columns of an end: the instant, its local time and the platform's last day (creation and changes alike). */
export const endColumns = (endsAt: number) => ({
  ends_at: endsAt,
  ends_at_local: formatPlatformTime(endsAt, "second"),
  platform_end_date: platformEndDate(endsAt),
});

/** A new grant's row: local times and the platform's days derived from the instants, no attempts, no lease. */
export function buildGrant(fields: GrantFields): GrantRow {
  return {
    id: fields.id,
    parking_id: fields.parkingId,
    vehicle_code: fields.vehicleCode,
    visitor_name: fields.visitorName,
    visitor_phone: fields.visitorPhone,
    reason: fields.reason,
    lane_nos: fields.laneNos,
    starts_at: fields.startsAt,
    starts_at_local: formatPlatformTime(fields.startsAt, "second"),
    platform_start_date: formatPlatformTime(fields.startsAt, "date"),
    ...endColumns(fields.endsAt),
    source: fields.source,
    source_ref: fields.sourceRef,
    app_key: fields.appKey,
    status: fields.status,
    closed_reason: null,
    attempts: 0,
    last_error: null,
    next_attempt_at: null,
    lease_owner: null,
    lease_until: null,
    created_at: fields.createdAt,
    updated_at: fields.createdAt,
  };
}

/** The API's view of a grant (docs: docs/edge-api.md, "Visitor grants"). */
export interface Grant {
  id: string;
  parkingId: string;
  vehicleCode: string;
  visitorName: string;
  visitorPhone: string;
  reason: string | null;
  laneNos: string | null;
  startsAt: string;
  endsAt: string;
  startsAtLocal: string;
  endsAtLocal: string;
  /** The days the platform's authorisation covers (it is day-granular). */
  platformStartDate: string;
  platformEndDate: string;
  source: GrantSource;
  /** The platform account (appKey) the grant is made with; null: the Worker's primary account. */
  appKey: string | null;
  status: GrantStatus;
  closedReason: string | null;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  updatedAt: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The API's view; personal values as `view` shows them (privacy/mask.ts: names as stored, phones masked, by default). */
export function toGrant(row: GrantRow, view: PersonalDataView = "operator"): Grant {
  return {
    id: row.id,
    parkingId: row.parking_id,
    vehicleCode: row.vehicle_code,
    visitorName: maskValue("name", row.visitor_name, view) as string,
    visitorPhone: maskValue("phone", row.visitor_phone, view) as string,
    reason: row.reason,
    laneNos: row.lane_nos,
    startsAt: iso(row.starts_at),
    endsAt: iso(row.ends_at),
    startsAtLocal: row.starts_at_local,
    endsAtLocal: row.ends_at_local,
    platformStartDate: row.platform_start_date,
    platformEndDate: row.platform_end_date,
    source: row.source,
    appKey: row.app_key,
    status: row.status,
    closedReason: row.closed_reason,
    attempts: row.attempts,
    lastError: row.last_error,
    nextAttemptAt: row.next_attempt_at === null ? null : iso(row.next_attempt_at),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

/** The marker a grant leaves in the platform authorisation's remark, so the sweep can tell it is ours. */
export const remarkMarker = (grantId: string) => `[pb:${grantId}]`;
const MARKER = /\[pb:([^\]]+)\]/;
export const grantIdInRemark = (remark: string | undefined) => (remark ? MARKER.exec(remark)?.[1] : undefined);

/** The remark sent to the platform: the reason (for the lot's staff) and the marker. At most 200 characters. */
export function platformRemark(grantId: string, reason: string | null): string {
  const marker = remarkMarker(grantId);
  if (!reason) return marker;
  return `${reason.slice(0, 200 - marker.length - 1)} ${marker}`;
}
