/**
 * The Parkbridge Edge node against a loopback stand-in of the Worker's HTTP contract
 * (docs/edge-api.md): what it sends (auth, bodies, UTC+8 times, cursors) and how it reads the
 * answers and the error envelope. The stand-in validates every request with the schemas the
 * Worker's routes validate with (shared/src/edge/requests.ts), so what the node sends is what the
 * Worker accepts. The real Worker is tested in test/workers.
 */
import {
  changeGrantBody,
  createGrantBody,
  eventsQuery,
  grantIdParams,
  lanesQuery,
  listGrantsQuery,
  lotParams,
} from "@parkbridge/shared";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { z } from "zod";
import { ParkbridgeEdgeApi } from "../../n8n-nodes/credentials/ParkbridgeEdgeApi.credentials";
import { ParkbridgeEdge } from "../../n8n-nodes/nodes/ParkbridgeEdge/ParkbridgeEdge.node";
import { type ParameterValue, runNode, testCredential } from "./harness";
import { type LoopbackRequest, startLoopback } from "./loopback";

const TOKEN = "edge-admin";
const node = new ParkbridgeEdge();
let worker: Awaited<ReturnType<typeof startLoopback>>;

const grant = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  parkingId: "park1",
  vehicleCode: "鲁A12345",
  status: "active",
  endsAtLocal: "2026-11-22 18:00:00",
  ...extra,
});

const EVENTS = Array.from({ length: 7 }, (_, i) => ({ id: `evt_${i}`, event: "vehicleAccess", parkingId: "park1" }));

/** The Worker's validation of one part of a request: its first issue as the Worker's 400, or nothing. */
function refusal(schema: z.ZodType, value: unknown) {
  const parsed = schema.safeParse(value);
  if (parsed.success) return undefined;
  const issue = parsed.error.issues[0];
  const field = issue?.path.join(".") || "(body)";
  return { status: 400, body: { error: { code: "invalid_input", message: `${field} ${issue?.message}`, field } } };
}

/** Which schemas validate each route's path, query and body (as in the Worker's createRoute calls). */
const ROUTES: Array<[RegExp, { params?: z.ZodType; query?: z.ZodType; body?: z.ZodType }]> = [
  [/^POST \/api\/visitor-grants$/, { body: createGrantBody }],
  [/^PATCH \/api\/visitor-grants\/(?<id>[^/]+)$/, { params: grantIdParams, body: changeGrantBody }],
  [/^DELETE \/api\/visitor-grants\/(?<id>[^/]+)$/, { params: grantIdParams }],
  [/^GET \/api\/visitor-grants$/, { query: listGrantsQuery }],
  [/^GET \/api\/events$/, { query: eventsQuery }],
  [/^GET \/api\/lots\/(?<parkingId>[^/]+)$/, { params: lotParams }],
  [/^GET \/api\/lanes$/, { query: lanesQuery }],
];

