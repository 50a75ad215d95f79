/**
 * What a verified callback means, as plain values: the common event row every kind shares
 * (what the read API lists and subscribers receive) and the facts the live state needs.
 * Pure: no storage, no clock (the received instant is passed in).
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
  /** The same instant, ISO 8601 UTC. */
  occurredAt: string;
  /** The normalised callback data (direction/online added, times re-padded). */
  data: CallbackEvent["data"];
}

export interface LotUpdate {
  parkingId: string;
  totalLot: number | null;
  tempLot: number | null;
  inParkNum: number | null;
  occurredAt: string;
}

export interface LaneUpdate {
  parkingId: string;
  laneNo: string;
  laneName: string | null;
  online: boolean;
  occurredAt: string;
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

/** The lot counts a vehicle access reports, or undefined when it reports none. */
export function lotUpdateOf(event: CallbackEvent): LotUpdate | undefined {
  if (event.event !== "vehicleAccess") return undefined;
  const { totalLot, tempLot, inParkNum, parkingId, time } = event.data;
  if (totalLot === undefined && tempLot === undefined && inParkNum === undefined) return undefined;
  return {
    parkingId,
    totalLot: totalLot ?? null,
    tempLot: tempLot ?? null,
    inParkNum: inParkNum ?? null,
    occurredAt: parsePlatformTime(time).toISOString(),
  };
}

export function laneUpdateOf(event: CallbackEvent): LaneUpdate | undefined {
  if (event.event !== "cameraStatus") return undefined;
  const { parkingId, laneNo, laneName, online, time } = event.data;
  return { parkingId, laneNo, laneName: laneName ?? null, online, occurredAt: parsePlatformTime(time).toISOString() };
}
