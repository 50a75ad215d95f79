/**
 * The Parking Events Trigger in edge mode against the real Worker (`wrangler dev`: workerd, local
 * D1 and Queues): it subscribes on activation, the simulator's signed callbacks reach it through the
 * Worker's queue, each delivery runs the workflow once, and copies run nothing: a replay of a
 * delivered one, 10 copies of a new one at the same moment, the Worker's retry after an answer it
 * never got. It unsubscribes on deactivation. A loopback server stands in for n8n's webhook
 * endpoint and hands each request to the node's webhook(), as n8n does (the real n8n runs the same
 * chain in scripts/n8n-e2e.sh).
 */
import { randomBytes } from "node:crypto";
import { type RunningSimulator, startSimulator } from "@parkbridge/simulator";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ParkbridgeEdgeApi } from "../../n8n-nodes/credentials/ParkbridgeEdgeApi.credentials";
import type { IDataObject, IWebhookResponseData } from "../../n8n-nodes/node_modules/n8n-workflow/dist/esm/index.js";
import { ParkingEventsTrigger } from "../../n8n-nodes/nodes/ParkingEventsTrigger/ParkingEventsTrigger.node";
import { type HarnessOptions, hookContext, webhookContext } from "../n8n/harness";
import { type LoopbackRequest, startLoopback } from "../n8n/loopback";
import { type RunningWorker, startWorker } from "./helpers/wrangler-dev";

const ADMIN_TOKEN = "edge-trigger-admin-token";
const trigger = new ParkingEventsTrigger();

let worker: RunningWorker;
let sim: RunningSimulator;
let n8n: Awaited<ReturnType<typeof startLoopback>>;
const staticData: IDataObject = {};
/** Every run the trigger started: its delivery. */
const runs: IDataObject[] = [];
/** What the stand-in for n8n does with the next delivery of a plate: hold it, or lose its answer. */
const plans = new Map<string, "hold" | "loseAnswer">();
const held: LoopbackRequest[] = [];

const options = (): HarnessOptions => ({
  parameters: { mode: "edge", events: ["vehicleAccess"], parkingId: "park1" },
  credentials: { parkbridgeEdgeApi: { url: worker.url, adminToken: ADMIN_TOKEN } },
  credentialTypes: [new ParkbridgeEdgeApi()],
  staticData,
  webhookUrl: `${n8n.url}/webhook/edge/parking-events`,
});

async function deliver(request: Pick<LoopbackRequest, "headers" | "body">) {
  const context = webhookContext(trigger, options(), {
    headers: request.headers as Record<string, string>,
    body: request.body,
  });
  const result = (await trigger.webhook.call(context)) as IWebhookResponseData;
  for (const item of result.workflowData?.[0] ?? []) runs.push(item.json);
  return result.noWebhookResponse
    ? { status: context.response.statusCode ?? 500, body: context.response.body }
    : { status: 200, body: result.webhookResponse };
}

