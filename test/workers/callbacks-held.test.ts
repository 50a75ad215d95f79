/**
 * Callbacks that share a (timestamp, sign) pair, in the Workers runtime with real D1 and KV.
 * The platform signs appKey + timestamp only, so distinct events signed in the same millisecond
 * share a pair: none may be lost, and a body a captured pair carries may never be trusted. A
 * second body under a bound pair is held (409 held_unconfirmed, Retry-After) until its sender
 * resends it under a fresh signature, then confirmed once; the sender here is the simulator's own
 * (its retry behaviour, delivering straight into the Worker). Held ones that never come back are
 * released or discarded by an operator; an allowed address skips the hold.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { signCallback } from "@parkbridge/shared";
import { describe, expect, it } from "vitest";
import { CallbackDelivery } from "../../simulator/src/delivery.js";
import { FaultBook } from "../../simulator/src/faults.js";
import { ingestStats } from "../../workers/src/callbacks/route.js";
import type { Env } from "../../workers/src/env.js";
import worker from "../../workers/src/index.js";
import { subscribe } from "./delivery-support.js";
import {
  api,
  apiJson,
  counts,
  DEMO,
  localTime,
  sendCallback,
  signedHeaders,
  uniqueLot,
  vehicleAccess,
} from "./ingest-support.js";

// Timestamps of this file's own pairs: distinct from one another (a pair is bound to its first body).
let last = 0;
const fresh = () => {
  last = Math.max(Date.now(), last + 1);
  return last;
};

interface HeldItem {
  id: string;
  status: string;
  callbackType: string;
  body: string;
  eventId: string | null;
  attempts: number;
  resolvedBy: string | null;
}

async function heldFor(lot: string): Promise<Array<HeldItem & { parkingId: string }>> {
  const { items } = await apiJson<{ items: HeldItem[] }>("/api/held-callbacks?status=all&limit=500");
  return items
    .map((item) => ({ ...item, parkingId: (JSON.parse(item.body) as { data: { parkingId: string } }).data.parkingId }))
    .filter((item) => item.parkingId === lot);
}

/** The lot's live state in D1 (KV trails it by up to a second). */
const lotRow = (lot: string) => env.DB.prepare("SELECT * FROM lot_state WHERE parking_id = ?").bind(lot).first();

async function storedFor(lot: string) {
  const row = await env.DB.prepare(
    `SELECT (SELECT count(*) FROM events WHERE parking_id = ?1) AS events,
            (SELECT count(DISTINCT r.content_key) FROM raw_callbacks r JOIN events e ON e.id = r.id WHERE e.parking_id = ?1) AS contents,
            (SELECT count(*) FROM vehicle_accesses WHERE parking_id = ?1) AS accesses,
            (SELECT count(*) FROM deliveries d JOIN events e ON e.id = d.event_id WHERE e.parking_id = ?1) AS deliveries`,
  )
    .bind(lot)
    .first<{ events: number; contents: number; accesses: number; deliveries: number }>();
  return row as { events: number; contents: number; accesses: number; deliveries: number };
}

/** The simulator's platform-style sender, delivering straight into the Worker under test. */
function platformSender(options: { retries?: number } = {}) {
  const faults = new FaultBook(7);
  const delivery = new CallbackDelivery(
    {
      url: "http://worker/callbacks",
      appKey: DEMO.appKey,
      appSecret: DEMO.secret,
      retries: options.retries ?? 8,
      retryDelayMs: 20,
      fetch: (url, init) => exports.default.fetch(url, init),
    },
    faults,
  );
  return { faults, delivery };
}

