/** Shapes the read API answers with, shared by handlers and the OpenAPI document. */
import { z } from "@hono/zod-openapi";
import { callbackTypes, eboparkReportIds, eventIdSchema, eventSources, platformSchema } from "@parkbridge/shared";
import { named } from "../lib/openapi-app.js";

export const EventIdSchema = named(eventIdSchema, "EventId");
export const PlatformSchema = named(platformSchema, "Platform");

const amounts = z
  .object({
    charge: z.number().nullable(),
    deduct: z.number().nullable(),
    coupon: z.number().nullable(),
    income: z.number().nullable(),
  })
  .openapi("StayAmounts", { description: "Money of the stay, yuan (null where not reported)" });

const SpacesSchema = z
  .object({
    totalSpaces: z.number().int().nullable().openapi({ description: "Capacity (Ebopark's totalSpace)" }),
    freeSpaces: z.number().int().nullable().openapi({ description: "Free spaces (totalLot, Ebopark's freeSpace)" }),
    freeTemporarySpaces: z.number().int().nullable().openapi({ description: "Free temporary spaces (tempLot)" }),
    vehiclesInside: z.number().int().nullable().openapi({ description: "Vehicles inside (inParkNum)" }),
  })
  .openapi("SpaceCounts");

/**
 * An event as the API lists it and subscribers receive it: the one vocabulary of both platforms
 * (shared/src/events/vocabulary.ts, ParkingEvent) with where it is stored. The fields after
 * laneName are each kind's own: present on the kinds that have them.
 */
export const EventRecordSchema = z
  .object({
    id: z.string().openapi({ example: "evt_0mhx3k2a1f3c9e0d2b4a6c8e" }),
    platform: PlatformSchema,
    event: EventIdSchema,
    callbackType: z.enum([...callbackTypes, ...eboparkReportIds] as [string, ...string[]]).openapi({
      description: "What the platform sent: the open platform's callbackType, or Ebopark's report id",
    }),
    appKey: z
      .string()
      .openapi({ description: "The account that sent it: the open platform's appKey, Ebopark's partnerid" }),
    parkingId: z.string().openapi({ description: "The lot: the open platform's parkingId, Ebopark's parkCode" }),
    vehicleCode: z.string().nullable().openapi({ description: "The plate as the camera read it (无牌车 for none)" }),
    plateRecognised: z.boolean().nullable().openapi({
      description:
        "Whether vehicleCode is a whole plate of a known shape; false for a marker such as 无牌车 or a misreading (kept as received); null without a plate",
    }),
    laneNo: z.string().nullable().openapi({ description: "The lane: laneNo, Ebopark's channel id (else its name)" }),
    laneName: z.string().nullable(),
    occurredAtLocal: z.string().openapi({ description: "yyyy-MM-dd HH:mm:ss, UTC+8, as sent by the platform" }),
    occurredAt: z.string().openapi({
      description: "The same instant, ISO 8601 UTC; the received time when timeSuspect (the event is ordered by it)",
    }),
    receivedAt: z.string().openapi({ description: "ISO 8601 UTC" }),
    timeSuspect: z.boolean().openapi({
      description:
        "The event's own time led its receipt by more than CALLBACK_MAX_SKEW_SECONDS: occurredAtLocal and data keep the claim",
    }),
    spaces: SpacesSchema.nullable().openapi({ description: "The lot's counts, when the event reports any" }),
    direction: z.enum(["in", "out"]).optional().openapi({ description: "vehicleAccess" }),
    online: z.boolean().optional().openapi({ description: "cameraStatus, deviceStatus" }),
    deviceId: z.string().nullable().optional().openapi({ description: "cameraStatus, deviceStatus" }),
    deviceName: z.string().nullable().optional().openapi({ description: "cameraStatus, deviceStatus" }),
    deviceType: z.string().nullable().optional().openapi({ description: "deviceStatus" }),
    reason: z.string().nullable().optional().openapi({ description: "barrierOverride: why it was lifted" }),
    operatorName: z.string().nullable().optional().openapi({ description: "barrierOverride: who lifted it (staff)" }),
    amounts: amounts.optional().openapi({ description: "barrierOverride, parkingOrder" }),
    orderNo: z.string().nullable().optional().openapi({ description: "parkingOrder" }),
    seamless: z.boolean().optional().openapi({ description: "parkingOrder: a third-party payment at exit" }),
    parkMins: z.number().int().nullable().optional().openapi({ description: "parkingOrder" }),
    lotName: z.string().nullable().optional().openapi({ description: "lotStatus" }),
    source: z.enum(eventSources).openapi({
      description:
        "callback: pushed by the platform; platform-records: recovered from the platform's access records because its callback never came (receivedAt is when it was recovered, occurredAt when it happened)",
    }),
    recordId: z.string().nullable().openapi({
      description: "The platform's recordId of the access (listAccessRecords), once reconciliation has read it",
    }),
    data: z
      .record(z.string(), z.unknown())
      .openapi({ description: "What the platform sent (callback data, report body), normalised, unknown fields kept" }),
  })
  .openapi("EventRecord");
export type EventRecord = z.infer<typeof EventRecordSchema>;

export const LotSchema = z
  .object({
    platform: PlatformSchema,
    parkingId: z.string(),
    lotName: z.string().nullable().openapi({ description: "Where the platform reports it (Ebopark's parkName)" }),
    totalSpaces: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "Capacity, where reported (Ebopark's totalSpace)" }),
    freeSpaces: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "Free spaces in all (totalLot, Ebopark's freeSpace)" }),
    tempLot: z.number().int().nullable().openapi({ description: "free temporary spaces" }),
    inParkNum: z.number().int().nullable().openapi({ description: "vehicles inside" }),
    updatedAt: z.string().openapi({ description: "When the platform reported these counts, ISO 8601 UTC" }),
    source: z.enum(["kv", "d1"]),
  })
  .openapi("LotOccupancy");

export const LaneSchema = z
  .object({
    platform: PlatformSchema,
    parkingId: z.string(),
    laneNo: z.string(),
    laneName: z.string().nullable(),
    online: z.boolean(),
    since: z.string().openapi({ description: "Since when the lane has had this status, ISO 8601 UTC" }),
  })
  .openapi("LaneStatus");
