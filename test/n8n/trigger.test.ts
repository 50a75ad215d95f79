/**
 * Parking Events Trigger. Edge mode: subscribe/unsubscribe against a loopback stand-in of the
 * Worker's two subscription routes, and Standard Webhooks signatures checked (signed here with
 * node:crypto, independently of the node's own code). Direct mode: the simulator's own signed
 * callbacks delivered over HTTP to a loopback server that hands them to the node's webhook().
 */
import { createHmac, randomBytes } from "node:crypto";
import { type RunningSimulator, startSimulator } from "@parkbridge/simulator";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ParkbridgeEdgeApi } from "../../n8n-nodes/credentials/ParkbridgeEdgeApi.credentials";
import type { IDataObject, IWebhookResponseData } from "../../n8n-nodes/node_modules/n8n-workflow/dist/esm/index.js";
import { ParkingEventsTrigger } from "../../n8n-nodes/nodes/ParkingEventsTrigger/ParkingEventsTrigger.node";
import { type HarnessOptions, hookContext, webhookContext } from "./harness";
import { type LoopbackRequest, startLoopback } from "./loopback";

const trigger = new ParkingEventsTrigger();

describe("Parking Events Trigger: through the edge", () => {
  const ADMIN_TOKEN = "edge-admin-token";
  const WEBHOOK_URL = "http://127.0.0.1:5678/webhook/abc/parking-events";
  const subscriptions = new Map<
    string,
    { id: string; secret: string; url: string; events?: string[]; parkingId?: string }
  >();
  let worker: Awaited<ReturnType<typeof startLoopback>>;

  beforeAll(async () => {
    // Only the two subscription routes (and the list) of the Worker's contract.
    worker = await startLoopback((request: LoopbackRequest) => {
      if (request.headers.authorization !== `Bearer ${ADMIN_TOKEN}`) {
        return { status: 401, body: { error: { code: "unauthorized", message: "bad token" } } };
      }
      if (request.method === "POST" && request.path === "/api/subscriptions") {
        const body = JSON.parse(request.body) as { url: string; events?: string[]; parkingId?: string };
        const id = `sub_${subscriptions.size + 1}`;
        const created = { id, secret: `whsec_${randomBytes(24).toString("base64")}`, ...body };
        subscriptions.set(id, created);
        return { status: 201, body: { ...created, createdAt: new Date().toISOString() } };
      }
      if (request.method === "GET" && request.path === "/api/subscriptions") {
        return { status: 200, body: { items: [...subscriptions.values()].map(({ secret: _s, ...rest }) => rest) } };
      }
      const match = /^\/api\/subscriptions\/([^/]+)$/.exec(request.path);
      if (request.method === "DELETE" && match) {
        const existed = subscriptions.delete(decodeURIComponent(match[1] as string));
        return existed
          ? { status: 204 }
          : { status: 404, body: { error: { code: "not_found", message: "no such subscription" } } };
      }
      return { status: 404, body: { error: { code: "not_found", message: "no route" } } };
    });
  });
  afterAll(async () => {
    await worker.close();
  });

  const staticData: IDataObject = {};
  const options = (): HarnessOptions => ({
    parameters: { mode: "edge", events: ["cameraStatus", "vehicleAccess"], parkingId: "park1" },
    credentials: { parkbridgeEdgeApi: { url: worker.url, adminToken: ADMIN_TOKEN } },
    credentialTypes: [new ParkbridgeEdgeApi()],
    staticData,
    webhookUrl: WEBHOOK_URL,
  });

  /** Standard Webhooks, implemented here independently: base64 HMAC-SHA256 of "id.timestamp.body". */
  function sign(secret: string, id: string, timestamp: number, body: string) {
    const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
    return `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")}`;
  }

  const delivery = (event: string, parkingId = "park1") =>
    JSON.stringify({
      deliveryId: "dlv_1",
      eventId: "evt_1",
      event,
      callbackType: event === "cameraStatus" ? "PARKING_CAMERA_ONLINE" : "PARKING_VEHICLE_ACCESS",
      parkingId,
      data: { parkingId, laneNo: "2", laneName: "东出口", status: "0", online: false, time: "2026-11-22 15:00:00" },
      raw: {},
      receivedAt: new Date().toISOString(),
    });

  async function deliver(headers: Record<string, string>, body: string) {
    const context = webhookContext(trigger, options(), { headers, body });
    const result = (await trigger.webhook.call(context)) as IWebhookResponseData;
    return { result, response: context.response };
  }

  it("subscribes on activation with the chosen events and lot, and stores the id and secret", async () => {
    const hooks = trigger.webhookMethods.default;
    expect(await hooks.checkExists.call(hookContext(trigger, options()))).toBe(false);
    expect(await hooks.create.call(hookContext(trigger, options()))).toBe(true);
    const post = worker.requests.find((r) => r.method === "POST");
    expect(JSON.parse(post?.body ?? "{}")).toEqual({
      url: WEBHOOK_URL,
      events: ["cameraStatus", "vehicleAccess"],
      parkingId: "park1",
    });
    const stored = subscriptions.get(staticData.subscriptionId as string);
    expect(stored?.secret).toBe(staticData.secret);
    expect(await hooks.checkExists.call(hookContext(trigger, options()))).toBe(true);
  });

  it("runs the workflow for a correctly signed delivery", async () => {
    const secret = staticData.secret as string;
    const body = delivery("cameraStatus");
    const now = Math.floor(Date.now() / 1000);
    const { result } = await deliver(
      {
        "webhook-id": "dlv_1",
        "webhook-timestamp": String(now),
        "webhook-signature": sign(secret, "dlv_1", now, body),
      },
      body,
    );
    expect(result.noWebhookResponse).toBeUndefined();
    expect(result.workflowData?.[0]?.[0]?.json).toMatchObject({
      event: "cameraStatus",
      parkingId: "park1",
      data: { online: false },
    });
  });

  it("rejects unsigned, badly signed, tampered and stale deliveries with 401 and no run", async () => {
    const secret = staticData.secret as string;
    const body = delivery("cameraStatus");
    const now = Math.floor(Date.now() / 1000);
    const good = sign(secret, "dlv_1", now, body);
    const cases: Array<[string, Record<string, string>, string]> = [
      ["unsigned", {}, body],
      [
        "wrong key",
        {
          "webhook-id": "dlv_1",
          "webhook-timestamp": String(now),
          "webhook-signature": sign(`whsec_${randomBytes(24).toString("base64")}`, "dlv_1", now, body),
        },
        body,
      ],
      [
        "tampered body",
        { "webhook-id": "dlv_1", "webhook-timestamp": String(now), "webhook-signature": good },
        body.replace("park1", "park2"),
      ],
      ["other id", { "webhook-id": "dlv_2", "webhook-timestamp": String(now), "webhook-signature": good }, body],
      [
        "stale",
        {
          "webhook-id": "dlv_1",
          "webhook-timestamp": String(now - 3600),
          "webhook-signature": sign(secret, "dlv_1", now - 3600, body),
        },
        body,
      ],
    ];
    for (const [what, headers, sent] of cases) {
      const { result, response } = await deliver(headers, sent);
      expect({
        what,
        noWebhookResponse: result.noWebhookResponse,
        workflowData: result.workflowData,
        status: response.statusCode,
      }).toEqual({
        what,
        noWebhookResponse: true,
        workflowData: undefined,
        status: 401,
      });
    }
  });

  it("unsubscribes on deactivation and forgets the secret", async () => {
    const id = staticData.subscriptionId as string;
    expect(await trigger.webhookMethods.default.delete.call(hookContext(trigger, options()))).toBe(true);
    const del = worker.requests.find((r) => r.method === "DELETE");
    expect(del?.path).toBe(`/api/subscriptions/${id}`);
    expect(del?.headers.authorization).toBe(`Bearer ${ADMIN_TOKEN}`);
    expect(subscriptions.has(id)).toBe(false);
    expect(staticData.subscriptionId).toBeUndefined();
    expect(staticData.secret).toBeUndefined();
    // With no secret left, nothing is accepted.
    const body = delivery("cameraStatus");
    const { response } = await deliver(
      { "webhook-id": "x", "webhook-timestamp": "1", "webhook-signature": "v1,x" },
      body,
    );
    expect(response.statusCode).toBe(401);
  });
});