function answer(request: LoopbackRequest) {
  if (request.headers.authorization !== `Bearer ${TOKEN}`) {
    return { status: 401, body: { error: { code: "unauthorized", message: "missing or wrong admin token" } } };
  }
  const url = new URL(request.path, "http://x");
  const route = `${request.method} ${url.pathname}`;
  for (const [pattern, parts] of ROUTES) {
    const match = pattern.exec(route);
    if (!match) continue;
    const params = Object.fromEntries(Object.entries(match.groups ?? {}).map(([k, v]) => [k, decodeURIComponent(v)]));
    const invalid =
      (parts.params && refusal(parts.params, params)) ||
      (parts.query && refusal(parts.query, Object.fromEntries(url.searchParams))) ||
      (parts.body && refusal(parts.body, JSON.parse(request.body || "null")));
    if (invalid) return invalid;
  }
  if (route === "POST /api/visitor-grants") {
    const body = JSON.parse(request.body);
    if (body.vehicleCode === "鲁A00000") {
      return {
        status: 502,
        body: {
          error: { code: "platform_refused", message: "the platform refused addVehicle", platformMsg: "车场已满" },
        },
      };
    }
    return { status: 201, body: grant("g1", { ...body, endsAtLocal: body.endsAt }) };
  }
  if (route === "PATCH /api/visitor-grants/g1")
    return { status: 200, body: grant("g1", { endsAtLocal: JSON.parse(request.body).endsAt }) };
  if (route === "DELETE /api/visitor-grants/g1") return { status: 200, body: grant("g1", { status: "revoked" }) };
  if (route === "GET /api/visitor-grants")
    return { status: 200, body: { items: [grant("g1"), grant("g2")], nextCursor: null } };
  if (route === "GET /api/events") {
    const from = Number(url.searchParams.get("cursor") ?? 0);
    const limit = Number(url.searchParams.get("limit") ?? 50);
    const items = EVENTS.slice(from, from + limit);
    return { status: 200, body: { items, nextCursor: from + limit < EVENTS.length ? String(from + limit) : null } };
  }
  if (route === "GET /api/lots/park1") {
    return {
      status: 200,
      body: {
        parkingId: "park1",
        freeSpaces: 190,
        tempLot: 120,
        inParkNum: 310,
        updatedAt: "2026-11-22T07:00:00Z",
        source: "kv",
      },
    };
  }
  if (route === "GET /api/lots/nowhere")
    return { status: 404, body: { error: { code: "not_found", message: "lot nowhere was never seen" } } };
  if (route === "GET /api/lanes") {
    const lane = (laneNo: string, online: boolean) => ({
      parkingId: "park1",
      laneNo,
      laneName: `Lane ${laneNo}`,
      online,
      since: "2026-11-22T06:00:00Z",
    });
    return { status: 200, body: { items: [lane("1", true), lane("2", false)], offline: [lane("2", false)] } };
  }
  if (route === "GET /api/subscriptions") return { status: 200, body: { items: [] } };
  return { status: 404, body: { error: { code: "not_found", message: `no route ${route}` } } };
}

beforeAll(async () => {
  worker = await startLoopback(answer);
});
afterAll(async () => {
  await worker.close();
});
beforeEach(() => {
  worker.requests.length = 0;
});

const run = (parameters: Record<string, ParameterValue>, continueOnFail = false, adminToken = TOKEN) =>
  runNode(node, {
    parameters,
    credentials: { parkbridgeEdgeApi: { url: worker.url, adminToken } },
    credentialTypes: [new ParkbridgeEdgeApi()],
    continueOnFail,
  });

/** A grant's required parameters. */
const grantParameters = {
  resource: "visitorGrant",
  operation: "grant",
  parkingId: "park1",
  vehicleCode: "鲁A12345",
  visitorName: "Wang Wu",
  visitorPhone: "13600136000",
};

