/**
 * Delivery claims (workers/src/delivery/claims.ts) on real D1: one request of many claims a
 * delivery, the same token may claim again, a confirmed claim is final, an unconfirmed one lapses,
 * a delivered delivery is `started`, and copies claiming at the same moment get one winner.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  type CreatedSubscription,
  deliveriesOf,
  eventually,
  hookName,
  sinkMode,
  subscribe,
} from "./delivery-support.js";
import { api, sendCallback, uniqueLot, vehicleAccess } from "./ingest-support.js";

interface ClaimAnswer {
  deliveryId: string;
  claimed: boolean;
  state: "claimed" | "started" | "in_progress";
  expiresAt: string | null;
}

const token = (label: string) => `${label}-${crypto.randomUUID().replaceAll("-", "")}`;

async function claim(deliveryId: string, body: { subscriptionId: string; token: string }) {
  const response = await api(`/api/deliveries/${deliveryId}/claim`, { method: "POST", body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as ClaimAnswer & { error?: { code: string } } };
}

async function confirm(deliveryId: string, claimToken: string) {
  const response = await api(`/api/deliveries/${deliveryId}/claim/confirm`, {
    method: "POST",
    body: JSON.stringify({ token: claimToken }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** A delivery its subscriber never acknowledges (the sink is down), so only claims change it. */
async function undeliveredDelivery(): Promise<{ subscription: CreatedSubscription; deliveryId: string }> {
  const name = hookName("claims");
  await sinkMode(name, { down: true });
  const parkingId = uniqueLot("claims");
  const subscription = await subscribe(name, { parkingId });
  expect((await sendCallback(vehicleAccess({ parkingId }))).status).toBe(200);
  const [delivery] = await eventually(async () => {
    const items = await deliveriesOf(subscription.id);
    expect(items).toHaveLength(1);
    return items;
  });
  return { subscription, deliveryId: delivery?.id as string };
}

describe("delivery claims", () => {
  it("the first token claims; the same token again still holds it; another gets in_progress", async () => {
    const { subscription, deliveryId } = await undeliveredDelivery();
    const mine = token("mine");
    const first = await claim(deliveryId, { subscriptionId: subscription.id, token: mine });
    expect(first).toMatchObject({ status: 200, body: { deliveryId, claimed: true, state: "claimed" } });
    expect(Date.parse(first.body.expiresAt as string)).toBeGreaterThan(Date.now());
    // The claim's answer was lost: the same request claims again and still holds it (the lease renewed).
    const again = await claim(deliveryId, { subscriptionId: subscription.id, token: mine });
    expect(again.body.claimed).toBe(true);
    const other = await claim(deliveryId, { subscriptionId: subscription.id, token: token("other") });
    expect(other.body).toMatchObject({ claimed: false, state: "in_progress", expiresAt: again.body.expiresAt });
  });

  it("a confirmed claim is final: later copies are told it started, even after the lease", async () => {
    const { subscription, deliveryId } = await undeliveredDelivery();
    const mine = token("mine");
    expect((await claim(deliveryId, { subscriptionId: subscription.id, token: mine })).body.claimed).toBe(true);
    const confirmed = await confirm(deliveryId, mine);
    expect(confirmed).toMatchObject({ status: 200, body: { deliveryId, confirmed: true } });
    // Idempotent: the first confirmation time stays.
    expect((await confirm(deliveryId, mine)).body.confirmedAt).toBe(confirmed.body.confirmedAt);
    await env.DB.prepare("UPDATE deliveries SET claim_expires_at = '2000-01-01T00:00:00.000Z' WHERE id = ?")
      .bind(deliveryId)
      .run();
    const copy = await claim(deliveryId, { subscriptionId: subscription.id, token: token("copy") });
    expect(copy.body).toMatchObject({ claimed: false, state: "started", expiresAt: null });
    const [listed] = (await deliveriesOf(subscription.id)) as Array<{ claimConfirmedAt?: string }>;
    expect(listed?.claimConfirmedAt).toBe(confirmed.body.confirmedAt);
  });

  it("an unconfirmed claim lapses (its holder died) and the next attempt claims it; the old holder cannot confirm", async () => {
    const { subscription, deliveryId } = await undeliveredDelivery();
    const crashed = token("crashed");
    expect((await claim(deliveryId, { subscriptionId: subscription.id, token: crashed })).body.claimed).toBe(true);
    await env.DB.prepare("UPDATE deliveries SET claim_expires_at = '2000-01-01T00:00:00.000Z' WHERE id = ?")
      .bind(deliveryId)
      .run();
    const next = token("next");
    expect((await claim(deliveryId, { subscriptionId: subscription.id, token: next })).body.claimed).toBe(true);
    const late = await confirm(deliveryId, crashed);
    expect(late).toMatchObject({ status: 409, body: { error: { code: "claim_lost" } } });
    expect((await confirm(deliveryId, next)).status).toBe(200);
  });

  it("of 10 copies claiming at the same moment, exactly one holds the claim", async () => {
    const { subscription, deliveryId } = await undeliveredDelivery();
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        claim(deliveryId, { subscriptionId: subscription.id, token: token(`c${i}`) }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(answers.filter((a) => a.body.claimed)).toHaveLength(1);
    expect(answers.filter((a) => !a.body.claimed).map((a) => a.body.state)).toEqual(Array(9).fill("in_progress"));
  });

  it("a delivery the subscriber acknowledged is started; unknown ids and other subscriptions are 404", async () => {
    const name = hookName("acked");
    const parkingId = uniqueLot("acked");
    const subscription = await subscribe(name, { parkingId });
    await sendCallback(vehicleAccess({ parkingId }));
    const [delivered] = await eventually(async () => {
      const items = await deliveriesOf(subscription.id, "delivered");
      expect(items).toHaveLength(1);
      return items;
    });
    const id = delivered?.id as string;
    expect((await claim(id, { subscriptionId: subscription.id, token: token("late") })).body).toMatchObject({
      claimed: false,
      state: "started",
    });
    expect((await claim("dlv_nope", { subscriptionId: subscription.id, token: token("x") })).status).toBe(404);
    expect((await claim(id, { subscriptionId: "sub_other", token: token("x") })).status).toBe(404);
    expect((await confirm("dlv_nope", token("x"))).status).toBe(404);
  });

  it.each([
    [{ token: token("t") }, "subscriptionId"],
    [{ subscriptionId: "sub_1", token: "short" }, "token"],
    [{ subscriptionId: "sub_1", token: token("t"), extra: 1 }, "extra"],
  ])("refuses %j naming %s", async (body, field) => {
    const response = await api("/api/deliveries/dlv_1/claim", { method: "POST", body: JSON.stringify(body) });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: "invalid_input", field } });
  });
});