describe("Parking Events Trigger: directly from the platform", () => {
  let sim: RunningSimulator;
  let n8n: Awaited<ReturnType<typeof startLoopback>>;
  const runs: IDataObject[] = [];
  const staticData: IDataObject = {};
  let parameters: Record<string, unknown> = { mode: "direct" };

  beforeAll(async () => {
    // Stands in for n8n's webhook endpoint: each request goes to the node's webhook() as n8n would.
    n8n = await startLoopback(async (request) => {
      const context = webhookContext(
        trigger,
        {
          parameters,
          credentials: {
            parkingOpenPlatformApi: { baseUrl: "unused", appKey: "demo-app-key", appSecret: "demo-app-secret" },
          },
          staticData,
        },
        { headers: request.headers as Record<string, string>, body: request.body },
      );
      const result = (await trigger.webhook.call(context)) as IWebhookResponseData;
      for (const item of result.workflowData?.[0] ?? []) runs.push(item.json);
      if (result.noWebhookResponse) return { status: context.response.statusCode ?? 500, body: context.response.body };
      return { status: 200, body: result.webhookResponse };
    });
    sim = await startSimulator({
      port: 0,
      seed: 1,
      callbackUrl: `${n8n.url}/webhook/parking-events`,
      callbackRetries: 0,
    });
  });
  afterAll(async () => {
    await sim.close();
    await n8n.close();
  });
  afterEach(() => {
    runs.length = 0;
  });

  it("verifies the platform's md5 signature, answers 操作成功 and runs the workflow", async () => {
    parameters = { mode: "direct" };
    const plate = "鲁A9D1R3";
    const [sent] = (await sim.traffic.vehicleEnters("park1", plate)) ?? [];
    expect(sent?.status).toBe(200);
    expect(runs).toEqual([
      expect.objectContaining({
        event: "vehicleAccess",
        callbackType: "PARKING_VEHICLE_ACCESS",
        parkingId: "park1",
        appKey: "demo-app-key",
        data: expect.objectContaining({ vehicleCode: plate, direction: "in" }),
      }),
    ]);
    const answer = n8n.requests.at(-1);
    expect(answer?.headers.sign).toBe(sent?.headers.sign);
  });

  it("refuses a bad sign, then acknowledges a duplicate with {code:0,msg:操作成功} without running again", async () => {
    const [sent] = (await sim.traffic.cameraStatus("park2", "1", false)) ?? [];
    const response = await fetch(`${n8n.url}/webhook/parking-events`, {
      method: "POST",
      headers: { ...sent?.headers, timestamp: String(Date.now()), sign: "0".repeat(32) },
      body: sent?.body,
    });
    expect(response.status).toBe(401);
    const again = sim.callbacks.sent.at(-1);
    expect(again?.status).toBe(200);
    // Re-deliver the simulator's own (valid) callback as-is: a duplicate is acknowledged, not run again.
    runs.length = 0;
    const duplicate = await fetch(`${n8n.url}/webhook/parking-events`, {
      method: "POST",
      headers: again?.headers,
      body: again?.body,
    });
    expect(await duplicate.json()).toEqual({ code: 0, msg: "操作成功" });
    expect(runs).toEqual([]);
  });

  it("rejects a forged sign, a replayed sign with another body and an unknown appKey: 401, no run", async () => {
    const [sent] = (await sim.traffic.cameraStatus("park1", "2", false)) ?? [];
    if (!sent) throw new Error("no callback was sent");
    runs.length = 0;
    const post = (headers: Record<string, string>, body: string) =>
      fetch(`${n8n.url}/webhook/parking-events`, { method: "POST", headers, body });
    const forged = await post({ ...sent.headers, sign: "f".repeat(32) }, sent.body);
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({ code: 1, reason: "bad_sign" });
    const replay = await post(
      sent.headers,
      sent.body.replace('"status":0', '"status":1').replace('"status":"0"', '"status":"1"'),
    );
    expect(replay.status).toBe(401);
    const stranger = await post({ ...sent.headers, appKey: "someone-else" }, sent.body);
    expect(stranger.status).toBe(401);
    expect(await stranger.json()).toMatchObject({ reason: "unknown_app_key" });
    expect(runs).toEqual([]);
  });

  it("acknowledges but does not run for events or lots not chosen", async () => {
    parameters = { mode: "direct", events: ["cameraStatus"], parkingId: "park3" };
    const [access] = (await sim.traffic.vehicleEnters("park3", "鲁A5K7M2")) ?? [];
    expect(access?.status).toBe(200);
    const [otherLot] = (await sim.traffic.cameraStatus("park2", "2", false)) ?? [];
    expect(otherLot?.status).toBe(200);
    expect(runs).toEqual([]);
    const [wanted] = (await sim.traffic.cameraStatus("park3", "1", false)) ?? [];
    expect(wanted?.status).toBe(200);
    expect(runs).toEqual([
      expect.objectContaining({
        event: "cameraStatus",
        parkingId: "park3",
        data: expect.objectContaining({ online: false }),
      }),
    ]);
  });
});