describe("distinct callbacks sharing one (timestamp, sign)", () => {
  it.each([2, 10, 50])("%i of them are all stored and confirmed exactly once, none lost", async (n) => {
    const lot = uniqueLot(`same-ms-${n}`);
    const { faults, delivery } = platformSender();
    // Every first attempt is signed in the same millisecond (the simulator's sameMillisecond fault).
    faults.add({ operation: "callback", kind: "sameMillisecond", times: n });
    const bodies = Array.from({ length: n }, (_, i) =>
      vehicleAccess({ parkingId: lot, vehicleCode: `京J${String(i).padStart(5, "0")}`, time: localTime(i) }),
    );
    const attempts = (await Promise.all(bodies.map((body) => delivery.deliver(body as never)))).flat();

    // Every callback ended with a 200; its first attempts shared one pair.
    const firsts = attempts.filter((a) => a.attempt === 1);
    expect(new Set(firsts.map((a) => `${a.headers.timestamp}:${a.headers.sign}`)).size).toBe(1);
    const byDelivery = new Map<string, typeof attempts>();
    for (const a of attempts) byDelivery.set(a.deliveryId, [...(byDelivery.get(a.deliveryId) ?? []), a]);
    expect([...byDelivery.values()].map((list) => list.at(-1)?.status)).toEqual(bodies.map(() => 200));
    // n - 1 were held at first, and told to come back under a fresh signature.
    const heldAnswers = attempts.filter((a) => a.status === 409);
    expect(heldAnswers.length).toBeGreaterThanOrEqual(n - 1);
    for (const list of byDelivery.values()) {
      const signs = list.map((a) => a.headers.sign);
      expect(new Set(signs).size, "each retry carries a fresh sign").toBe(signs.length);
    }

    // Stored once each, with their typed rows.
    expect(await storedFor(lot)).toMatchObject({ events: n, contents: n, accesses: n });
    // Each held copy was confirmed once, by the stored copy of its own content; none is waiting.
    const held = await heldFor(lot);
    expect(held.length).toBe(new Set(heldAnswers.map((a) => a.body)).size);
    expect(held.map((h) => h.status)).toEqual(held.map(() => "confirmed"));
    const stored = await env.DB.prepare(
      "SELECT r.id, r.body FROM raw_callbacks r JOIN events e ON e.id = r.id WHERE e.parking_id = ?",
    )
      .bind(lot)
      .all<{ id: string; body: string }>();
    const eventOfBody = new Map(stored.results.map((r) => [r.body, r.id]));
    for (const h of held) {
      expect(h.eventId).toBe(eventOfBody.get(h.body));
      expect(h.resolvedBy).toBe("platform");
      const detail = await apiJson<{ audit: Array<{ action: string; actor: string }> }>(`/api/held-callbacks/${h.id}`);
      expect(detail.audit.map((a) => [a.action, a.actor])).toEqual([
        ["held", "ingest"],
        ["confirmed", "platform"],
      ]);
    }
  });
});

