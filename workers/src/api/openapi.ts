/** GET /openapi.json: the OpenAPI 3.1 document of every route, generated from their schemas. */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../lib/openapi-app.js";
import { BEARER_SCHEME } from "./auth.js";

export function mountOpenApi(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent("securitySchemes", BEARER_SCHEME, {
    type: "http",
    scheme: "bearer",
    description: "ADMIN_TOKEN (a Worker secret)",
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
