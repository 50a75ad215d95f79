/**
 * What a verified callback of the open platform means, as plain values: the common event row
 * every kind shares (what the read API lists and subscribers receive), its typed row and the
 * facts the live state needs. Pure: no storage, no clock (the received instant is passed in).
 */
import { type CallbackEvent, formatPlatformTime, parsePlatformTime } from "@parkbridge/shared";

export interface EventRow {
  event: CallbackEvent["event"];
  callbackType: CallbackEvent["callbackType"];
  parkingId: string;
  vehicleCode: string | null;
  laneNo: string | null;
  /** The platform's wall-clock time (UTC+8) as sent; the received time for visitor registrations, which carry none. */
  occurredAtLocal: string;
  /** The same instant, ISO 8601 UTC (the received time when the event's own time is suspect: withSaneTime). */
  occurredAt: string;
  /** The normalised callback data (direction/online added, times re-padded). */
  data: CallbackEvent["data"];
}

/** What a callback means for the Worker's tables: its event row, its typed row, the live state it reports. */
export interface NormalisedCallback {
  event: EventRow;
  /** The typed table's own columns (vehicle_accesses, camera_statuses or visitor_registrations). */
  typed: Record<string, string | number | null>;
  /** The lot counts a vehicle access reports, if any. */
  lot?: { total_lot: number | null; temp_lot: number | null; in_park_num: number | null };
  /** The lane status a camera reports. */
  lane?: { lane_no: string; lane_name: string | null; online: 0 | 1 };
}

export function toEventRow(event: CallbackEvent, receivedAt: Date): EventRow {
  const base = { event: event.event, callbackType: event.callbackType, data: event.data };
  switch (event.event) {
    case "vehicleAccess":
      return {
        ...base,
        parkingId: event.data.parkingId,
        vehicleCode: event.data.vehicleCode,
        laneNo: event.data.laneNo,
        occurredAtLocal: event.data.time,
        occurredAt: parsePlatformTime(event.data.time).toISOString(),
      };
    case "cameraStatus":
      return {
        ...base,
        parkingId: event.data.parkingId,
        vehicleCode: null,
        laneNo: event.data.laneNo,
        occurredAtLocal: event.data.time,
        occurredAt: parsePlatformTime(event.data.time).toISOString(),
      };
    case "visitorRegistered":
      return {
        ...base,
        parkingId: event.data.parkingId,
        vehicleCode: event.data.vehicleCode,
        laneNo: null,
        occurredAtLocal: formatPlatformTime(receivedAt, "second"),
        occurredAt: receivedAt.toISOString(),
      };
  }
}

export function normaliseCallback(event: CallbackEvent, receivedAt: Date): NormalisedCallback {
  const row = toEventRow(event, receivedAt);
  switch (event.event) {
    case "vehicleAccess": {
      const d = event.data;
      const reportsCounts = d.totalLot !== undefined || d.tempLot !== undefined || d.inParkNum !== undefined;
      return {
        event: row,
        typed: {
          vehicle_code: d.vehicleCode,
          vehicle_type: d.vehicleType ?? null,
          direction: d.direction,
          lane_name: d.laneName ?? null,
          temp_lot: d.tempLot ?? null,
          in_park_num: d.inParkNum ?? null,
          total_lot: d.totalLot ?? null,
        },
        ...(reportsCounts
          ? { lot: { total_lot: d.totalLot ?? null, temp_lot: d.tempLot ?? null, in_park_num: d.inParkNum ?? null } }
          : {}),
      };
    }
    case "cameraStatus": {
      const d = event.data;
      return {
        event: row,
        typed: { lane_name: d.laneName ?? null, online: d.online ? 1 : 0 },
        lane: { lane_no: d.laneNo, lane_name: d.laneName ?? null, online: d.online ? 1 : 0 },
      };
    }
    case "visitorRegistered": {
      const d = event.data;
      return {
        event: row,
        typed: {
          vehicle_code: d.vehicleCode,
          user_name: d.userName ?? null,
          user_phone: d.userPhoneNumber ?? null,
          start_date: d.startTime,
          end_date: d.endTime,
          memo: d.memo ?? null,
        },
      };
    }
  }
}

/**
 * Time sanity, whatever the platform: an event's own time may lag its receipt (late deliveries
 * are normal) but not lead it by more than `maxSkewMs`. Beyond that the claim is kept as sent
 * (occurredAtLocal, data) and the event is ordered by its receipt: so a camera whose clock is a
 * year ahead neither loses its events nor becomes a lot's or lane's "latest" for good.
 */
export function withSaneTime(row: EventRow, receivedAt: Date, maxSkewMs: number): EventRow & { timeSuspect: boolean } {
  const suspect = Date.parse(row.occurredAt) - receivedAt.getTime() > maxSkewMs;
  return suspect ? { ...row, occurredAt: receivedAt.toISOString(), timeSuspect: true } : { ...row, timeSuspect: false };
}
