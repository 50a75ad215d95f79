/**
 * Parking Events Trigger, direct mode: the simulator's own signed callbacks delivered over HTTP
 * to a loopback server that hands them to the node's webhook(), as n8n would. Edge mode runs
 * against the real Worker (wrangler dev) in test/e2e/edge-trigger.test.ts, and both in a real
 * n8n in scripts/n8n-e2e.sh.
 */
import { type RunningSimulator, startSimulator } from "@parkbridge/simulator";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type {
  IDataObject,
  INodeType,
  IWebhookResponseData,
} from "../../n8n-nodes/node_modules/n8n-workflow/dist/esm/index.js";
import { ParkingEventsTrigger } from "../../n8n-nodes/nodes/ParkingEventsTrigger/ParkingEventsTrigger.node";
import { webhookContext } from "./harness";
import { startLoopback } from "./loopback";

const trigger = new ParkingEventsTrigger();

describe("Parking Events Trigger: its panel", () => {
  const { description } = trigger;
  it("keeps Mode a visible parameter: no options parameter has every value showing a credential", () => {
    // n8n's editor (getMainAuthField) hides such a parameter as the authentication switch.
    const shownBy = new Map<string, Set<string>>();
    for (const credential of description.credentials ?? []) {
      for (const [name, values] of Object.entries(credential.displayOptions?.show ?? {})) {
        for (const value of values ?? []) shownBy.set(name, (shownBy.get(name) ?? new Set()).add(String(value)));
      }
    }
    const switches = description.properties.filter(
      (p) =>
        p.type === "options" &&
        (p.options ?? []).every((o) => "value" in o && shownBy.get(p.name)?.has(String(o.value))),
    );
    expect(switches.map((p) => p.name)).toEqual([]);
    expect(description.properties[0]).toMatchObject({ name: "mode", type: "options", default: "edge" });
  });

  it("shows the edge credential in edge mode and the platform's in direct mode, with a notice for each", () => {
    const shown = (mode: string) =>
      (description.credentials ?? [])
        .filter((c) => {
          const show = c.displayOptions?.show?.mode;
          const hide = c.displayOptions?.hide?.mode;
          return (!show || show.includes(mode)) && !hide?.includes(mode);
        })
        .map((c) => c.name);
    expect(shown("edge")).toEqual(["parkbridgeEdgeApi"]);
    expect(shown("direct")).toEqual(["parkingOpenPlatformApi"]);
    const notices = description.properties.filter((p) => p.type === "notice");
    expect(notices.map((n) => n.displayOptions?.show?.mode)).toEqual([["edge"], ["direct"]]);
    expect(notices[1]?.displayName).toMatch(/Production URL.*callback address/);
  });

  it("answers with its own response body (not n8n's default, the literal firstEntryJson)", () => {
    expect(description.webhooks?.[0]).toMatchObject({ responseMode: "onReceived", responseData: "" });
  });

  it("offers every event of the one vocabulary (both platforms), all chosen by default, and a platform filter", async () => {
    const { parkingEventKinds } = await import("@parkbridge/shared");
    const events = description.properties.find((p) => p.name === "events");
    expect((events?.options ?? []).map((o) => ("value" in o ? o.value : undefined))).toEqual([...parkingEventKinds]);
    expect(events?.default).toEqual([...parkingEventKinds]);
    const platform = description.properties.find((p) => p.name === "platform");
    expect((platform?.options ?? []).map((o) => ("value" in o ? o.value : undefined))).toEqual(["", "open", "ebopark"]);
    expect(platform?.displayOptions?.show?.mode).toEqual(["edge"]);
  });
});

describe("Parking Events Trigger: directly from the platform", () => {
  let sim: RunningSimulator;
  let n8n: Awaited<ReturnType<typeof startLoopback>>;
  const runs: IDataObject[] = [];
  const staticData: IDataObject = {};
  let parameters: Record<string, unknown> = { mode: "direct" };
  /** The node as loaded by the n8n process: replaced by a fresh load to stand for a restart. */
  let node: INodeType = trigger;

  beforeAll(async () => {
    // Stands in for n8n's webhook endpoint: each request goes to the node's webhook() as n8n would.
    n8n = await startLoopback(async (request) => {
      const context = webhookContext(
        node,
        {
          parameters,
          credentials: {
            parkingOpenPlatformApi: { baseUrl: "unused", appKey: "demo-app-key", appSecret: "demo-app-secret" },
          },
          staticData,
        },
        { headers: request.headers as Record<string, string>, body: request.body },
      );
      const result = (await node.webhook?.call(context)) as IWebhookResponseData;
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
    expect(await replay.json()).toMatchObject({ code: 1, reason: "reused_signature", field: "sign" });
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

  it("runs once for 10 copies of one callback arriving at the same moment", async () => {
    parameters = { mode: "direct" };
    const [sent] = (await sim.traffic.vehicleEnters("park2", "鲁B7C0P1")) ?? [];
    expect(sent?.status).toBe(200);
    runs.length = 0;
    // The platform's retries: the same body, each with a fresh timestamp and sign, all at once.
    const { signCallback } = await import("@parkbridge/shared");
    const copies = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const timestamp = String(Date.now() + i);
        const response = await fetch(`${n8n.url}/webhook/parking-events`, {
          method: "POST",
          headers: { ...sent?.headers, timestamp, sign: signCallback("demo-app-key", timestamp, "demo-app-secret") },
          body: sent?.body,
        });
        return response.status;
      }),
    );
    expect(copies).toEqual(Array(10).fill(200));
    expect(runs).toEqual([]);
    // And 10 simultaneous copies of content never seen before (the exit's body, one byte longer,
    // so the simulator's own delivery of it does not count): one run.
    const callback = await sim.traffic.vehicleLeaves("park2", "鲁B7C0P1");
    const first = callback?.[0];
    runs.length = 0;
    const fresh = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const timestamp = String(Date.now() + 100 + i);
        const response = await fetch(`${n8n.url}/webhook/parking-events`, {
          method: "POST",
          headers: { ...first?.headers, timestamp, sign: signCallback("demo-app-key", timestamp, "demo-app-secret") },
          body: `${first?.body} `,
        });
        return response.status;
      }),
    );
    expect(fresh).toEqual(Array(10).fill(200));
    expect(runs).toHaveLength(1);
  });

  it("after a restart (a fresh load of the node, its static data kept) still knows what it ran", async () => {
    parameters = { mode: "direct" };
    const [sent] = (await sim.traffic.cameraStatus("park1", "3", false)) ?? [];
    expect(sent?.status).toBe(200);
    vi.resetModules();
    const reloaded = await import("../../n8n-nodes/nodes/ParkingEventsTrigger/ParkingEventsTrigger.node");
    // A new module instance: the process's memory of deliveries is gone, only static data remains.
    expect(reloaded.ParkingEventsTrigger).not.toBe(ParkingEventsTrigger);
    node = new reloaded.ParkingEventsTrigger();
    runs.length = 0;
    const again = await fetch(`${n8n.url}/webhook/parking-events`, {
      method: "POST",
      headers: sent?.headers,
      body: sent?.body,
    });
    expect(await again.json()).toEqual({ code: 0, msg: "操作成功" });
    expect(runs).toEqual([]);
    node = trigger;
  });
});
