/**
 * Event delivery in the Workers runtime: real D1, the real queue (Miniflare) and its consumer,
 * and a real HTTP subscriber (the webhook sink in Node). At least once, signed, filtered,
 * retried with backoff, dead-lettered and re-sendable, and never in the way of ingestion.
 */
import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { verifyWebhook } from "@parkbridge/shared";
import { describe, expect, it } from "vitest";
import { COMMITTED_OUTCOME_SQL } from "../../workers/src/callbacks/store.js";
import { RECONCILE_GRACE_MS, reconcileDeliveries } from "../../workers/src/delivery/reconcile.js";
import type { Env } from "../../workers/src/env.js";
import worker from "../../workers/src/index.js";
import {
  deliveriesOf,
  eventually,
  hookName,
  type SinkRequest,
  signatureVerifies,
  sinkMode,
  sinkRequests,
  subscribe,
} from "./delivery-support.js";
import { api, apiJson, cameraStatus, sendCallback, signedHeaders, uniqueLot, vehicleAccess } from "./ingest-support.js";

const workerEnv = env as unknown as Env;
const bodyOf = (request: SinkRequest) =>
  JSON.parse(request.body) as Record<string, unknown> & { data: Record<string, unknown> };

describe("subscriptions", () => {
  it("are created with a Standard Webhooks secret, listed without it, and deleted", async () => {
    const created = await subscribe(hookName("crud"), { events: ["vehicleAccess"], parkingId: "p1" });
    expect(created).toMatchObject({ events: ["vehicleAccess"], parkingId: "p1" });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);

    const listed = await apiJson<{ items: Array<Record<string, unknown>> }>("/api/subscriptions");
    const mine = listed.items.find((s) => s.id === created.id);
    expect(mine).toMatchObject({ url: created.url, events: ["vehicleAccess"], parkingId: "p1" });
    expect(mine).not.toHaveProperty("secret");

    expect((await api(`/api/subscriptions/${created.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await api(`/api/subscriptions/${created.id}`, { method: "DELETE" })).status).toBe(404);
    const after = await apiJson<{ items: Array<{ id: string }> }>("/api/subscriptions");
    expect(after.items.map((s) => s.id)).not.toContain(created.id);
  });

  it.each([
    [{ url: "ftp://example.com/hook" }, "url"],
    [{ url: "not a url" }, "url"],
    [{}, "url"],
    [{ url: "https://example.com/hook", events: ["parkingFull"] }, "events.0"],
    [{ url: "https://example.com/hook", events: [] }, "events"],
  ])("refuses %j naming %s", async (body, field) => {
    const response = await api("/api/subscriptions", { method: "POST", body: JSON.stringify(body) });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: "invalid_input", field } });
  });
});

describe("delivery", () => {
  it("delivers each matching event once, signed so that the signature verifies", async () => {
    const parkingId = uniqueLot("once");
    const name = hookName("once");
    const subscription = await subscribe(name, { parkingId });

    const plates = ["京D00001", "京D00002", "京D00003"];
    for (const plate of plates) {
      expect((await sendCallback(vehicleAccess({ parkingId, vehicleCode: plate }))).status).toBe(200);
    }
    await sendCallback(vehicleAccess({ parkingId: uniqueLot("other") }));

    const delivered = await eventually(async () => {
      const items = await deliveriesOf(subscription.id, "delivered");
      expect(items).toHaveLength(3);
      return items;
    });
    const requests = await sinkRequests(name);
    expect(requests).toHaveLength(3);
    expect(new Set(requests.map((r) => r.headers["webhook-id"]))).toEqual(new Set(delivered.map((d) => d.id)));
    for (const request of requests) {
      expect(await signatureVerifies(subscription.secret, request)).toBe(true);
      // What the n8n trigger verifies with (shared's verifyWebhook) accepts it too, here on workerd.
      const received = {
        id: request.headers["webhook-id"],
        timestamp: request.headers["webhook-timestamp"],
        signature: request.headers["webhook-signature"],
      };
      expect(await verifyWebhook(subscription.secret, received, request.body)).toEqual({ ok: true });
      expect(Math.abs(Number(request.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(600);
      // A tampered body does not verify.
      expect(await signatureVerifies(subscription.secret, { ...request, body: request.body.replace("京", "沪") })).toBe(
        false,
      );
    }
    const bodies = requests.map(bodyOf);
    expect(bodies.map((b) => b.data.vehicleCode).sort()).toEqual(plates);
    const events = await apiJson<{ items: Array<{ id: string; receivedAt: string }> }>(
      `/api/events?parkingId=${parkingId}`,
    );
    for (const body of bodies) {
      const event = events.items.find((e) => e.id === body.eventId);
      expect(body).toMatchObject({
        deliveryId: expect.stringMatching(/^dlv_/),
        event: "vehicleAccess",
        callbackType: "PARKING_VEHICLE_ACCESS",
        parkingId,
        receivedAt: event?.receivedAt,
        data: expect.objectContaining({ parkingId, direction: "in" }),
      });
      // The raw body only goes to a subscription that opted in to full personal data (privacy.test.ts).
      expect(body).not.toHaveProperty("raw");
    }
  });

  it("filters by event and by parking lot", async () => {
    const lotA = uniqueLot("fa");
    const lotB = uniqueLot("fb");
    const cameras = hookName("cameras");
    const lotBHook = hookName("lotb");
    const cameraSub = await subscribe(cameras, { events: ["cameraStatus"], parkingId: lotA });
    const lotBSub = await subscribe(lotBHook, { parkingId: lotB });

    await sendCallback(cameraStatus({ parkingId: lotA, laneNo: "1" }));
    await sendCallback(vehicleAccess({ parkingId: lotA }));
    await sendCallback(vehicleAccess({ parkingId: lotB, vehicleCode: "京E00001" }));
    await sendCallback(cameraStatus({ parkingId: lotB, laneNo: "2" }));

    await eventually(async () => {
      expect(await deliveriesOf(cameraSub.id, "delivered")).toHaveLength(1);
      expect(await deliveriesOf(lotBSub.id, "delivered")).toHaveLength(2);
    });
    const cameraBodies = (await sinkRequests(cameras)).map(bodyOf);
    expect(cameraBodies.map((b) => [b.event, b.parkingId])).toEqual([["cameraStatus", lotA]]);
    const lotBBodies = (await sinkRequests(lotBHook)).map(bodyOf);
    expect(lotBBodies.map((b) => b.event).sort()).toEqual(["cameraStatus", "vehicleAccess"]);
    expect(lotBBodies.every((b) => b.parkingId === lotB)).toBe(true);
  });

  it("a subscriber down for a while receives everything once it is back", async () => {
    const parkingId = uniqueLot("down");
    const name = hookName("down");
    await sinkMode(name, { down: true, status: 503 });
    const subscription = await subscribe(name, { parkingId });
    for (let i = 0; i < 3; i++) await sendCallback(vehicleAccess({ parkingId, vehicleCode: `京F0000${i}` }));

    // Every delivery failed at least once, and is waiting for its retry.
    await eventually(async () => {
      const failed = await deliveriesOf(subscription.id, "failed");
      expect(failed).toHaveLength(3);
      expect(failed.every((d) => d.lastStatus === 503 && /HTTP 503/.test(d.lastError ?? ""))).toBe(true);
    });
    await sinkMode(name, { down: false });

    await eventually(async () => expect(await deliveriesOf(subscription.id, "delivered")).toHaveLength(3));
    const requests = await sinkRequests(name);
    const accepted = requests.filter((r) => r.answered === 200);
    expect(accepted).toHaveLength(3);
    expect(new Set(accepted.map((r) => bodyOf(r).data.vehicleCode))).toEqual(
      new Set(["京F00000", "京F00001", "京F00002"]),
    );
    // Retries are the same delivery: the webhook-id stays, so a receiver can deduplicate.
    const ids = new Set(requests.map((r) => r.headers["webhook-id"]));
    expect(ids.size).toBe(3);
  });

  it("a subscriber that keeps failing ends dead, visible, and re-sendable", async () => {
    const parkingId = uniqueLot("dead");
    const name = hookName("dead");
    await sinkMode(name, { down: true, status: 500 });
    const subscription = await subscribe(name, { parkingId });
    await sendCallback(cameraStatus({ parkingId }));

    const [dead] = await eventually(async () => {
      const items = await deliveriesOf(subscription.id, "dead");
      expect(items).toHaveLength(1);
      return items;
    }, 25_000);
    // DELIVERY_MAX_ATTEMPTS is 4 in the tests.
    expect(dead).toMatchObject({ attempts: 4, lastStatus: 500 });
    expect((await sinkRequests(name)).length).toBe(4);

    await sinkMode(name, { down: false });
    const retry = await api(`/api/deliveries/${dead?.id}/retry`, { method: "POST" });
    expect(retry.status).toBe(202);
    await eventually(async () => expect(await deliveriesOf(subscription.id, "delivered")).toHaveLength(1));
    expect((await sinkRequests(name)).at(-1)?.answered).toBe(200);

    const again = await api(`/api/deliveries/${dead?.id}/retry`, { method: "POST" });
    expect(again.status).toBe(409);
    expect((await api("/api/deliveries/dlv_nope/retry", { method: "POST" })).status).toBe(404);
  });

  it("ingestion answers without waiting for subscribers, and one stuck subscriber holds up no other", async () => {
    const parkingId = uniqueLot("hold");
    const stuck = hookName("stuck");
    const healthy = hookName("healthy");
    await sinkMode(stuck, { hold: true });
    const stuckSub = await subscribe(stuck, { parkingId });
    const healthySub = await subscribe(healthy, { parkingId });

    // The stuck subscriber never answers while held: had the callback waited for it, this
    // would not return.
    const response = await sendCallback(vehicleAccess({ parkingId }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ code: 0, msg: "操作成功" });

    // The healthy subscriber gets its delivery while the stuck one's request is still open.
    await eventually(async () => expect(await deliveriesOf(healthySub.id, "delivered")).toHaveLength(1));
    await eventually(async () => expect(await sinkRequests(stuck)).toHaveLength(1));
    expect((await sinkRequests(stuck))[0]?.answered).toBeNull();

    // The stuck attempt times out (DELIVERY_TIMEOUT_MS) and is retried; released, it succeeds.
    await eventually(async () => {
      const [failed] = await deliveriesOf(stuckSub.id, "failed");
      expect(failed?.lastError).toMatch(/did not answer \(no connection, or no answer within 3000 ms\)/);
    });
    await sinkMode(stuck, { hold: false });
    await eventually(async () => expect(await deliveriesOf(stuckSub.id, "delivered")).toHaveLength(1));
  });
});

describe("recovery", () => {
  it("the cron re-enqueues an outbox row whose queue message was lost", async () => {
    const parkingId = uniqueLot("lost");
    const name = hookName("lost");
    await sendCallback(vehicleAccess({ parkingId }));
    const subscription = await subscribe(name, { parkingId });
    // The event predates the subscription, so no message was sent: an outbox row written but
    // never enqueued, exactly what a lost send leaves behind.
    const event = await env.DB.prepare("SELECT id FROM events WHERE parking_id = ?")
      .bind(parkingId)
      .first<{ id: string }>();
    const now = new Date().toISOString();
    await env.DB.prepare(
      `INSERT INTO deliveries (id, subscription_id, event_id, status, next_attempt_at, created_at, updated_at)
       VALUES ('dlv_lost_' || ?1, ?2, ?1, 'pending', ?3, ?3, ?3)`,
    )
      .bind(event?.id, subscription.id, now)
      .run();

    // A cron run ten minutes later (past the grace period) sends it.
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now() + 10 * 60_000 }), workerEnv, ctx);
    await waitOnExecutionContext(ctx);
    await eventually(async () => expect(await deliveriesOf(subscription.id, "delivered")).toHaveLength(1));
    expect((await sinkRequests(name)).map((r) => bodyOf(r).eventId)).toEqual([event?.id]);
  });

  it("a callback whose D1 answer is lost after the commit is answered 200, stored once, and delivered at once", async () => {
    const parkingId = uniqueLot("lost-answer");
    const name = hookName("lost-answer");
    const subscription = await subscribe(name, { parkingId });
    // D1 whose next batch commits, then reports "Network connection lost." (its answer lost).
    let lose = 1;
    const db = new Proxy(workerEnv.DB, {
      get(target, property) {
        if (property === "batch") {
          return async (statements: D1PreparedStatement[]) => {
            const results = await target.batch(statements);
            if (lose-- > 0) throw new Error("D1_ERROR: Network connection lost.");
            return results;
          };
        }
        const value = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const ctx = createExecutionContext();
    const response = await worker.fetch(
      new Request("http://worker/callbacks", {
        method: "POST",
        headers: signedHeaders(),
        body: JSON.stringify(vehicleAccess({ parkingId })),
      }),
      { ...workerEnv, DB: db },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(200);
    expect(lose).toBe(0); // the one lost answer happened
    const stored = await env.DB.prepare("SELECT count(*) AS n FROM events WHERE parking_id = ?")
      .bind(parkingId)
      .first<{ n: number }>();
    expect(stored?.n).toBe(1);
    // No cron runs here: only an immediate send can deliver it.
    await eventually(async () => expect(await deliveriesOf(subscription.id, "delivered")).toHaveLength(1), 10_000);
  });

  it("finds a committed callback's outbox rows through the (subscription_id, event_id) index, not a scan", async () => {
    const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${COMMITTED_OUTCOME_SQL}`)
      .bind("evt_x")
      .all<{ detail: string }>();
    const details = plan.results.map((r) => r.detail);
    expect(details.some((d) => /SEARCH dl USING INDEX .*\(subscription_id=\? AND event_id=\?\)/.test(d))).toBe(true);
    expect(details.filter((d) => /SCAN dl\b/.test(d))).toEqual([]);
  });

  it("overlapping cron runs claim a lost row once, and it is not due again until a grace period later", async () => {
    const parkingId = uniqueLot("claim");
    await sendCallback(vehicleAccess({ parkingId }));
    const subscription = await subscribe(hookName("claim"), { parkingId });
    const event = await env.DB.prepare("SELECT id FROM events WHERE parking_id = ?")
      .bind(parkingId)
      .first<{ id: string }>();
    const id = `dlv_claim_${event?.id}`;
    const due = new Date().toISOString();
    await env.DB.prepare(
      `INSERT INTO deliveries (id, subscription_id, event_id, status, next_attempt_at, created_at, updated_at)
       VALUES (?1, ?2, ?3, 'failed', ?4, ?4, ?4)`,
    )
      .bind(id, subscription.id, event?.id, due)
      .run();
    // The queue binding records what is sent (its consumer would deliver the row and end the test's
    // story); D1 is the real one.
    const sent: string[] = [];
    const recording = {
      ...workerEnv,
      DELIVERIES: {
        sendBatch: async (messages: Iterable<{ body: { deliveryId: string } }>) => {
          for (const message of messages) sent.push(message.body.deliveryId);
        },
      },
    } as unknown as Env;

    // Two runs at the same instant (a slow run overlapping the next minute's): one claims it.
    const at = Date.now() + 10 * 60_000;
    const [first, second] = await Promise.all([reconcileDeliveries(recording, at), reconcileDeliveries(recording, at)]);
    expect([...(first ?? []), ...(second ?? [])].filter((claimed) => claimed === id)).toEqual([id]);
    expect(sent.filter((deliveryId) => deliveryId === id)).toEqual([id]);
    // A minute later it is not due again (its message is on its way); a grace period later it is.
    expect(await reconcileDeliveries(recording, at + 60_000)).not.toContain(id);
    expect(await reconcileDeliveries(recording, at + RECONCILE_GRACE_MS)).toContain(id);
    expect(sent.filter((deliveryId) => deliveryId === id)).toEqual([id, id]);
  });

  it("a message on the dead-letter queue marks its delivery dead", async () => {
    const parkingId = uniqueLot("dlq");
    const name = hookName("dlq");
    await sinkMode(name, { hold: true });
    const subscription = await subscribe(name, { parkingId });
    await sendCallback(cameraStatus({ parkingId }));
    const [pending] = await deliveriesOf(subscription.id);
    expect(pending).toBeDefined();

    const batch = createMessageBatch("parkbridge-deliveries-dlq", [
      { id: "m1", timestamp: new Date(), attempts: 21, body: { deliveryId: pending?.id as string } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, workerEnv, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual(["m1"]);
    const [dead] = await deliveriesOf(subscription.id, "dead");
    expect(dead?.id).toBe(pending?.id);
    await sinkMode(name, { hold: false });
  });
});
