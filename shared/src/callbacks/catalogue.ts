/**
 * The three callbacks the platform POSTs to us: `{callbackType, data}` with headers
 * appKey / timestamp / sign. Parsed leniently where the platform varies (a number for a
 * string, unpadded times, fields it adds) but never loosely: every value is bounded and
 * acceptable text (platform/fields.ts, "safe values"), and a refusal names the field.
 */
import { z } from "zod";
import {
  countSchema,
  type Direction,
  field,
  lenientText,
  openObject,
  receivedPlateSchema,
  requiredText,
  safeText,
  TEXT_LIMITS,
} from "../platform/fields.js";
import { normalisePlatformTime, parseLocalParts } from "../util/time.js";

const text = (max: number) => lenientText(max).optional();
const count = () => countSchema().optional();
// What the camera read, kept as sent (trimmed): a marker such as 无牌车 or a partial reading is a
// vehicle that passed all the same (fields.ts, receivedPlateSchema).
const plate = () => receivedPlateSchema;
const code = (options: [string, string], meaning: string) =>
  z
    .union([z.string(), z.number().transform(String)], { error: "must be a string" })
    .pipe(z.enum(options, { error: `must be ${meaning}` }));
const localTime = () =>
  safeText(32)
    .refine((v) => parseLocalParts(v) !== undefined, { error: "must be a time formatted yyyy-MM-dd HH:mm:ss" })
    .transform(normalisePlatformTime);
const localDate = () =>
  safeText(32)
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
    data: openObject({
      vehicleCode: plate(),
      vehicleType: text(TEXT_LIMITS.code),
      accessType: field(code(["0", "1"], "0 (in) or 1 (out)"), {
        title: "Direction",
        description: "0 in, 1 out.",
        zh: "进出方向",
      }),
      time: localTime(),
      laneNo: requiredText(TEXT_LIMITS.laneNo),
      laneName: text(TEXT_LIMITS.name),
      photo: text(TEXT_LIMITS.url),
      parkingId: requiredText(TEXT_LIMITS.id),
      userName: text(TEXT_LIMITS.name),
      tempLot: count(),
      inParkNum: count(),
      totalLot: count(),
      phoneNum: text(TEXT_LIMITS.phone),
    }).transform((d) => ({ ...d, direction: accessTypeToDirection(d.accessType) })),
  },
  PARKING_CAMERA_ONLINE: {
    callbackType: "PARKING_CAMERA_ONLINE",
    event: "cameraStatus",
    title: "Lane Camera Online or Offline",
    zh: "相机在线状态",
    description: "A lane camera went offline or came back.",
    data: openObject({
      parkingId: requiredText(TEXT_LIMITS.id),
      laneNo: requiredText(TEXT_LIMITS.laneNo),
      laneName: text(TEXT_LIMITS.name),
      time: localTime(),
      status: code(["0", "1"], "0 (offline) or 1 (online)"),
    }).transform((d) => ({ ...d, online: d.status === "1" })),
  },
  PARKING_VISITOR: {
    callbackType: "PARKING_VISITOR",
    event: "visitorRegistered",
    title: "Visitor Registered",
    zh: "访客登记",
    description: "A visitor booking was made on the platform.",
    data: openObject({
      parkingId: requiredText(TEXT_LIMITS.id),
      vehicleCode: plate(),
      userName: text(TEXT_LIMITS.name),
      userPhoneNumber: text(TEXT_LIMITS.phone),
      startTime: localDate(),
      endTime: localDate(),
      memo: lenientText(TEXT_LIMITS.memo, { lineBreaks: true }).optional(),
    }).transform((booking, ctx) => {
      // The days a booking covers (its times, if any, do not count): the last day is inclusive.
      if (booking.endTime.slice(0, 10) < booking.startTime.slice(0, 10)) {
        ctx.addIssue({ code: "custom", path: ["endTime"], message: "must not be before startTime", input: booking });
      }
      return booking;
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
