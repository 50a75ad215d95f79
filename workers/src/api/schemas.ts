/** Shapes the read API answers with, shared by handlers and the OpenAPI document. */
import { z } from "@hono/zod-openapi";
import { callbackEventIds, callbackTypes } from "@parkbridge/shared";

export const EventIdSchema = z.enum(callbackEventIds as [string, ...string[]]).openapi("EventId");

/** An ISO 8601 instant with a zone (Z or offset), normalised to UTC. */
export const instant = (what: string) =>
  z
    .string()
    .refine((v) => /[Zz]|[+-]\d{2}:?\d{2}$/.test(v) && Number.isFinite(Date.parse(v)), {
      error: `must be an ISO 8601 instant with a zone, e.g. 2026-11-22T08:00:00Z (${what})`,
    })
    .transform((v) => new Date(v).toISOString());

export const limitSchema = z.coerce
  .number({ error: "must be a whole number" })
  .int({ error: "must be a whole number" })
  .min(1, { error: "must be at least 1" })
  .max(500, { error: "must be at most 500" })
  .default(50)
  .openapi({ type: "integer", minimum: 1, maximum: 500, default: 50 });

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
