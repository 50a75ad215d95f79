import { requireToken } from "./api/auth.js";
import { eventRoutes } from "./api/events.js";
import { laneRoutes } from "./api/lanes.js";
import { lotRoutes } from "./api/lots.js";
import { mountOpenApi } from "./api/openapi.js";
import { heldCallbackRoutes } from "./callbacks/held-routes.js";
import { callbackRoutes } from "./callbacks/route.js";
import { claimRoutes } from "./delivery/claims.js";
import { deliveryRoutes } from "./delivery/deliveries.js";
import { subscriptionRoutes } from "./delivery/subscriptions.js";
import { ApiError, errorAnswer } from "./lib/errors.js";
import { createRouter } from "./lib/openapi-app.js";
import { personalDataRoutes } from "./privacy/routes.js";
import { backfillRoutes } from "./records/routes.js";
import { statusRoutes } from "./status/routes.js";
import { visitorGrantRoutes } from "./visitors/routes.js";

/** The HTTP surface: callbacks, the read API, visitor grants, subscriptions (routes mounted below). */
export const app = createRouter();

app.onError(errorAnswer);
app.notFound((c) => errorAnswer(new ApiError(404, "not_found", `no route ${c.req.method} ${c.req.path}`), c));

// Every /api/* route needs a bearer token (admin, or read-only where it may), including routes mounted below.
app.use("/api/*", requireToken);

app.get("/healthz", (c) => c.json({ ok: true }));

// The platform's signed callbacks: POST /callbacks; those held unconfirmed: /api/held-callbacks.
app.route("/", callbackRoutes);
app.route("/", heldCallbackRoutes);

// Read API: GET /api/events, /api/lots/{parkingId}, /api/lanes; the history's backfills: /api/backfill.
app.route("/", eventRoutes);
app.route("/", lotRoutes);
app.route("/", laneRoutes);
app.route("/", backfillRoutes);

// Event forwarding: /api/subscriptions, /api/deliveries, and the claims subscribers run by.
app.route("/", subscriptionRoutes);
app.route("/", deliveryRoutes);
app.route("/", claimRoutes);

// Visitor grants: POST/GET /api/visitor-grants, GET/PATCH/DELETE /api/visitor-grants/{id}.
app.route("/", visitorGrantRoutes);

// One person's data: GET (export) and DELETE (erasure) /api/personal-data (docs/privacy.md).
app.route("/", personalDataRoutes);

// The status page for people: GET /, /login, /logout (session cookie, not the bearer header).
app.route("/", statusRoutes);

// GET /openapi.json, generated from the routes above: keep it last.
mountOpenApi(app);
