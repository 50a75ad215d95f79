/**
 * Subscriptions: where events are forwarded (the n8n trigger creates one on activate and
 * deletes it on deactivate). POST answers the secret once; lists never show it.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { newWebhookSecret } from "@parkbridge/shared";
import { BEARER_SCHEME } from "../api/auth.js";
import { EventIdSchema, PlatformSchema } from "../api/schemas.js";
import { withD1Retry } from "../lib/d1-retry.js";
import { bodyErrorResponses, errorResponse, notFound } from "../lib/errors.js";
import { newId } from "../lib/ids.js";
import { createRouter } from "../lib/openapi-app.js";

const httpUrl = z
  .string()
  .refine(
    (v) => {
      try {
        return ["http:", "https:"].includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { error: "must be an http(s) URL" },
  )
  .openapi({ format: "uri", example: "https://n8n.example.com/webhook/parkbridge" });

export const CreateSubscriptionSchema = z.object({
  url: httpUrl,
  events: z.array(EventIdSchema).min(1, { error: "must list at least one event (or be left out for all)" }).optional(),
  parkingId: z.string().trim().min(1).optional(),
  platform: PlatformSchema.optional().openapi({ description: "Only events of this platform (default: both)" }),
});

export const SubscriptionSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(EventIdSchema).nullable().openapi({ description: "null: every event" }),
    parkingId: z.string().nullable(),
    platform: PlatformSchema.nullable().openapi({ description: "null: both platforms" }),
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
  created_at: string;
}
const toSubscription = (r: SubscriptionRow) => ({
  id: r.id,
  url: r.url,
  events: r.events ? (JSON.parse(r.events) as string[]) : null,
  parkingId: r.parking_id,
  platform: r.platform,
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
      const row: SubscriptionRow & { secret: string } = {
        id: newId("sub"),
        url: input.url,
        secret: newWebhookSecret(),
        events: input.events ? JSON.stringify([...new Set(input.events)]) : null,
        parking_id: input.parkingId ?? null,
        platform: input.platform ?? null,
        created_at: new Date().toISOString(),
      };
      // Not retried: a lost answer after a commit would create a second subscription.
      await c.env.DB.prepare(
        "INSERT INTO subscriptions (id, url, secret, events, parking_id, platform, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      )
        .bind(row.id, row.url, row.secret, row.events, row.parking_id, row.platform, row.created_at)
        .run();
      return c.json({ ...toSubscription(row), secret: row.secret }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/api/subscriptions",
      tags: ["Subscriptions"],
      summary: "List active subscriptions (without secrets)",
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
          "SELECT id, url, events, parking_id, platform, created_at FROM subscriptions WHERE deleted_at IS NULL ORDER BY created_at, id",
        ).all<SubscriptionRow>(),
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
        404: errorResponse("No such subscription"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const now = new Date().toISOString();
      // Not retried: a commit whose answer was lost would read as 404 on the second try.
      const [deleted] = await c.env.DB.batch([
        c.env.DB.prepare("UPDATE subscriptions SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL").bind(now, id),
        c.env.DB.prepare(
          `UPDATE deliveries SET status = 'dead', last_error = 'the subscription was deleted', updated_at = ?
             WHERE subscription_id = ? AND status IN ('pending', 'failed')`,
        ).bind(now, id),
      ]);
      if (!deleted?.meta.changes) throw notFound(`subscription ${id}`);
      return c.body(null, 204);
    },
  );
