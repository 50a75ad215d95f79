/**
 * Subscriptions: where events are forwarded (the n8n trigger creates one on activate and
 * deletes it on deactivate). POST answers the secret once; lists never show it.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { checkSubscriberUrl, createSubscriptionBody, newWebhookSecret } from "@parkbridge/shared";
import { BEARER_SCHEME } from "../api/auth.js";
import { EventIdSchema, PlatformSchema } from "../api/schemas.js";
import { withD1Retry } from "../lib/d1-retry.js";
import { badInput, bodyErrorResponses, errorResponse, notFound } from "../lib/errors.js";
import { newId } from "../lib/ids.js";
import { createRouter, named } from "../lib/openapi-app.js";
import { fullViewNeedsAdmin } from "../privacy/views.js";
import { allowsLoopbackSubscribers } from "./policy.js";

/** The shared body (shared/src/edge/requests.ts): https to a public host; loopback is decided below. */
export const CreateSubscriptionSchema = named(createSubscriptionBody, "CreateSubscription");

export const SubscriptionSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(EventIdSchema).nullable().openapi({ description: "null: every event" }),
    parkingId: z.string().nullable(),
    platform: PlatformSchema.nullable().openapi({ description: "null: both platforms" }),
    personalData: z.enum(["masked", "full"]),
    scope: z.enum(["admin", "read"]).openapi({
      description: "The token scope that created it: a read-only token sees and deletes only its own.",
    }),
    createdAt: z.string(),
  })
  .openapi("Subscription");

const CreatedSubscriptionSchema = SubscriptionSchema.extend({
  secret: z.string().openapi({ description: "Standard Webhooks secret (whsec_…), shown only here" }),
}).openapi("CreatedSubscription");

interface SubscriptionRow {
  id: string;
  url: string;
  events: string | null;
  parking_id: string | null;
  platform: "open" | "ebopark" | null;
  personal_data: "masked" | "full";
  scope: "admin" | "read";
  created_at: string;
}
const toSubscription = (r: SubscriptionRow) => ({
  id: r.id,
  url: r.url,
  events: r.events ? (JSON.parse(r.events) as string[]) : null,
  parkingId: r.parking_id,
  platform: r.platform,
  personalData: r.personal_data,
  scope: r.scope,
  createdAt: r.created_at,
});

const security = [{ [BEARER_SCHEME]: [] }];

export const subscriptionRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/api/subscriptions",
      tags: ["Subscriptions"],
      summary: "Subscribe a URL to events",
      security,
      request: { body: { required: true, content: { "application/json": { schema: CreateSubscriptionSchema } } } },
      responses: {
        201: { description: "Created", content: { "application/json": { schema: CreatedSubscriptionSchema } } },
        ...bodyErrorResponses,
        401: errorResponse("Missing or wrong bearer token"),
      },
    }),
    async (c) => {
      const input = c.req.valid("json");
      if (input.personalData === "full" && c.get("scope") !== "admin") throw fullViewNeedsAdmin("personalData: full");
      const check = checkSubscriberUrl(input.url, { allowLoopback: allowsLoopbackSubscribers(c.env) });
      if (!check.ok) throw badInput("url", check.reason);
      const row: SubscriptionRow & { secret: string } = {
        id: newId("sub"),
        // As parsed: what was checked is what deliveries go to.
        url: check.url.href,
        secret: newWebhookSecret(),
        events: input.events ? JSON.stringify([...new Set(input.events)]) : null,
        parking_id: input.parkingId ?? null,
        platform: input.platform ?? null,
        personal_data: input.personalData ?? "masked",
        scope: c.get("scope"),
        created_at: new Date().toISOString(),
      };
      // Not retried: a lost answer after a commit would create a second subscription.
      await c.env.DB.prepare(
        "INSERT INTO subscriptions (id, url, secret, events, parking_id, platform, personal_data, scope, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      )
        .bind(
          row.id,
          row.url,
          row.secret,
          row.events,
          row.parking_id,
          row.platform,
          row.personal_data,
          row.scope,
          row.created_at,
        )
        .run();
      return c.json({ ...toSubscription(row), secret: row.secret }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/api/subscriptions",
      tags: ["Subscriptions"],
      summary: "List active subscriptions (without secrets); a read-only token sees its own",
      security,
      responses: {
        200: {
          description: "Subscriptions",
          content: { "application/json": { schema: z.object({ items: z.array(SubscriptionSchema) }) } },
        },
        401: errorResponse("Missing or wrong bearer token"),
      },
    }),
    async (c) => {
      const { results } = await withD1Retry(() =>
        c.env.DB.prepare(
          `SELECT id, url, events, parking_id, platform, personal_data, scope, created_at FROM subscriptions
            WHERE deleted_at IS NULL AND (?1 = 'admin' OR scope = ?1) ORDER BY created_at, id`,
        )
          .bind(c.get("scope"))
          .all<SubscriptionRow>(),
      );
      return c.json({ items: results.map(toSubscription) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/api/subscriptions/{id}",
      tags: ["Subscriptions"],
      summary: "Unsubscribe; its undelivered deliveries are dropped (marked dead)",
      security,
      request: { params: z.object({ id: z.string() }) },
      responses: {
        204: { description: "Deleted" },
        401: errorResponse("Missing or wrong bearer token"),
        404: errorResponse("No such subscription (for a read-only token: none of its own)"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const scope = c.get("scope");
      const now = new Date().toISOString();
      // Not retried: a commit whose answer was lost would read as 404 on the second try.
      const [deleted] = await c.env.DB.batch([
        c.env.DB.prepare(
          `UPDATE subscriptions SET deleted_at = ?1 WHERE id = ?2 AND deleted_at IS NULL AND (?3 = 'admin' OR scope = ?3)`,
        ).bind(now, id, scope),
        c.env.DB.prepare(
          `UPDATE deliveries SET status = 'dead', last_error = 'the subscription was deleted', updated_at = ?1
             WHERE subscription_id = ?2 AND status IN ('pending', 'failed')
               AND EXISTS (SELECT 1 FROM subscriptions WHERE id = ?2 AND (?3 = 'admin' OR scope = ?3))`,
        ).bind(now, id, scope),
      ]);
      if (!deleted?.meta.changes) throw notFound(`subscription ${id}`);
      return c.body(null, 204);
    },
  );
