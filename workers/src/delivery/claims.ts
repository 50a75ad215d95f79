/**
 * Delivery claims: how a subscriber starts its workflow exactly once per delivery although the
 * edge delivers at least once (a retry after a lost answer, Queues delivering twice, a replay
 * inside the signature window). The n8n trigger, once a delivery's signature checks out, claims
 * its id here before it runs anything; copies find it claimed and run nothing.
 *
 * - `POST /api/deliveries/{id}/claim {subscriptionId, token}`: one conditional UPDATE takes a
 *   lease for the token if nobody holds a live one, the claim is not confirmed and the delivery is
 *   not delivered. The same token may claim again (a claim whose answer was lost is retried).
 * - `POST /api/deliveries/{id}/claim/confirm {token}`: the holder says it is starting the
 *   workflow now; a confirmed claim is final.
 *
 * Failures: a lease never confirmed (the subscriber crashed between claim and run, or every try of
 * its claim failed) lapses after DELIVERY_CLAIM_LEASE_SECONDS, and the delivery's next attempt may
 * claim it. A run whose 2xx answer was lost is not run again: its claim was confirmed before it
 * started, and the edge's retry finds it `started`.
 */
import { createRoute, z } from "@hono/zod-openapi";
import {
  claimDeliveryBody,
  confirmClaimBody,
  DELIVERY_CLAIM_LEASE_SECONDS,
  deliveryIdParams,
} from "@parkbridge/shared";
import { BEARER_SCHEME } from "../api/auth.js";
import { ApiError, bodyErrorResponses, errorResponse, notFound } from "../lib/errors.js";
import { createRouter, named } from "../lib/openapi-app.js";

const security = [{ [BEARER_SCHEME]: [] }];

const ClaimAnswerSchema = z
  .object({
    deliveryId: z.string(),
    claimed: z.boolean().openapi({ description: "Whether this token holds the claim: run the workflow if so." }),
    state: z.enum(["claimed", "started", "in_progress"]).openapi({
      description:
        "claimed: this token holds it (until expiresAt, unless confirmed); started: a claim was confirmed or the delivery was acknowledged, so its workflow started already; in_progress: another request holds a live claim (its holder may still fail: answer so the edge retries).",
    }),
    expiresAt: z.string().nullable().openapi({ description: "When the live claim lapses unconfirmed (ISO 8601)." }),
  })
  .openapi("DeliveryClaim");

const ConfirmAnswerSchema = z
  .object({ deliveryId: z.string(), confirmed: z.literal(true), confirmedAt: z.string() })
  .openapi("DeliveryClaimConfirmed");

interface ClaimRow {
  status: string;
  claim_token: string | null;
  claim_expires_at: string | null;
  claim_confirmed_at: string | null;
}

export const claimRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/api/deliveries/{id}/claim",
      tags: ["Subscriptions"],
      summary: "Claim a delivery before running its workflow (exactly once per delivery)",
      security,
      request: {
        params: deliveryIdParams,
        body: {
          required: true,
          content: { "application/json": { schema: named(claimDeliveryBody, "ClaimDelivery") } },
        },
      },
      responses: {
        200: { description: "Who holds the claim", content: { "application/json": { schema: ClaimAnswerSchema } } },
        ...bodyErrorResponses,
        401: errorResponse("Missing or wrong bearer token"),
        404: errorResponse("No such delivery for this subscription"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { subscriptionId, token } = c.req.valid("json");
      // A read-only token claims only for the subscriptions it created (api/auth.ts).
      const scope = c.get("scope");
      const now = new Date();
      const nowIso = now.toISOString();
      const expiresAt = new Date(now.getTime() + DELIVERY_CLAIM_LEASE_SECONDS * 1000).toISOString();
      // Not retried: a claim is answered from the row, and the trigger retries with its own token.
      const [taken, current] = await c.env.DB.batch([
        c.env.DB.prepare(
          `UPDATE deliveries SET claim_token = ?1, claim_expires_at = ?2
           WHERE id = ?3 AND subscription_id = ?4 AND status != 'delivered' AND claim_confirmed_at IS NULL
             AND (claim_token IS NULL OR claim_token = ?1 OR claim_expires_at <= ?5)
             AND (?6 = 'admin' OR EXISTS (SELECT 1 FROM subscriptions WHERE id = ?4 AND scope = ?6))
           RETURNING claim_expires_at`,
        ).bind(token, expiresAt, id, subscriptionId, nowIso, scope),
        c.env.DB.prepare(
          `SELECT status, claim_token, claim_expires_at, claim_confirmed_at FROM deliveries
           WHERE id = ?1 AND subscription_id = ?2
             AND (?3 = 'admin' OR EXISTS (SELECT 1 FROM subscriptions WHERE id = ?2 AND scope = ?3))`,
        ).bind(id, subscriptionId, scope),
      ]);
      if ((taken?.results.length ?? 0) > 0) {
        return c.json({ deliveryId: id, claimed: true, state: "claimed" as const, expiresAt }, 200);
      }
      const row = current?.results[0] as ClaimRow | undefined;
      if (!row) throw notFound(`delivery ${id} of subscription ${subscriptionId}`);
      const started = row.claim_confirmed_at !== null || row.status === "delivered";
      return c.json(
        {
          deliveryId: id,
          claimed: false,
          state: started ? ("started" as const) : ("in_progress" as const),
          expiresAt: started ? null : row.claim_expires_at,
        },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/api/deliveries/{id}/claim/confirm",
      tags: ["Subscriptions"],
      summary: "Confirm a claim: its workflow starts now (final)",
      security,
      request: {
        params: deliveryIdParams,
        body: {
          required: true,
          content: { "application/json": { schema: named(confirmClaimBody, "ConfirmDeliveryClaim") } },
        },
      },
      responses: {
        200: { description: "Confirmed", content: { "application/json": { schema: ConfirmAnswerSchema } } },
        ...bodyErrorResponses,
        401: errorResponse("Missing or wrong bearer token"),
        404: errorResponse("No such delivery"),
        409: errorResponse("The token does not hold the claim (it lapsed and another request claimed it)"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { token } = c.req.valid("json");
      // Idempotent: confirming again keeps the first time.
      const [confirmed, exists] = await c.env.DB.batch([
        c.env.DB.prepare(
          `UPDATE deliveries SET claim_confirmed_at = coalesce(claim_confirmed_at, ?1)
           WHERE id = ?2 AND claim_token = ?3 RETURNING claim_confirmed_at`,
        ).bind(new Date().toISOString(), id, token),
        c.env.DB.prepare("SELECT 1 AS found FROM deliveries WHERE id = ?").bind(id),
      ]);
      const at = (confirmed?.results[0] as { claim_confirmed_at?: string } | undefined)?.claim_confirmed_at;
      if (at) return c.json({ deliveryId: id, confirmed: true as const, confirmedAt: at }, 200);
      if (!exists?.results.length) throw notFound(`delivery ${id}`);
      throw new ApiError(409, "claim_lost", `delivery ${id} is claimed by another request: do not run it`);
    },
  );
