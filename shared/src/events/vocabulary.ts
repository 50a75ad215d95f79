/**
 * The one event vocabulary of both platforms. A verified callback of the open platform and a
 * verified report of Ebopark both become a `ParkingEvent`: the same kinds, the same common fields
 * (lot, plate, lane, when), the platform it came from, and its data as received (normalised
 * values, unknown fields kept). Subscriptions, the read API, the trigger and the live state work
 * on this shape only, so an Ebopark lot needs no code path of its own.
 */
import type { CallbackType } from "../callbacks/catalogue.js";
import type { EboparkReportId } from "../ebopark/reports.js";
import type { Direction } from "../platform/fields.js";

export type Platform = "open" | "ebopark";
export const platforms: readonly Platform[] = ["open", "ebopark"];

export const parkingEventKinds = [
  "vehicleAccess",
  "cameraStatus",
  "deviceStatus",
  "visitorRegistered",
  "barrierOverride",
  "parkingOrder",
  "lotStatus",
] as const;
export type ParkingEventKind = (typeof parkingEventKinds)[number];

/** Each kind's name, as the n8n editor and docs show it. */
export const parkingEventTitles: Record<ParkingEventKind, string> = {
  vehicleAccess: "Vehicle Entered or Left",
  cameraStatus: "Lane Camera Online or Offline",
  deviceStatus: "Lot Device Online or Offline",
  visitorRegistered: "Visitor Registered",
  barrierOverride: "Barrier Lifted by Hand",
  parkingOrder: "Parking Paid",
  lotStatus: "Lot Status Reported",
};

/** What each kind means, in one sentence (docs, n8n option descriptions). */
export const parkingEventDescriptions: Record<ParkingEventKind, string> = {
  vehicleAccess: "A vehicle entered or left through a lane (direction in or out).",
  cameraStatus: "A lane's camera or device went offline or came back.",
  deviceStatus: "A device of the lot that serves no particular lane went offline or came back.",
  visitorRegistered: "A visitor booking was made.",
  barrierOverride: "A barrier was lifted by hand or outside the normal flow (an abnormal lift).",
  parkingOrder: "A stay was paid for: an order, or a third-party seamless payment at exit.",
  lotStatus: "The lot reported its base information: name and space counts.",
};

/**
 * The platform's own name for what it sent: a callbackType of the open platform, or a report id
 * of Ebopark. (An event's `source`, where a store records one, is its provenance instead: pushed
 * by the platform, or recovered from its records.)
 */
export type PlatformCallbackType = CallbackType | EboparkReportId;

/**
 * A lot's space counts as an event reports them (null where it does not say). The open platform's
 * access callback: `totalLot` → freeSpaces, `tempLot` → freeTemporarySpaces, `inParkNum` →
 * vehiclesInside. Ebopark's lotInfo: totalSpace → totalSpaces, freeSpace → freeSpaces.
 */
export interface SpaceCounts {
  totalSpaces: number | null;
  freeSpaces: number | null;
  freeTemporarySpaces: number | null;
  vehiclesInside: number | null;
}

interface EventCommon {
  platform: Platform;
  /** The callbackType (open platform) or report id (Ebopark) it came as. */
  callbackType: PlatformCallbackType;
  /** The lot: the open platform's parkingId, Ebopark's parkCode. */
  parkingId: string;
  /** The plate, when the event concerns a vehicle. */
  vehicleCode: string | null;
  /** The lane: the open platform's laneNo, Ebopark's channel id (or its name when no id is given). */
  laneNo: string | null;
  laneName: string | null;
  /** The platform's wall-clock time (UTC+8) as sent; the received time when the event carries none. */
  occurredAtLocal: string;
  /** The same instant, ISO 8601 UTC. */
  occurredAt: string;
  /** The lot's space counts, when the event reports any (else null). */
  spaces: SpaceCounts | null;
  /** The callback's `data` or the report's body, normalised (times re-padded…), unknown fields kept. */
  data: Record<string, unknown>;
}

/** Money of a stay, yuan (null when not reported). */
export interface StayAmounts {
  charge: number | null;
  deduct: number | null;
  coupon: number | null;
  income: number | null;
}

type VehicleAccessEvent = EventCommon & { event: "vehicleAccess"; direction: Direction };
type CameraStatusEvent = EventCommon & {
  event: "cameraStatus";
  online: boolean;
  deviceId: string | null;
  deviceName: string | null;
};
type DeviceStatusEvent = EventCommon & {
  event: "deviceStatus";
  online: boolean;
  deviceId: string | null;
  deviceName: string | null;
  deviceType: string | null;
};
type VisitorRegisteredEvent = EventCommon & { event: "visitorRegistered" };
type BarrierOverrideEvent = EventCommon & {
  event: "barrierOverride";
  reason: string | null;
  operatorName: string | null;
  amounts: StayAmounts;
};
type ParkingOrderEvent = EventCommon & {
  event: "parkingOrder";
  orderNo: string | null;
  /** A third-party seamless payment at exit (Ebopark's seamlessExit) rather than a lot order. */
  seamless: boolean;
  parkMins: number | null;
  amounts: StayAmounts;
};
/** Its counts are in `spaces`. */
type LotStatusEvent = EventCommon & { event: "lotStatus"; lotName: string | null };

export type ParkingEvent =
  | VehicleAccessEvent
  | CameraStatusEvent
  | DeviceStatusEvent
  | VisitorRegisteredEvent
  | BarrierOverrideEvent
  | ParkingOrderEvent
  | LotStatusEvent;

/** The event of one kind, e.g. `ParkingEventOf<"barrierOverride">`. */
export type ParkingEventOf<K extends ParkingEventKind> = Extract<ParkingEvent, { event: K }>;

/** Space counts an event reports, for the live state. */
export interface LotUpdate extends SpaceCounts {
  platform: Platform;
  parkingId: string;
  occurredAt: string;
}

/** A lane's (or a lot device's) online state, for the live state. */
export interface LaneUpdate {
  platform: Platform;
  parkingId: string;
  laneNo: string;
  laneName: string | null;
  online: boolean;
  occurredAt: string;
}
