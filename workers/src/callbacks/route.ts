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
import { createGroupCommit, RUN_ALONE } from "../lib/group-commit.js";
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
import {
  committedOutcome,
  planStore,
  type StoreInput,
  type StoreOutcome,
  type StorePlan,
  storeCallbacks,
} from "./store.js";

/** Larger bodies are not callbacks (the biggest seed example is under 1 KB). */
export const MAX_CALLBACK_BYTES = 64 * 1024;
/** Callbacks one D1 batch may carry (its statements stay the same few whatever the count). */
export const MAX_GROUP_CALLBACKS = 50;
// Headers not worth keeping with the raw callback (credentials, if any proxy adds them).
const UNSTORED_HEADERS = new Set(["authorization", "cookie"]);

export const callbackRoutes = createRouter();

// Callbacks arriving together share one D1 batch: one round trip and the same few statements
// for all (store.ts). A group that fails for any reason is stored again callback by callback,
// so one bad callback cannot fail the others. Per isolate: every request of this Worker has the
// same D1 binding, and each group runs on its leader's.
const ingestGroup = createGroupCommit<{ plan: StorePlan; db: D1Database }, StoreOutcome | typeof RUN_ALONE>({
  run: async (members) => {
    try {
      return await storeCallbacks(
        (members[0] as { db: D1Database }).db,
        members.map((member) => member.plan),
      );
    } catch (error) {
      if (members.length > 1) console.warn("callbacks: a grouped batch failed, storing one by one", String(error));
      return members.map(() => RUN_ALONE);
    }
  },
  // The batch's JSON parameter carries every body: bound it well under D1's 2 MB per value.
  weight: ({ plan }) => plan.content.body.length + plan.content.headers.length + plan.content.data.length,
  maxWeight: 512 * 1024,
  maxInputs: MAX_GROUP_CALLBACKS,
  maxWaitMs: 5_000,
});

/** How callbacks were grouped in this isolate so far (diagnostics, tests). */
export const ingestStats = () => ({ ...ingestGroup.stats });

/**
 * Stores a callback alone, retrying transient errors. Before a retry (or when a group it was in
 * failed) it asks whether this very event is stored: a transient error can arrive after the
 * batch committed, and then the callback is answered as stored, with its deliveries sent at
 * once, so a committed callback is never answered 503 nor run twice.
 */
function storeAlone(db: D1Database, input: StoreInput, checkFirst: boolean): Promise<StoreOutcome> {
  const plan = planStore(input);
  return withD1Retry(async (attempt) => {
    const committed = attempt > 1 || checkFirst ? await committedOutcome(db, plan) : null;
    return committed ?? ((await storeCallbacks(db, [plan]))[0] as StoreOutcome);
  });
}

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
    const input: StoreInput = {
      verified,
      body,
      headers: headersToRecord(c.req.raw.headers),
      receivedAt,
      eventId,
      // A visitor booking made on the platform becomes a visitor grant, atomically with its event.
      extra:
        event.event === "visitorRegistered"
          ? recordGrantFromVisitorCallback(c.env.DB, {
              eventId,
              data: event.data,
              receivedAt: receivedAt.getTime(),
              appKey: verified.appKey,
            })
          : undefined,
    };
    // Statements with a guard (extra) abort their whole transaction when the callback is not
    // new, so they never share one.
    const grouped = input.extra
      ? RUN_ALONE
      : await ingestGroup.submit({ plan: planStore(input), db: c.env.DB }, (promise) =>
          c.executionCtx.waitUntil(promise),
        );
    outcome = grouped === RUN_ALONE ? await storeAlone(c.env.DB, input, !input.extra) : grouped;
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
