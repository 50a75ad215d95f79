/**
 * What a verified callback of the open platform means, as plain values: the common event row
 * every kind shares (what the read API lists and subscribers receive; its `data` is what its
 * typed row and live state are derived from in D1). Pure: no storage, no clock (the received
 * instant is passed in).
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

/**
 * What a callback means for the Worker's tables: its event row (its kind's typed row and live
 * state follow from it in D1, by the triggers of migrations/0005), and which live-state keys it
 * may move (refreshed in KV after the answer).
 */
export interface NormalisedCallback {
  event: EventRow;
  live: { lot: boolean; lane: boolean };
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
      const { totalLot, tempLot, inParkNum } = event.data;
      const reportsCounts = totalLot !== undefined || tempLot !== undefined || inParkNum !== undefined;
      return { event: row, live: { lot: reportsCounts, lane: false } };
    }
    case "cameraStatus":
      return { event: row, live: { lot: false, lane: true } };
    case "visitorRegistered":
      return { event: row, live: { lot: false, lane: false } };
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
