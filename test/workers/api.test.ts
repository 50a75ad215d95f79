/**
 * The read API: bearer authentication on every /api/* route (including routes other modules
 * mount), cursor pagination and filters over stored events, clear 400s, and the OpenAPI
 * document generated from the same schemas.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, apiJson, cameraStatus, sendCallback, uniqueLot, vehicleAccess } from "./ingest-support.js";

const raw = (path: string, headers: Record<string, string> = {}) =>
  exports.default.fetch(`http://worker${path}`, { headers });

describe("authentication", () => {
  const routes = [
    "/api/events",
    "/api/lots/park123",
    "/api/lanes",
    "/api/subscriptions",
    "/api/deliveries",
    "/api/visitor-grants",
    "/api/a-route-nobody-wrote",
  ];

  it.each(routes)("%s refuses a request without a token", async (path) => {
    const response = await raw(path);
    expect(response.status).toBe(401);
    expect(response.headers.get("WWW-Authenticate")).toMatch(/^Bearer/);
    expect(await response.json()).toMatchObject({ error: { code: "unauthorized" } });
  });

  it.each(routes)("%s refuses a wrong token", async (path) => {
    for (const token of [
      "Bearer wrong",
      "Bearer test-admin-token-but-longer",
      "Bearer test-admin-toke",
      "test-admin-token",
    ]) {
      const response = await raw(path, { Authorization: token });
      expect(response.status, token).toBe(401);
    }
  });

  it("accepts the right token; /healthz and /openapi.json need none", async () => {
    expect((await api("/api/events")).status).toBe(200);
    expect((await raw("/api/events", { Authorization: "bearer   test-admin-token" })).status).toBe(200);
    expect(await (await raw("/healthz")).json()).toEqual({ ok: true });
    expect((await raw("/openapi.json")).status).toBe(200);
  });
});

describe("GET /api/events", () => {
  it("pages newest first with an opaque cursor, each event exactly once", async () => {
    const parkingId = uniqueLot("page");
    const sent: string[] = [];
    for (let i = 0; i < 7; i++) {
      const plate = `京B0000${i}`;
      sent.push(plate);
      expect((await sendCallback(vehicleAccess({ parkingId, vehicleCode: plate }))).status).toBe(200);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { items: Array<{ vehicleCode: string; receivedAt: string }>; nextCursor: string | null } =
        await apiJson(`/api/events?parkingId=${parkingId}&limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...page.items.map((item) => item.vehicleCode));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...sent].reverse());
  });

  it("filters by type, vehicle and received time", async () => {
    const parkingId = uniqueLot("filter");
    const start = new Date().toISOString();
    await sendCallback(vehicleAccess({ parkingId, vehicleCode: "京C11111" }));
    await sendCallback(vehicleAccess({ parkingId, vehicleCode: "京C22222" }));
    await sendCallback(cameraStatus({ parkingId }));
    const list = async (query: string) =>
      (
        await apiJson<{ items: Array<{ event: string; vehicleCode: string | null }> }>(
          `/api/events?parkingId=${parkingId}&${query}`,
        )
      ).items;
    expect((await list("type=cameraStatus")).map((e) => e.event)).toEqual(["cameraStatus"]);
    expect((await list("vehicleCode=京C22222")).map((e) => e.vehicleCode)).toEqual(["京C22222"]);
    expect(await list(`since=${encodeURIComponent(start)}`)).toHaveLength(3);
    expect(await list(`until=${encodeURIComponent(start)}`)).toHaveLength(0);
    // 16:00+08:00 is 08:00Z: after 07:00Z, so the range is empty, which is refused.
    const reversed = await api("/api/events?since=2026-11-22T16:00:00%2B08:00&until=2026-11-22T07:00:00Z");
    expect(reversed.status).toBe(400);
    expect(await reversed.json()).toMatchObject({ error: { field: "since" } });
  });

  it.each([
    ["limit=0", "limit"],
    ["limit=501", "limit"],
    ["limit=ten", "limit"],
    ["type=parkingFull", "type"],
    ["since=yesterday", "since"],
    ["since=2026-11-22T08:00:00", "since"],
    ["cursor=not-a-cursor", "cursor"],
  ])("refuses %s with 400 naming %s", async (query, field) => {
    const response = await api(`/api/events?${query}`);
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; field: string; message: string } };
    expect(body.error).toMatchObject({ code: "invalid_input", field });
    expect(body.error.message).toContain(field);
  });
});

describe("GET /openapi.json", () => {
  it("is an OpenAPI 3.1 document of every route, with bearer security on the API", async () => {
    const doc = (await (await raw("/openapi.json")).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { security?: unknown[]; requestBody?: unknown }>>;
      components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe("3.1.0");
    for (const [path, method] of [
      ["/callbacks", "post"],
      ["/healthz", "get"],
      ["/api/events", "get"],
      ["/api/lots/{parkingId}", "get"],
      ["/api/lanes", "get"],
      ["/api/subscriptions", "post"],
      ["/api/subscriptions", "get"],
      ["/api/subscriptions/{id}", "delete"],
      ["/api/deliveries", "get"],
      ["/api/deliveries/{id}/retry", "post"],
      ["/api/visitor-grants", "post"],
    ] as const) {
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
    expect(doc.paths["/api/events"]?.get?.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.paths["/callbacks"]?.post?.requestBody).toBeDefined();
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(["EventRecord", "Callback", "Subscription", "Delivery", "Error"]),
    );
  });
});
