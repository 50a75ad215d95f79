/**
 * GET /api/lots/{parkingId}: live occupancy, from KV (fast) or D1 (source of truth) when KV has
 * none. A lot is its platform's: `?platform=` picks one where both platforms report a lot of the
 * same id (without it, such an id is refused, naming the field).
 */
import { createRoute } from "@hono/zod-openapi";
import { lotParams, lotQuery } from "@parkbridge/shared";
import { readLotsFromD1, readLotsFromKV } from "../callbacks/live-state.js";
import { withD1Retry } from "../lib/d1-retry.js";
import { badInput, errorResponse, notFound } from "../lib/errors.js";
import { createRouter } from "../lib/openapi-app.js";
import { BEARER_SCHEME } from "./auth.js";
import { LotSchema } from "./schemas.js";

export const lotRoutes = createRouter().openapi(
  createRoute({
    method: "get",
    path: "/api/lots/{parkingId}",
    tags: ["Live state"],
    summary: "Live occupancy of a parking lot",
    description:
      "The counts the platform reported last for this lot: the open platform's vehicle accesses, Ebopark's lot information.",
    security: [{ [BEARER_SCHEME]: [] }],
    request: { params: lotParams, query: lotQuery },
    responses: {
      200: { description: "Occupancy", content: { "application/json": { schema: LotSchema } } },
      400: errorResponse("Both platforms report a lot of this id: name the platform"),
      401: errorResponse("Missing or wrong bearer token"),
      404: errorResponse("No counts were ever received for this lot"),
    },
  }),
  async (c) => {
    const { parkingId } = c.req.valid("param");
    const { platform } = c.req.valid("query");
    const fromKv = await readLotsFromKV(c.env.LIVE, parkingId, platform);
    const lots = fromKv ?? (await withD1Retry(() => readLotsFromD1(c.env.DB, parkingId, platform)));
    if (lots.length > 1) throw badInput("platform", "is required: both platforms report a lot of this id");
    const [lot] = lots;
    if (!lot) throw notFound(`parking lot ${parkingId}`);
    const { eventId: _eventId, ...shown } = lot;
    return c.json({ ...shown, source: fromKv ? ("kv" as const) : ("d1" as const) }, 200);
  },
);