describe("Parkbridge Edge node", () => {
  it("grants a visitor access until a time, sending the lot's local time (UTC+8)", async () => {
    const { output } = await run({
      ...grantParameters,
      endsAt: "2026-11-22T10:00:00Z",
      additionalFields: { reason: "delivery", startsAt: "2026-11-22 09:00", appKey: "second-app-key" },
    });
    const sent = worker.requests[0];
    expect(sent?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(JSON.parse(sent?.body ?? "{}")).toEqual({
      parkingId: "park1",
      vehicleCode: "鲁A12345",
      visitorName: "Wang Wu",
      visitorPhone: "13600136000",
      endsAt: "2026-11-22 18:00:00",
      startsAt: "2026-11-22 09:00:00",
      reason: "delivery",
      appKey: "second-app-key",
    });
    expect(output).toEqual([
      { json: expect.objectContaining({ id: "g1", status: "active" }), pairedItem: { item: 0 } },
    ]);
  });

  it("grants until a bare date as given (the Worker ends it at 23:59:59 that day) and joins chosen lanes", async () => {
    await run({ ...grantParameters, endsAt: "2026-11-30", additionalFields: { laneNos: ["1", "3"] } });
    expect(JSON.parse(worker.requests[0]?.body ?? "{}")).toMatchObject({ endsAt: "2026-11-30", laneNos: "1,3" });
  });

  it("the Worker's refusal of a bad field reaches the user with the field", async () => {
    const failure = (await run({ ...grantParameters, vehicleCode: "NOT-A-PLATE", endsAt: "2026-11-30" }).catch(
      (error: unknown) => error,
    )) as Error & { description?: string };
    expect(failure.name).toBe("NodeApiError");
    expect(failure.message).toMatch(/refused POST \/api\/visitor-grants: vehicleCode must be a Chinese licence plate/);
    expect(failure.description).toContain("Field: vehicleCode");
  });

  it("extends, revokes and lists grants", async () => {
    const extended = await run({
      resource: "visitorGrant",
      operation: "extend",
      grantId: "g1",
      endsAt: "2026-11-23T20:00:00+08:00",
    });
    expect(worker.requests[0]).toMatchObject({ method: "PATCH", path: "/api/visitor-grants/g1" });
    expect(extended.output[0]?.json.endsAtLocal).toBe("2026-11-23 20:00:00");
    const revoked = await run({ resource: "visitorGrant", operation: "revoke", grantId: "g1" });
    expect(revoked.output[0]?.json.status).toBe("revoked");
    const listed = await run({
      resource: "visitorGrant",
      operation: "list",
      filters: { status: "active", parkingId: "park1", source: "callback" },
      returnAll: true,
    });
    expect(listed.output.map((i) => i.json.id)).toEqual(["g1", "g2"]);
    const query = new URL(worker.requests.at(-1)?.path ?? "", "http://x").searchParams;
    expect([query.get("status"), query.get("parkingId"), query.get("source")]).toEqual(["active", "park1", "callback"]);
  });

  it("queries events across cursors, with instants for since/until, and respects Limit", async () => {
    const all = await run({
      resource: "event",
      operation: "query",
      returnAll: true,
      filters: { type: "vehicleAccess", since: "2026-11-22 08:00" },
    });
    expect(all.output.map((i) => i.json.id)).toEqual(EVENTS.map((e) => e.id));
    expect(new URL(worker.requests[0]?.path ?? "", "http://x").searchParams.get("since")).toBe(
      "2026-11-22T00:00:00.000Z",
    );
    worker.requests.length = 0;
    const some = await run({ resource: "event", operation: "query", limit: 3 });
    expect(some.output).toHaveLength(3);
    expect(worker.requests).toHaveLength(1);
  });

  it("reads live occupancy and lane status", async () => {
    const lot = await run({ resource: "lot", operation: "getOccupancy", parkingId: "park1" });
    expect(lot.output[0]?.json).toMatchObject({ parkingId: "park1", freeSpaces: 190 });
    const lanes = await run({ resource: "lane", operation: "getStatus", parkingId: "park1" });
    expect(lanes.output).toHaveLength(2);
    const offline = await run({ resource: "lane", operation: "getStatus", onlyOffline: true });
    expect(offline.output.map((i) => i.json.laneNo)).toEqual(["2"]);
  });

  it("carries the Worker's message and the platform's msg into the error; Continue On Fail keeps going", async () => {
    const parameters = {
      resource: "visitorGrant",
      operation: "grant",
      parkingId: "park1",
      vehicleCode: (i: number) => ["鲁A00000", "鲁A12345"][i],
      visitorName: "Wang Wu",
      visitorPhone: "13600136000",
      endsAt: "2026-11-22T10:00:00Z",
    };
    const failure = (await run(parameters).catch((error: unknown) => error)) as Error;
    expect(failure.name).toBe("NodeApiError");
    expect(failure.message).toContain("车场已满");
    const soft = await runNode(node, {
      parameters,
      items: [{ json: {} }, { json: {} }],
      credentials: { parkbridgeEdgeApi: { url: worker.url, adminToken: TOKEN } },
      credentialTypes: [new ParkbridgeEdgeApi()],
      continueOnFail: true,
    });
    expect(soft.output[0]).toEqual({ json: { error: expect.stringContaining("车场已满") }, pairedItem: { item: 0 } });
    expect(soft.output[1]).toMatchObject({ json: { id: "g1" }, pairedItem: { item: 1 } });
    const missing = (await run({ resource: "lot", operation: "getOccupancy", parkingId: "nowhere" }).catch(
      (e: unknown) => e,
    )) as Error;
    expect(missing.message).toContain("never seen");
  });

  it("the credential test passes with the admin token and fails without it", async () => {
    const type = new ParkbridgeEdgeApi();
    expect((await testCredential(type, { url: worker.url, adminToken: TOKEN })).status).toBe("OK");
    expect((await testCredential(type, { url: worker.url, adminToken: "nope" })).status).toBe("Error");
  });
});
