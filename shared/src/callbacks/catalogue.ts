/**
 * The three callbacks the platform POSTs to us: `{callbackType, data}` with headers
 * appKey / timestamp / sign. Parsed leniently (the platform's quirks) but never loosely:
 * a field of the wrong kind is refused with its name.
 */
import { z } from "zod";
import { type Direction, field } from "../platform/fields.js";
import { normalisePlatformTime, parseLocalParts } from "../util/time.js";

// Lenient scalars: the platform may send a number where the table says string, and vice versa.
const text = (what: string) =>
  z.union([z.string(), z.number().transform(String)], { error: `must be a string (${what})` });
const requiredText = (what: string) => text(what).pipe(z.string().trim().min(1, { error: "must not be empty" }));
const count = () =>
  z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)], { error: "must be a whole number" });
const localTime = () =>
  z
    .string({ error: "must be a string" })
    .refine((v) => parseLocalParts(v) !== undefined, { error: "must be a time formatted yyyy-MM-dd HH:mm:ss" })
    .transform(normalisePlatformTime);
const localDate = () =>
  z
    .string({ error: "must be a string" })
    .refine((v) => parseLocalParts(v) !== undefined, { error: "must be a date formatted yyyy-MM-dd" })
    .transform(normalisePlatformTime);

const accessTypeToDirection = (code: string): Direction => (code === "0" ? "in" : "out");

export const callbacks = {
  PARKING_VEHICLE_ACCESS: {
    callbackType: "PARKING_VEHICLE_ACCESS",
    event: "vehicleAccess",
    title: "Vehicle Entered or Left",
    zh: "车辆进出",
    description: "A camera read a plate at a lane and the vehicle went in or out.",
    data: z
      .looseObject({
        vehicleCode: requiredText("plate"),
        vehicleType: text("vehicle type").optional(),
        accessType: field(
          z
            .union([z.string(), z.number().transform(String)])
            .pipe(z.enum(["0", "1"], { error: "must be 0 (in) or 1 (out)" })),
          { title: "Direction", description: "0 in, 1 out.", zh: "进出方向" },
        ),
        time: localTime(),
        laneNo: requiredText("lane number"),
        laneName: text("lane name").optional(),
        photo: text("photo URL").optional(),
        parkingId: requiredText("parking lot id"),
        userName: text("owner name").optional(),
        tempLot: count().optional(),
        inParkNum: count().optional(),
        totalLot: count().optional(),
        phoneNum: text("phone").optional(),
      })
      .transform((d) => ({ ...d, direction: accessTypeToDirection(d.accessType) })),
  },
  PARKING_CAMERA_ONLINE: {
    callbackType: "PARKING_CAMERA_ONLINE",
    event: "cameraStatus",
    title: "Lane Camera Online or Offline",
    zh: "相机在线状态",
    description: "A lane camera went offline or came back.",
    data: z
      .looseObject({
        parkingId: requiredText("parking lot id"),
        laneNo: requiredText("lane number"),
        laneName: text("lane name").optional(),
        time: localTime(),
        status: z
          .union([z.string(), z.number().transform(String)])
          .pipe(z.enum(["0", "1"], { error: "must be 0 (offline) or 1 (online)" })),
      })
      .transform((d) => ({ ...d, online: d.status === "1" })),
  },
  PARKING_VISITOR: {
    callbackType: "PARKING_VISITOR",
    event: "visitorRegistered",
    title: "Visitor Registered",
    zh: "访客登记",
    description: "A visitor booking was made on the platform.",
    data: z.looseObject({
      parkingId: requiredText("parking lot id"),
      vehicleCode: requiredText("plate"),
      userName: text("contact name").optional(),
      userPhoneNumber: text("contact phone").optional(),
      startTime: localDate(),
      endTime: localDate(),
      memo: text("reason").optional(),
    }),
  },
} as const;

export type CallbackType = keyof typeof callbacks;
export type CallbackEventId = (typeof callbacks)[CallbackType]["event"];
export const callbackTypes = Object.keys(callbacks) as CallbackType[];
export const callbackEventIds = callbackTypes.map((t) => callbacks[t].event) as CallbackEventId[];

type EventOf<T extends CallbackType> = {
  event: (typeof callbacks)[T]["event"];
  callbackType: T;
  data: z.output<(typeof callbacks)[T]["data"]>;
};
/** A verified callback, discriminated by `event`. */
export type CallbackEvent = { [T in CallbackType]: EventOf<T> }[CallbackType];
export type VehicleAccessEvent = EventOf<"PARKING_VEHICLE_ACCESS">;
export type CameraStatusEvent = EventOf<"PARKING_CAMERA_ONLINE">;
export type VisitorRegisteredEvent = EventOf<"PARKING_VISITOR">;

export function callbackTypeOfEvent(event: CallbackEventId): CallbackType {
  return callbackTypes.find((t) => callbacks[t].event === event) as CallbackType;
}
