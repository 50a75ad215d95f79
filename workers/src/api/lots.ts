/** GET /api/lots/{parkingId}: live occupancy, from KV (fast) or D1 (source of truth) when KV has none. */
import { createRoute } from "@hono/zod-openapi";
import { lotParams } from "@parkbridge/shared";
import { readLotFromD1, readLotFromKV } from "../callbacks/live-state.js";
import { withD1Retry } from "../lib/d1-retry.js";
import { errorResponse, notFound } from "../lib/errors.js";
import { createRouter } from "../lib/openapi-app.js";
import { BEARER_SCHEME } from "./auth.js";
import { LotSchema } from "./schemas.js";

export const lotRoutes = createRouter().openapi(
  createRoute({
    method: "get",
    path: "/api/lots/{parkingId}",
    tags: ["Live state"],
    summary: "Live occupancy of a parking lot",
    description: "The counts of the newest vehicle access the platform reported for this lot.",
    security: [{ [BEARER_SCHEME]: [] }],
    request: { params: lotParams },
    responses: {
      200: { description: "Occupancy", content: { "application/json": { schema: LotSchema } } },
      401: errorResponse("Missing or wrong bearer token"),
      404: errorResponse("No vehicle access with counts was ever received for this lot"),
    },
  }),
  async (c) => {
    const { parkingId } = c.req.valid("param");
    const fromKv = await readLotFromKV(c.env.LIVE, parkingId);
    const lot = fromKv ?? (await withD1Retry(() => readLotFromD1(c.env.DB, parkingId)));
    if (!lot) throw notFound(`parking lot ${parkingId}`);
    const { eventId: _eventId, ...shown } = lot;
    return c.json({ ...shown, source: fromKv ? ("kv" as const) : ("d1" as const) }, 200);
  },
);
