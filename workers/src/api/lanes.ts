/** GET /api/lanes: camera status per lane (D1, the source of truth) and which lanes are offline now. */
import { createRoute, z } from "@hono/zod-openapi";
import { lanesQuery } from "@parkbridge/shared";
import { readLanesFromD1 } from "../callbacks/live-state.js";
import { withD1Retry } from "../lib/d1-retry.js";
import { errorResponse } from "../lib/errors.js";
import { createRouter } from "../lib/openapi-app.js";
import { BEARER_SCHEME } from "./auth.js";
import { LaneSchema } from "./schemas.js";

export const laneRoutes = createRouter().openapi(
  createRoute({
    method: "get",
    path: "/api/lanes",
    tags: ["Live state"],
    summary: "Camera status of every lane",
    security: [{ [BEARER_SCHEME]: [] }],
    request: { query: lanesQuery },
    responses: {
      200: {
        description: "Lanes, and the offline ones",
        content: {
          "application/json": { schema: z.object({ items: z.array(LaneSchema), offline: z.array(LaneSchema) }) },
        },
      },
      401: errorResponse("Missing or wrong bearer token"),
    },
  }),
  async (c) => {
    const filter = c.req.valid("query");
    const lanes = await withD1Retry(() => readLanesFromD1(c.env.DB, filter));
    const items = lanes.map(({ platform, parkingId, laneNo, laneName, online, since }) => ({
      platform,
      parkingId,
      laneNo,
      laneName,
      online,
      since,
    }));
    return c.json({ items, offline: items.filter((lane) => !lane.online) }, 200);
  },
);
