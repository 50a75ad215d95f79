/**
 * What a verified callback or report means for the Worker's tables, whatever platform sent it:
 * its event in the one vocabulary (shared/src/events/, normaliseCallback / normaliseEboparkReport)
 * split into the event row's columns and its `details` (the vocabulary's own fields of its kind),
 * from which its typed row and the live state follow in D1 (the triggers of migrations/0006).
 * Pure: no storage, no clock.
 */
import {
  laneUpdateOf,
  lotUpdateOf,
  type ParkingEvent,
  type ParkingEventKind,
  type Platform,
  type PlatformCallbackType,
} from "@parkbridge/shared";

/**
 * The vocabulary's fields of an event beyond its row's columns: `laneName` and `spaces` for every
 * kind, and each kind's own (direction; online, deviceId…; reason, operatorName, amounts…).
 */
export type EventDetails = Record<string, unknown>;

export interface EventRow {
  platform: Platform;
  event: ParkingEventKind;
  /** The platform's own name for what it sent: the open platform's callbackType, Ebopark's report id. */
  callbackType: PlatformCallbackType;
  parkingId: string;
  vehicleCode: string | null;
  laneNo: string | null;
  /** The platform's wall-clock time (UTC+8) as sent; the received time for events that carry none. */
  occurredAtLocal: string;
  /** The same instant, ISO 8601 UTC (the received time when the event's own time is suspect: withSaneTime). */
  occurredAt: string;
  /** The callback's data or the report's body, normalised (times re-padded…), unknown fields kept. */
  data: Record<string, unknown>;
  details: EventDetails;
}

/**
 * What an event means for the Worker's tables: its row, and which live-state keys it may move
 * (refreshed in KV after the answer).
 */
export interface NormalisedCallback {
  event: EventRow;
  live: { lot: boolean; lane: boolean };
}

export function toEventRow(event: ParkingEvent): EventRow {
  const {
    platform,
    event: kind,
    callbackType,
    parkingId,
    vehicleCode,
    laneNo,
    occurredAtLocal,
    occurredAt,
    data,
    ...details
  } = event;
  return {
    platform,
    event: kind,
    callbackType,
    parkingId,
    vehicleCode,
    laneNo,
    occurredAtLocal,
    occurredAt,
    data,
    details,
  };
}

export function normalised(event: ParkingEvent): NormalisedCallback {
  return {
    event: toEventRow(event),
    live: { lot: lotUpdateOf(event) !== undefined, lane: laneUpdateOf(event) !== undefined },
  };
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
