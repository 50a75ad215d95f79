/** GET /openapi.json: the OpenAPI 3.1 document of every route, generated from their schemas. */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../lib/openapi-app.js";
import { BEARER_SCHEME } from "./auth.js";

export function mountOpenApi(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent("securitySchemes", BEARER_SCHEME, {
    type: "http",
    scheme: "bearer",
    description:
      "ADMIN_TOKEN, or the read-only READ_TOKEN for events, lots, lanes and its own subscriptions (403 elsewhere). ADMIN_TOKEN_NEXT and READ_TOKEN_NEXT during a rotation. 1,200 attempts a minute per client address, then 429 with Retry-After.",
  });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/healthz",
    tags: ["Operations"],
    summary: "Liveness",
    responses: { 200: { description: "Alive" } },
  });
  app.doc31("/openapi.json", (c) => ({
    openapi: "3.1.0",
    info: {
      title: "parkbridge edge API",
      version: "0.1.0",
      description:
        "Receives the parking open platform's callbacks, serves their history and the live state, manages visitor " +
        "grants and forwards events to subscribers (Standard Webhooks signatures).",
    },
    servers: [{ url: new URL(c.req.url).origin }],
  }));
}
