/** Shapes the read API answers with, shared by handlers and the OpenAPI document. */
import { z } from "@hono/zod-openapi";
import { callbackTypes, eventIdSchema, eventSources } from "@parkbridge/shared";
import { named } from "../lib/openapi-app.js";

export const EventIdSchema = named(eventIdSchema, "EventId");

export const EventRecordSchema = z
  .object({
    id: z.string().openapi({ example: "evt_0mhx3k2a1f3c9e0d2b4a6c8e" }),
    event: EventIdSchema,
    callbackType: z.enum(callbackTypes as [string, ...string[]]),
    appKey: z.string(),
    parkingId: z.string(),
    vehicleCode: z.string().nullable(),
    laneNo: z.string().nullable(),
    occurredAtLocal: z.string().openapi({ description: "yyyy-MM-dd HH:mm:ss, UTC+8, as sent by the platform" }),
    occurredAt: z.string().openapi({
      description: "The same instant, ISO 8601 UTC; the received time when timeSuspect (the event is ordered by it)",
    }),
    receivedAt: z.string().openapi({ description: "ISO 8601 UTC" }),
    timeSuspect: z.boolean().openapi({
      description:
        "The event's own time led its receipt by more than CALLBACK_MAX_SKEW_SECONDS: occurredAtLocal and data keep the claim",
    }),
    data: z.record(z.string(), z.unknown()).openapi({ description: "The normalised callback data" }),
    source: z.enum(eventSources).openapi({
      description:
        "callback: pushed by the platform; platform-records: recovered from the platform's access records because its callback never came (receivedAt is when it was recovered, occurredAt when it happened)",
    }),
    recordId: z.string().nullable().openapi({
      description: "The platform's recordId of the access (listAccessRecords), once reconciliation has read it",
    }),
  })
  .openapi("EventRecord");
export type EventRecord = z.infer<typeof EventRecordSchema>;

export const LotSchema = z
  .object({
    parkingId: z.string(),
    freeSpaces: z.number().int().nullable().openapi({ description: "totalLot: free spaces in all" }),
    tempLot: z.number().int().nullable().openapi({ description: "free temporary spaces" }),
    inParkNum: z.number().int().nullable().openapi({ description: "vehicles inside" }),
    updatedAt: z.string().openapi({ description: "When the platform reported these counts, ISO 8601 UTC" }),
    source: z.enum(["kv", "d1"]),
  })
  .openapi("LotOccupancy");

export const LaneSchema = z
  .object({
    parkingId: z.string(),
    laneNo: z.string(),
    laneName: z.string().nullable(),
    online: z.boolean(),
    since: z.string().openapi({ description: "Since when the lane has had this status, ISO 8601 UTC" }),
  })
  .openapi("LaneStatus");
