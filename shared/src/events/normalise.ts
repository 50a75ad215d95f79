/**
 * From a verified callback or report to the shared vocabulary, and from an event to the live
 * state it advances. Pure: no storage, no clock (the received instant is passed in).
 */
import type { CallbackEvent } from "../callbacks/catalogue.js";
import type { EboparkReport } from "../ebopark/reports.js";
import { formatPlatformTime, parsePlatformTime } from "../util/time.js";
import type { LaneUpdate, LotUpdate, ParkingEvent, SpaceCounts, StayAmounts } from "./vocabulary.js";

/** When it happened: the platform's local time if it sent one, else the received instant. */
function when(local: string | null | undefined, receivedAt: Date): { occurredAtLocal: string; occurredAt: string } {
  if (local) {
    return { occurredAtLocal: local, occurredAt: parsePlatformTime(local).toISOString() };
  }
  return { occurredAtLocal: formatPlatformTime(receivedAt, "second"), occurredAt: receivedAt.toISOString() };
}

const orNull = <T>(value: T | null | undefined): T | null => (value === undefined || value === "" ? null : value);

const count = (value: unknown): number | null => (typeof value === "number" ? value : null);

/** The counts, or null when none of them is known. */
function spacesOf(counts: SpaceCounts): SpaceCounts | null {
  return Object.values(counts).every((value) => value === null) ? null : counts;
}

/** The open platform's callback in the shared vocabulary. */
export function normaliseCallback(callback: CallbackEvent, receivedAt: Date): ParkingEvent {
  const common = { platform: "open" as const, callbackType: callback.callbackType, spaces: null, data: callback.data };
  switch (callback.event) {
    case "vehicleAccess": {
      const d = callback.data;
      return {
        ...common,
        event: "vehicleAccess",
        spaces: spacesOf({
          totalSpaces: null,
          freeSpaces: count(d.totalLot),
          freeTemporarySpaces: count(d.tempLot),
          vehiclesInside: count(d.inParkNum),
        }),
        parkingId: d.parkingId,
        vehicleCode: d.vehicleCode,
        laneNo: d.laneNo,
        laneName: orNull(d.laneName),
        ...when(d.time, receivedAt),
        direction: d.direction,
      };
    }
    case "cameraStatus": {
      const d = callback.data;
      return {
        ...common,
        event: "cameraStatus",
        parkingId: d.parkingId,
        vehicleCode: null,
        laneNo: d.laneNo,
        laneName: orNull(d.laneName),
        ...when(d.time, receivedAt),
        online: d.online,
        deviceId: null,
        deviceName: null,
      };
    }
    case "visitorRegistered": {
      const d = callback.data;
      // A booking carries no time of its own: it happened when it arrived.
      return {
        ...common,
        event: "visitorRegistered",
        parkingId: d.parkingId,
        vehicleCode: d.vehicleCode,
        laneNo: null,
        laneName: null,
        ...when(undefined, receivedAt),
      };
    }
  }
}

/** A lane: the channel's id when sent, else its name. */
function lane(id: string | null | undefined, name: string | null | undefined) {
  const laneName = orNull(name);
  return { laneNo: orNull(id) ?? laneName, laneName };
}

function amounts(d: {
  chargeAmount?: number | null;
  deductAmount?: number | null;
  couponAmount?: number | null;
  incomeAmount?: number | null;
}): StayAmounts {
  return {
    charge: d.chargeAmount ?? null,
    deduct: d.deductAmount ?? null,
    coupon: d.couponAmount ?? null,
    income: d.incomeAmount ?? null,
  };
}

/**
 * Ebopark's report in the shared vocabulary:
 * - vehicleEntry / vehicleExit → `vehicleAccess` in / out, lane = the entry / exit channel;
 * - parkingOrder / seamlessExit → `parkingOrder` (a seamless exit reports the third-party payment of
 *   an exit that vehicleExit reports too: counting it as an access would count the exit twice);
 * - abnormalPass → `barrierOverride`, lane = the exit channel (else the entry channel);
 * - deviceStatus → `cameraStatus` when it names a channel, else `deviceStatus`;
 * - lotInfo → `lotStatus`.
 */