const api = async (path: string) =>
  (await (await fetch(`${worker.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as {
    items: Array<Record<string, unknown>>;
  };
const runsOf = (plate: string) => runs.filter((run) => (run.data as IDataObject).vehicleCode === plate);

beforeAll(async () => {
  n8n = await startLoopback(async (request) => {
    const plate = (JSON.parse(request.body || "{}") as { data?: { vehicleCode?: string } }).data?.vehicleCode ?? "";
    const plan = plans.get(plate);
    plans.delete(plate);
    if (plan === "hold") {
      held.push(request);
      return { status: 503, body: { error: "held by the test" } };
    }
    const answer = await deliver(request);
    return plan === "loseAnswer" ? { status: 500, body: { error: "the answer was lost" } } : answer;
  });
  worker = await startWorker({
    vars: {
      // Nothing here calls the platform: the Worker only ingests and delivers.
      PLATFORM_BASE_URL: "http://127.0.0.1:9",
      PLATFORM_APP_KEY: "demo-app-key",
      PLATFORM_APP_SECRET: "demo-app-secret",
      ADMIN_TOKEN,
      DELIVERY_RETRY_BASE_SECONDS: "1",
      DELIVERY_TIMEOUT_MS: "5000",
    },
  });
  sim = await startSimulator({ port: 0, seed: 7, callbackUrl: `${worker.url}/callbacks`, callbackRetries: 0 });
}, 180_000);

afterAll(async () => {
  await sim?.close();
  await worker?.stop();
  await n8n?.close();
});

describe("the trigger in edge mode, on the real Worker", () => {
  it("subscribes on activation", async () => {
    const hooks = trigger.webhookMethods.default;
    expect(await hooks.checkExists.call(hookContext(trigger, options()))).toBe(false);
    expect(await hooks.create.call(hookContext(trigger, options()))).toBe(true);
    expect(staticData.subscriptionId).toMatch(/^sub_/);
    expect(await hooks.checkExists.call(hookContext(trigger, options()))).toBe(true);
    const { items } = await api("/api/subscriptions");
    expect(items).toContainEqual(
      expect.objectContaining({ id: staticData.subscriptionId, events: ["vehicleAccess"], parkingId: "park1" }),
    );
  });

  it("runs each delivered event once; a replay of a delivered one is acknowledged and runs nothing", async () => {
    const plates = ["鲁A7E1G1", "鲁A7E1G2", "鲁A7E1G3"];
    for (const plate of plates) expect((await sim.traffic.vehicleEnters("park1", plate))?.[0]?.status).toBe(200);
    await vi.waitFor(() => expect(plates.map((p) => runsOf(p).length)).toEqual([1, 1, 1]), { timeout: 20_000 });
    const original = n8n.requests.find((r) => r.body.includes(plates[0] as string));
    if (!original) throw new Error("no delivery reached the stand-in");
    const replay = await deliver(original);
    expect(replay).toEqual({
      status: 200,
      body: { received: true, deliveryId: original.headers["webhook-id"], duplicate: true },
    });
    expect(runsOf(plates[0] as string)).toHaveLength(1);
  });

  it("runs once for 10 copies of one delivery sent at the same moment", async () => {
    const plate = "鲁A7E1G4";
    plans.set(plate, "hold");
    await sim.traffic.vehicleEnters("park1", plate);
    await vi.waitFor(() => expect(held.some((r) => r.body.includes(plate))).toBe(true), { timeout: 20_000 });
    const delivery = held.find((r) => r.body.includes(plate)) as LoopbackRequest;
    const answers = await Promise.all(Array.from({ length: 10 }, () => deliver(delivery)));
    expect(runsOf(plate)).toHaveLength(1);
    const statuses = answers.map((a) => a.status).sort();
    // One started it; the others were told it started (200) or was being started (409: retried later).
    expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
    expect(answers.filter((a) => (a.body as IDataObject)?.started)).toHaveLength(1);
    // The Worker's own retry of the held delivery: acknowledged, nothing more runs.
    await vi.waitFor(
      async () => {
        const { items } = await api(`/api/deliveries?subscriptionId=${staticData.subscriptionId}&status=delivered`);
        expect(items.some((d) => d.id === delivery.headers["webhook-id"])).toBe(true);
      },
      { timeout: 30_000, interval: 250 },
    );
    expect(runsOf(plate)).toHaveLength(1);
  });

  it("does not run again when the Worker retries a delivery whose answer it never got", async () => {
    const plate = "鲁A7E1G5";
    plans.set(plate, "loseAnswer");
    await sim.traffic.vehicleEnters("park1", plate);
    await vi.waitFor(
      async () => {
        const { items } = await api(`/api/deliveries?subscriptionId=${staticData.subscriptionId}&status=delivered`);
        const attempts = n8n.requests.filter((r) => r.body.includes(plate));
        expect(attempts.length).toBeGreaterThanOrEqual(2);
        expect(items.some((d) => d.id === attempts[0]?.headers["webhook-id"])).toBe(true);
      },
      { timeout: 30_000, interval: 250 },
    );
    expect(runsOf(plate)).toHaveLength(1);
    const [delivered] = (await api(`/api/deliveries?subscriptionId=${staticData.subscriptionId}`)).items.filter((d) =>
      n8n.requests.some((r) => r.body.includes(plate) && r.headers["webhook-id"] === d.id),
    );
    expect(delivered).toMatchObject({ status: "delivered", claimConfirmedAt: expect.any(String) });
  });

  it("refuses forged deliveries with 401 and runs nothing", async () => {
    const before = runs.length;
    const body = JSON.stringify({ deliveryId: "dlv_forged", event: "vehicleAccess", parkingId: "park1", data: {} });
    const forged = await deliver({
      headers: {
        "webhook-id": "dlv_forged",
        "webhook-timestamp": String(Math.floor(Date.now() / 1000)),
        "webhook-signature": `v1,${randomBytes(32).toString("base64")}`,
      },
      body,
    });
    expect(forged.status).toBe(401);
    expect(runs.length).toBe(before);
  });

  it("makes its subscription again when its Personal Data choice changes, and full data then arrives", async () => {
    const masked = staticData.subscriptionId;
    const full = (): HarnessOptions => ({
      ...options(),
      parameters: { ...options().parameters, personalData: "full" },
    });
    const hooks = trigger.webhookMethods.default;
    // The old subscription is removed when n8n checks it, so the same URL is never subscribed twice.
    expect(await hooks.checkExists.call(hookContext(trigger, full()))).toBe(false);
    expect((await api("/api/subscriptions")).items.map((s) => s.id)).not.toContain(masked);
    expect(await hooks.create.call(hookContext(trigger, full()))).toBe(true);
    expect(await hooks.checkExists.call(hookContext(trigger, full()))).toBe(true);
    expect((await api("/api/subscriptions")).items).toContainEqual(
      expect.objectContaining({ id: staticData.subscriptionId, personalData: "full" }),
    );
    const plate = "鲁A7E1G9";
    await sim.traffic.vehicleEnters("park1", plate);
    await vi.waitFor(() => expect(runsOf(plate)).toHaveLength(1), { timeout: 20_000 });
    expect(runsOf(plate)[0]).toHaveProperty("raw");
  });

  it("unsubscribes on deactivation", async () => {
    const id = staticData.subscriptionId;
    expect(await trigger.webhookMethods.default.delete.call(hookContext(trigger, options()))).toBe(true);
    const { items } = await api("/api/subscriptions");
    expect(items.map((s) => s.id)).not.toContain(id);
    expect(staticData.secret).toBeUndefined();
  });
});
