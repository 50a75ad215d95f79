/**
 * The PARKING_VISITOR rule: a visitor booking made on the platform becomes a grant in the
 * ledger, ending at the end of its last day (23:59:59 UTC+8), so platform-side bookings expire
 * through the same sweep. Returned as statements for the ingestion's batch, so the grant is
 * recorded atomically with the event (and not at all if the event is not).
 */
import { endOfPlatformDay, parsePlatformTime, type VisitorRegisteredEvent } from "@parkbridge/shared";
import { buildGrant } from "./grant.js";
import { auditIfChanged, insertGrant } from "./repository.js";

export interface VisitorCallbackInput {
  /** The ingested event's id: one grant per event, however often the callback is delivered. */
  eventId: string;
  /** The callback's normalised data (the catalogue's PARKING_VISITOR schema). */
  data: VisitorRegisteredEvent["data"];
  /** When the callback was received, epoch ms. */
  receivedAt: number;
  /** The account that sent the callback: the lot is that account's, so the sweep ends the grant with it. */
  appKey: string;
}

/**
 * Why a booking cannot become a grant, or undefined: its end (the end of its last day, UTC+8)
 * lies further ahead of its receipt than `horizonMs` (VISITOR_BOOKING_HORIZON_DAYS). An end
 * before the start is the catalogue's to refuse. Either way the callback is refused with the
 * field named, never stored with its grant silently dropped.
 */
export function bookingProblem(
  data: Pick<VisitorRegisteredEvent["data"], "endTime">,
  receivedAt: number,
  horizonMs: number,
): { field: "endTime"; reason: string } | undefined {
  const endsAt = endOfPlatformDay(data.endTime.slice(0, 10)).getTime();
  if (endsAt - receivedAt <= horizonMs) return undefined;
  const days = Math.round(horizonMs / 86_400_000);
  return { field: "endTime", reason: `must be at most ${days} days ahead (VISITOR_BOOKING_HORIZON_DAYS)` };
}

/** The grant id a visitor callback event records (deterministic, so it can be looked up from the event). */
export const grantIdForEvent = (eventId: string) => `vg_cb_${eventId}`;

export function recordGrantFromVisitorCallback(db: D1Database, input: VisitorCallbackInput): D1PreparedStatement[] {
  const { data, receivedAt } = input;
  const grant = buildGrant({
    id: grantIdForEvent(input.eventId),
    parkingId: data.parkingId,
    vehicleCode: data.vehicleCode,
    visitorName: data.userName ?? "",
    visitorPhone: data.userPhoneNumber ?? "",
    reason: data.memo ?? null,
    laneNos: null,
    // The booking's days: from the start of its first to the end of its last (the platform's days, UTC+8).
    startsAt: parsePlatformTime(data.startTime.slice(0, 10)).getTime(),
    endsAt: endOfPlatformDay(data.endTime.slice(0, 10)).getTime(),
    source: "callback",
    sourceRef: input.eventId,
    appKey: input.appKey,
    status: "active",
    createdAt: receivedAt,
  });
  return [
    // Ignored (not an error that would fail the batch) when the event was recorded already or
    // the plate already has an open grant at the lot.
    insertGrant(db, grant, true),
    auditIfChanged(
      db,
      grant.id,
      receivedAt,
      { actor: "callback", action: "recorded", detail: { eventId: input.eventId, booking: data } },
      null,
      "active",
    ),
    // When ignored because of an open grant, say so on that grant's trail.
    db
      .prepare(
        `INSERT INTO grant_audit (grant_id, at, actor, action, from_status, to_status, detail)
         SELECT g.id, ?1, 'callback', 'booking_ignored', g.status, g.status, ?2
         FROM visitor_grants g
         WHERE g.parking_id = ?3 AND g.vehicle_code = ?4 AND g.status IN ('pending', 'active') AND g.id <> ?5
           AND NOT EXISTS (SELECT 1 FROM visitor_grants WHERE source_ref = ?6)`,
      )
      .bind(
        receivedAt,
        JSON.stringify({ eventId: input.eventId, booking: data, reason: "the plate already has an open grant" }),
        data.parkingId,
        data.vehicleCode,
        grant.id,
        input.eventId,
      ),
  ];
}