export function normaliseEboparkReport(report: EboparkReport, receivedAt: Date): ParkingEvent {
  const common = { platform: "ebopark" as const, callbackType: report.report, spaces: null, data: report.data };
  switch (report.report) {
    case "vehicleEntry":
    case "vehicleExit": {
      const d = report.data;
      const passed =
        report.report === "vehicleEntry"
          ? { ...lane(report.data.entryChannelId, report.data.entryChannelName), at: report.data.entryTime }
          : { ...lane(report.data.exitChannelId, report.data.exitChannelName), at: report.data.exitTime };
      return {
        ...common,
        event: "vehicleAccess",
        parkingId: d.parkCode,
        vehicleCode: d.plateNumber,
        laneNo: passed.laneNo,
        laneName: passed.laneName,
        ...when(passed.at, receivedAt),
        direction: report.report === "vehicleEntry" ? "in" : "out",
      };
    }
    case "parkingOrder":
    case "seamlessExit": {
      const d = report.data;
      const exitLane =
        report.report === "seamlessExit"
          ? lane(report.data.exitChannelId, report.data.exitChannelName)
          : lane(null, null);
      return {
        ...common,
        event: "parkingOrder",
        parkingId: d.parkCode,
        vehicleCode: d.plateNumber,
        ...exitLane,
        ...when(d.payTime ?? d.exitTime, receivedAt),
        orderNo: orNull(d.orderNo),
        seamless: report.report === "seamlessExit",
        parkMins: d.parkMins ?? null,
        amounts: amounts(d),
      };
    }
    case "abnormalPass": {
      const d = report.data;
      const exit = orNull(d.exitChannelName);
      return {
        ...common,
        event: "barrierOverride",
        parkingId: d.parkCode,
        vehicleCode: orNull(d.plateNumber),
        ...lane(null, exit ?? d.entryChannelName),
        ...when(d.exitTime ?? d.entryTime, receivedAt),
        reason: orNull(d.reason),
        operatorName: orNull(d.operatorName),
        amounts: amounts(d),
      };
    }
    case "deviceStatus": {
      const d = report.data;
      const served = lane(d.channelId, d.channelName);
      const device = { deviceId: orNull(d.deviceId), deviceName: orNull(d.deviceName) };
      const base = {
        ...common,
        parkingId: d.parkCode,
        vehicleCode: null,
        ...when(d.time, receivedAt),
        online: d.status === 1,
      };
      if (served.laneNo !== null) return { ...base, ...served, event: "cameraStatus", ...device };
      return {
        ...base,
        laneNo: null,
        laneName: null,
        event: "deviceStatus",
        ...device,
        deviceType: orNull(d.deviceType),
      };
    }
    case "lotInfo": {
      const d = report.data;
      return {
        ...common,
        event: "lotStatus",
        parkingId: d.parkCode,
        vehicleCode: null,
        laneNo: null,
        laneName: null,
        ...when(d.time, receivedAt),
        lotName: orNull(d.parkName),
        spaces: spacesOf({
          totalSpaces: d.totalSpace ?? null,
          freeSpaces: d.freeSpace ?? null,
          freeTemporarySpaces: null,
          vehiclesInside: null,
        }),
      };
    }
  }
}

/** The space counts an event reports, or undefined when it reports none. */
export function lotUpdateOf(event: ParkingEvent): LotUpdate | undefined {
  if (!event.spaces) return undefined;
  return { platform: event.platform, parkingId: event.parkingId, occurredAt: event.occurredAt, ...event.spaces };
}

/** The online state of a lane an event reports, or undefined. */
export function laneUpdateOf(event: ParkingEvent): LaneUpdate | undefined {
  if (event.event !== "cameraStatus" || event.laneNo === null) return undefined;
  return {
    platform: event.platform,
    parkingId: event.parkingId,
    laneNo: event.laneNo,
    laneName: event.laneName,
    online: event.online,
    occurredAt: event.occurredAt,
  };
}
