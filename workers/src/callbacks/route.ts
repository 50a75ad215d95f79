/**
 * POST /callbacks: where the platform's signed callbacks land. Verify (shared verifyCallback),
 * store in one batch (store.ts), answer the platform, and only then, in the background, refresh
 * the live state in KV and hand the outbox rows to the delivery queue.
 */
import { z } from "@hono/zod-openapi";
import { callbacks, callbackTypes, verifyCallback } from "@parkbridge/shared";
import { enqueueDeliveries } from "../delivery/outbox.js";
import type { Env } from "../env.js";
import { accountsOf, ConfigError, callbackWindowMs } from "../lib/config.js";
import { withD1Retry } from "../lib/d1-retry.js";
import { newId } from "../lib/ids.js";
import { createRouter } from "../lib/openapi-app.js";
import { recordGrantFromVisitorCallback } from "../visitors/from-callback.js";
import {
  type CallbackFailureReason,
  CallbackFailureSchema,
  CallbackOkSchema,
  callbackFailure,
  PLATFORM_OK,
} from "./answers.js";
import { refreshLane, refreshLot } from "./live-state.js";
import { isStored, type StoreOutcome, storeCallback } from "./store.js";

/** Larger bodies are not callbacks (the biggest seed example is under 1 KB). */
export const MAX_CALLBACK_BYTES = 64 * 1024;
// Headers not worth keeping with the raw callback (credentials, if any proxy adds them).
const UNSTORED_HEADERS = new Set(["authorization", "cookie"]);

export const callbackRoutes = createRouter();

const CallbackBodySchema = z
  .union(
    callbackTypes.map((type) =>
      z
        .object({ callbackType: z.literal(type), data: callbacks[type].data })
        .openapi(`Callback_${type}`, { description: callbacks[type].description }),
    ) as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]],
  )
  .openapi("Callback");

callbackRoutes.openAPIRegistry.registerPath({
  method: "post",
  path: "/callbacks",
  tags: ["Callbacks"],
  summary: "Receive a platform callback",
  description:
    "The parking open platform's signed callbacks. sign = md5(appKey + timestamp + appSecret); the timestamp must be " +
    "within the window, and a (timestamp, sign) pair is bound to the first body it came with. A redelivery of the " +
    "same content answers success and stores nothing new.",
  request: {
    headers: z.object({
      appKey: z.string().openapi({ example: "demo-app-key" }),
      timestamp: z.string().openapi({ description: "Unix milliseconds", example: "1763794800000" }),
      sign: z.string().openapi({ description: "32 lowercase hex" }),
    }),
    body: { required: true, content: { "application/json": { schema: CallbackBodySchema } } },
  },
  responses: {
    200: { description: "Stored (or already stored)", content: { "application/json": { schema: CallbackOkSchema } } },
    400: { description: "Malformed body", content: { "application/json": { schema: CallbackFailureSchema } } },
    401: {
      description: "Unknown appKey, bad sign, stale timestamp or reused pair",
      content: { "application/json": { schema: CallbackFailureSchema } },
    },
    503: {
      description: "Storage failed, nothing stored: retry",
      content: { "application/json": { schema: CallbackFailureSchema } },
    },
  },
});

export function headersToRecord(headers: Headers): Record<string, string> {
  const record: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (!UNSTORED_HEADERS.has(name.toLowerCase())) record[name] = value;
  });
  return record;
}

/** The background work after an answer: live state and delivery hand-off. Never rejects. */
export async function afterStored(env: Env, outcome: Extract<StoreOutcome, { kind: "stored" }>): Promise<void> {
  const work: Promise<void>[] = [];
  const data = outcome.row.data as { laneNo?: string };
  if (outcome.lotChanged) work.push(refreshLot(env, outcome.row.parkingId));
  if (outcome.laneChanged && data.laneNo) work.push(refreshLane(env, outcome.row.parkingId, data.laneNo));
  if (outcome.deliveryIds.length) {
    work.push(
      enqueueDeliveries(env.DELIVERIES, outcome.deliveryIds).catch((error) =>
        console.warn("delivery: enqueue failed, the reconciliation will re-enqueue", String(error)),
      ),
    );
  }
  await Promise.all(work);
}

callbackRoutes.post("/callbacks", async (c) => {
  const fail = (status: 400 | 401 | 500 | 503, reason: CallbackFailureReason, msg: string, field?: string) =>
    c.json(callbackFailure(reason, msg, field), status);

  const receivedAt = new Date();
  const body = await c.req.text();
  // Bytes, not characters: Chinese text is 3 bytes a character in UTF-8.
  if (new TextEncoder().encode(body).byteLength > MAX_CALLBACK_BYTES) {
    return fail(400, "malformed_body", `body is larger than ${MAX_CALLBACK_BYTES} bytes`, "(body)");
  }
  let accounts: Map<string, string>;
  let windowMs: number;
  try {
    accounts = accountsOf(c.env);
    windowMs = callbackWindowMs(c.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error("callbacks: configuration error", error.message);
    return fail(500, "misconfigured", error.message);
  }

  const verified = await verifyCallback({
    headers: c.req.raw.headers,
    body,
    secretFor: (appKey) => accounts.get(appKey),
    now: receivedAt.getTime(),
    windowMs,
  });
  if (!verified.ok) return fail(verified.status, verified.reason, verified.message, verified.field);

  let outcome: StoreOutcome;
  try {
    const eventId = newId("evt", receivedAt.getTime());
    const { event } = verified;
    const input = {
      verified,
      body,
      headers: headersToRecord(c.req.raw.headers),
      receivedAt,
      eventId,
      // A visitor booking made on the platform becomes a visitor grant, atomically with its event.
      extra:
        event.event === "visitorRegistered"
          ? recordGrantFromVisitorCallback(c.env.DB, { eventId, data: event.data, receivedAt: receivedAt.getTime() })
          : undefined,
    };
    // A transient error can arrive after the batch committed: before a retry, ask whether this
    // very event is stored (then it is answered as stored; the cron reconciliation sends its
    // deliveries), so a committed callback is never answered 503 nor run twice.
    outcome = await withD1Retry(async (attempt) =>
      attempt > 1 && (await isStored(c.env.DB, eventId))
        ? { kind: "duplicate" as const, eventId }
        : storeCallback(c.env.DB, input),
    );
  } catch (error) {
    console.error("callbacks: storage failed, nothing stored", String(error));
    return fail(503, "storage_unavailable", "storage is unavailable; nothing was stored, retry later");
  }

  if (outcome.kind === "reused_signature") {
    return fail(401, "reused_signature", "this timestamp and sign were already used with another body", "sign");
  }
  if (outcome.kind === "stored") c.executionCtx.waitUntil(afterStored(c.env, outcome));
  return c.json(PLATFORM_OK, 200);
});