describe("a body forged under a captured pair", () => {
  it("is held: never stored as history, never delivered, never in live state, never reported as verified", async () => {
    const lot = uniqueLot("forged");
    const subscription = await subscribe(`held-${lot}`, { parkingId: lot });
    const timestamp = fresh();
    const real = await sendCallback(vehicleAccess({ parkingId: lot, totalLot: 80, time: localTime(0) }), { timestamp });
    expect(real.status).toBe(200);
    const lotBefore = await lotRow(lot);
    const before = await counts();

    // The forger reuses the captured pair with its own body: newer counts, a plate of its choice.
    const forgedBody = vehicleAccess({ parkingId: lot, totalLot: 1, vehicleCode: "京A66666", time: localTime(5) });
    const forged = await sendCallback(forgedBody, { timestamp });
    expect(forged.status).toBe(409);
    expect(forged.headers.get("retry-after")).toBe("1");
    expect(await forged.json()).toMatchObject({ code: 1, reason: "held_unconfirmed", field: "sign" });
    // And again (a forger insists): still held, counted, never trusted.
    expect((await sendCallback(forgedBody, { timestamp })).status).toBe(409);

    expect(await counts()).toEqual(before);
    expect(await lotRow(lot)).toEqual(lotBefore);
    const events = await apiJson<{ items: Array<{ vehicleCode: string }> }>(`/api/events?parkingId=${lot}`);
    expect(events.items.map((e) => e.vehicleCode)).toEqual(["鲁A12345"]);
    const deliveries = await apiJson<{ items: Array<{ eventId: string }> }>(
      `/api/deliveries?subscriptionId=${subscription.id}`,
    );
    expect(deliveries.items).toHaveLength(1);

    // It waits for an operator, with the body as sent and how often it came.
    const [held] = await heldFor(lot);
    expect(held).toMatchObject({ status: "held", attempts: 2, eventId: null, body: JSON.stringify(forgedBody) });
    const page = await exports.default.fetch("http://worker/?refresh=0", {
      headers: { Authorization: "Bearer test-admin-token" },
    });
    const html = await page.text();
    expect(html).toContain(`data-held-id="${held?.id}"`);
    expect(html).toContain("京A66666");

    // Discarded: it never enters the history, and the decision is audited.
    const discarded = await api(`/api/held-callbacks/${held?.id}/discard`, {
      method: "POST",
      body: JSON.stringify({ note: "not ours" }),
    });
    expect(discarded.status).toBe(200);
    expect(await discarded.json()).toMatchObject({ status: "discarded", resolvedBy: "api", note: "not ours" });
    const again = await api(`/api/held-callbacks/${held?.id}/release`, { method: "POST" });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: { code: "not_held" } });
    const detail = await apiJson<{ audit: Array<{ action: string; actor: string; detail: unknown }> }>(
      `/api/held-callbacks/${held?.id}`,
    );
    expect(detail.audit.map((a) => [a.action, a.actor])).toEqual([
      ["held", "ingest"],
      ["discarded", "api"],
    ]);
    expect(await counts()).toEqual(before);
  });

  it("one the platform never resent can be released: stored through the same path, delivered, audited", async () => {
    const lot = uniqueLot("release");
    await subscribe(`held-${lot}`, { parkingId: lot });
    const timestamp = fresh();
    expect((await sendCallback(vehicleAccess({ parkingId: lot, time: localTime(0) }), { timestamp })).status).toBe(200);
    const second = vehicleAccess({ parkingId: lot, vehicleCode: "京A77777", totalLot: 42, time: localTime(3) });
    expect((await sendCallback(second, { timestamp })).status).toBe(409);
    const [held] = await heldFor(lot);

    const released = await api(`/api/held-callbacks/${held?.id}/release`, {
      method: "POST",
      body: JSON.stringify({ note: "the gate log shows it" }),
    });
    expect(released.status).toBe(200);
    const row = (await released.json()) as HeldItem;
    expect(row).toMatchObject({ status: "released", resolvedBy: "api" });
    expect(await storedFor(lot)).toMatchObject({ events: 2, contents: 2, deliveries: 2 });
    expect(await lotRow(lot)).toMatchObject({ total_lot: 42 });
    const events = await apiJson<{ items: Array<{ id: string; vehicleCode: string }> }>(`/api/events?parkingId=${lot}`);
    expect(events.items.find((e) => e.vehicleCode === "京A77777")?.id).toBe(row.eventId);

    // Released once: a second release, or the platform's late resend, stores nothing more.
    expect((await api(`/api/held-callbacks/${held?.id}/release`, { method: "POST" })).status).toBe(409);
    expect((await sendCallback(second, { timestamp: fresh() })).status).toBe(200);
    expect(await storedFor(lot)).toMatchObject({ events: 2, contents: 2 });
    const detail = await apiJson<{ audit: Array<{ action: string; actor: string }> }>(
      `/api/held-callbacks/${held?.id}`,
    );
    expect(detail.audit.map((a) => [a.action, a.actor])).toEqual([
      ["held", "ingest"],
      ["released", "api"],
    ]);
  });

  it("the status page's buttons do the same, from the page's own origin only", async () => {
    const lot = uniqueLot("page");
    const timestamp = fresh();
    await sendCallback(vehicleAccess({ parkingId: lot, time: localTime(0) }), { timestamp });
    await sendCallback(vehicleAccess({ parkingId: lot, vehicleCode: "京A88888", time: localTime(1) }), { timestamp });
    const [held] = await heldFor(lot);
    const post = (origin: string) =>
      exports.default.fetch(`http://worker/held-callbacks/${held?.id}/discard`, {
        method: "POST",
        headers: { Authorization: "Bearer test-admin-token", origin },
        redirect: "manual",
      });
    expect((await post("http://elsewhere.example")).status).toBe(403);
    expect((await heldFor(lot))[0]?.status).toBe("held");
    const done = await post("http://worker");
    expect(done.status).toBe(303);
    expect((await heldFor(lot))[0]).toMatchObject({ status: "discarded", resolvedBy: "status-page" });
  });
});

describe("CALLBACK_ALLOWED_IPS", () => {
  async function sendFrom(ip: string | undefined, body: object, timestamp: number) {
    const headers = new Headers(signedHeaders({ timestamp }));
    if (ip) headers.set("cf-connecting-ip", ip);
    const ctx = createExecutionContext();
    const response = await worker.fetch(
      new Request("http://worker/callbacks", { method: "POST", headers, body: JSON.stringify(body) }),
      { ...(env as unknown as Env), CALLBACK_ALLOWED_IPS: "203.0.113.0/24, 2001:db8::/32" },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    return response;
  }

  it("a shared pair from an allowed address is stored at once; from any other address it is held", async () => {
    const lot = uniqueLot("allow");
    const timestamp = fresh();
    expect((await sendFrom("203.0.113.10", vehicleAccess({ parkingId: lot }), timestamp)).status).toBe(200);
    const second = vehicleAccess({ parkingId: lot, vehicleCode: "京A10001", time: localTime(1) });
    expect((await sendFrom("2001:db8::7", second, timestamp)).status).toBe(200);
    const third = vehicleAccess({ parkingId: lot, vehicleCode: "京A10002", time: localTime(2) });
    expect((await sendFrom("198.51.100.1", third, timestamp)).status).toBe(409);
    expect((await sendFrom(undefined, third, timestamp)).status).toBe(409);
    expect(await storedFor(lot)).toMatchObject({ events: 2 });
    expect((await heldFor(lot)).map((h) => [h.status, h.attempts])).toEqual([["held", 2]]);
  });

  it("a malformed list is a configuration error (500 misconfigured), never ignored", async () => {
    const ctx = createExecutionContext();
    const response = await worker.fetch(
      new Request("http://worker/callbacks", {
        method: "POST",
        headers: signedHeaders(),
        body: JSON.stringify(vehicleAccess({})),
      }),
      { ...(env as unknown as Env), CALLBACK_ALLOWED_IPS: "203.0.113.0/40" },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ code: 1, reason: "misconfigured" });
  });
});

describe("held callbacks and the rest of the ingestion", () => {
  it("a shared pair inside one grouped batch is held too, and the group's other callbacks are stored", async () => {
    const lot = uniqueLot("group-held");
    const groupsBefore = ingestStats();
    const timestamp = fresh();
    const bodies = Array.from({ length: 12 }, (_, i) =>
      vehicleAccess({ parkingId: lot, vehicleCode: `京K${String(i).padStart(5, "0")}`, time: localTime(i) }),
    );
    // Half share one pair, half have their own.
    const responses = await Promise.all(
      bodies.map((body, i) => sendCallback(body, { timestamp: i % 2 ? timestamp : fresh() })),
    );
    expect(responses.map((r) => r.status).sort()).toEqual([...Array(7).fill(200), ...Array(5).fill(409)]);
    expect(ingestStats().groups - groupsBefore.groups).toBeLessThan(12);
    expect((await heldFor(lot)).map((h) => h.status)).toEqual(Array(5).fill("held"));
    // Resent under fresh pairs (the platform's retry): all stored, each held copy confirmed.
    for (const [i, response] of responses.entries()) {
      if (response.status === 409) {
        expect((await sendCallback(bodies[i] as object, { timestamp: fresh() })).status).toBe(200);
      }
    }
    expect(await storedFor(lot)).toMatchObject({ events: 12, contents: 12 });
    expect((await heldFor(lot)).map((h) => h.status)).toEqual(Array(5).fill("confirmed"));
  });

  it("a visitor booking under a shared pair creates no grant until it is resent", async () => {
    const lot = uniqueLot("held-visitor");
    const timestamp = fresh();
    await sendCallback(vehicleAccess({ parkingId: lot }), { timestamp });
    const booking = {
      callbackType: "PARKING_VISITOR",
      data: { parkingId: lot, vehicleCode: "京A20001", startTime: "2026-11-22", endTime: "2026-11-23" },
    };
    const grants = async () =>
      (
        await env.DB.prepare("SELECT count(*) AS n FROM visitor_grants WHERE parking_id = ?")
          .bind(lot)
          .first<{ n: number }>()
      )?.n;
    expect((await sendCallback(booking, { timestamp })).status).toBe(409);
    expect(await grants()).toBe(0);
    expect((await sendCallback(booking, { timestamp: fresh() })).status).toBe(200);
    expect(await grants()).toBe(1);
    expect((await heldFor(lot)).map((h) => h.status)).toEqual(["confirmed"]);
  });

  it("the held list pages with a cursor and filters by status", async () => {
    const lot = uniqueLot("paging");
    const timestamp = fresh();
    await sendCallback(vehicleAccess({ parkingId: lot }), { timestamp });
    for (let i = 0; i < 3; i++) {
      await sendCallback(vehicleAccess({ parkingId: lot, vehicleCode: `京A3000${i}` }), { timestamp });
    }
    const first = await apiJson<{ items: HeldItem[]; nextCursor: string | null }>("/api/held-callbacks?limit=2");
    expect(first.items).toHaveLength(2);
    expect(first.items.every((item) => item.status === "held")).toBe(true);
    const next = await apiJson<{ items: HeldItem[] }>(`/api/held-callbacks?limit=2&cursor=${first.nextCursor}`);
    expect(next.items.length).toBeGreaterThan(0);
    expect(next.items.map((i) => i.id)).not.toContain(first.items[0]?.id);
    expect((await api("/api/held-callbacks?status=nope")).status).toBe(400);
    expect((await api("/api/held-callbacks/hld_nope")).status).toBe(404);
  });

  it("a sign that does not match is still refused outright (401), never held", async () => {
    const lot = uniqueLot("bad-sign");
    const before = await counts();
    const response = await sendCallback(vehicleAccess({ parkingId: lot }), {
      timestamp: fresh(),
      sign: signCallback(DEMO.appKey, last, "not-the-secret"),
    });
    expect(response.status).toBe(401);
    expect(await heldFor(lot)).toEqual([]);
    expect(await counts()).toEqual(before);
  });
});
