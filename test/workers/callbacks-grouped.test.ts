/**
 * Callbacks that arrive together share one D1 batch (workers/src/callbacks/store.ts, route.ts).
 * A group must store exactly what the same callbacks stored one batch each would: duplicates
 * and reused pairs inside a group, out-of-order lot counts and lane flips, typed rows of every
 * kind and one outbox row per matching subscription, each reported to its own callback.
 */
import { env } from "cloudflare:workers";
import { normaliseCallback, signCallback, type VerifiedCallback, verifyCallback } from "@parkbridge/shared";
import { describe, expect, it } from "vitest";
import { normalised } from "../../workers/src/callbacks/normalise.js";
import { ingestStats } from "../../workers/src/callbacks/route.js";
import { planStore, type StoreOutcome, storeCallbacks } from "../../workers/src/callbacks/store.js";
import { newId } from "../../workers/src/lib/ids.js";
import { cameraStatus, counts, DEMO, localTime, sendCallback, uniqueLot, vehicleAccess } from "./ingest-support.js";

let clock = Date.now();

async function verified(body: object, timestamp = ++clock): Promise<{ verified: VerifiedCallback; body: string }> {
  const text = JSON.stringify(body);
  const headers = {
    appKey: DEMO.appKey,
    timestamp: String(timestamp),
    sign: signCallback(DEMO.appKey, timestamp, DEMO.secret),
  };
  const result = await verifyCallback({ headers, body: text, secretFor: () => DEMO.secret, now: timestamp });
  if (!result.ok) throw new Error(result.message);
  return { verified: result, body: text };
}

/** The same story for any lot: what the group and the one-by-one run must agree on. */
async function story(lot: string) {
  const entry = await verified(
    vehicleAccess({ parkingId: lot, vehicleCode: "京G00001", time: localTime(2), tempLot: 10 }),
  );
  const older = await verified(
    vehicleAccess({ parkingId: lot, vehicleCode: "京G00002", time: localTime(1), tempLot: 20 }),
  );
  const online = await verified(cameraStatus({ parkingId: lot, laneNo: "7", time: localTime(0), status: "1" }));
  const offline = await verified(cameraStatus({ parkingId: lot, laneNo: "7", time: localTime(3), status: "0" }));
  const visitor = await verified({
    callbackType: "PARKING_VISITOR",
    data: { parkingId: lot, vehicleCode: "京G00003", startTime: "2026-11-22 08:00:00", endTime: "2026-11-23 08:00:00" },
  });
  // The platform's retry of `entry` (same body, new timestamp), and a forger reusing `online`'s pair.
  const retry = await verified(JSON.parse(entry.body));
  const reuse = {
    verified: { ...online.verified, bodyDigest: "f".repeat(64), event: offline.verified.event },
    body: offline.body.replace("}", " }"),
  };
  return [entry, older, online, offline, visitor, retry, reuse];
}

const planOf = ({ verified, body }: { verified: VerifiedCallback; body: string }) => {
  const receivedAt = new Date();
  return planStore({
    appKey: verified.appKey,
    callbackType: verified.event.callbackType,
    bodyDigest: verified.bodyDigest,
    pair: { timestamp: verified.timestamp, sign: verified.sign },
    callback: normalised(normaliseCallback(verified.event, receivedAt)),
    body,
    headers: { appkey: DEMO.appKey },
    receivedAt,
    eventId: newId("evt", Date.now()),
    // The story's times are in 2026: none of them is suspect.
    maxSkewMs: 10 * 365 * 86_400_000,
  });
};

async function stateOf(lot: string) {
  const lotRow = await env.DB.prepare("SELECT temp_lot FROM lot_state WHERE parking_id = ?").bind(lot).first();
  const lane = await env.DB.prepare("SELECT online, since FROM lane_state WHERE parking_id = ?").bind(lot).first();
  const rows = await env.DB.prepare(
    `SELECT (SELECT count(*) FROM events WHERE parking_id = ?1) AS events,
            (SELECT count(*) FROM vehicle_accesses WHERE parking_id = ?1) AS accesses,
            (SELECT count(*) FROM camera_statuses WHERE parking_id = ?1) AS cameras,
            (SELECT count(*) FROM visitor_registrations WHERE parking_id = ?1) AS visitors,
            (SELECT count(*) FROM deliveries d JOIN events e ON e.id = d.event_id WHERE e.parking_id = ?1) AS deliveries`,
  )
    .bind(lot)
    .first();
  return { lot: lotRow, lane, rows };
}

const kinds = (outcomes: StoreOutcome[]) => outcomes.map((o) => o.kind);

async function subscribe(lot: string) {
  const id = `sub_${lot}`;
  await env.DB.prepare(
    "INSERT INTO subscriptions (id, url, secret, events, parking_id, created_at) VALUES (?, 'http://127.0.0.1:9/hook', 'whsec_AAAA', NULL, ?, ?)",
  )
    .bind(id, lot, new Date().toISOString())
    .run();
}

describe("a group of callbacks in one batch", () => {
  it("stores what the same callbacks stored one by one would, and reports each its own outcome", async () => {
    const [groupLot, aloneLot] = [uniqueLot("group"), uniqueLot("alone")];
    await subscribe(groupLot);
    await subscribe(aloneLot);

    const grouped = (await story(groupLot)).map(planOf);
    const groupOutcomes = await storeCallbacks(env.DB, grouped);
    const aloneOutcomes: StoreOutcome[] = [];
    for (const plan of (await story(aloneLot)).map(planOf)) {
      aloneOutcomes.push(...(await storeCallbacks(env.DB, [plan])));
    }

    expect(kinds(groupOutcomes)).toEqual(["stored", "stored", "stored", "stored", "stored", "duplicate", "conflict"]);
    expect(kinds(aloneOutcomes)).toEqual(kinds(groupOutcomes));
    // The retry names the event its content was stored under.
    expect(groupOutcomes[5]).toEqual({ kind: "duplicate", eventId: grouped[0]?.row.id });

    const [groupState, aloneState] = [await stateOf(groupLot), await stateOf(aloneLot)];
    expect(groupState).toEqual(aloneState);
    // Newest wins: the later entry's count, the later camera report (offline since 08:03 local, 00:03 UTC).
    expect(groupState.lot).toEqual({ temp_lot: 10 });
    expect(groupState.lane).toEqual({ online: 0, since: "2026-11-22T00:03:00.000Z" });
    expect(groupState.rows).toEqual({ events: 5, accesses: 2, cameras: 2, visitors: 1, deliveries: 5 });

    // Each stored callback gets its own delivery, and refreshes the live state it reports.
    for (const [index, outcome] of groupOutcomes.entries()) {
      if (outcome.kind !== "stored") continue;
      const rows = await env.DB.prepare("SELECT id FROM deliveries WHERE event_id = ?").bind(outcome.eventId).all();
      expect(outcome.deliveryIds).toEqual(rows.results.map((r) => r.id));
      expect(outcome.deliveryIds).toHaveLength(1);
      expect({ index, lot: outcome.lotChanged, lane: outcome.laneChanged }).toEqual({
        index,
        lot: index === 0 || index === 1,
        lane: index === 2 || index === 3,
      });
    }
  });

  it("stores nothing of a group whose batch fails (one transaction)", async () => {
    const lot = uniqueLot("atomic");
    const plans = (await story(lot)).slice(0, 4).map(planOf);
    // A duplicate event id makes the events insert of the last one fail its primary key.
    const broken = { ...plans[3], row: { ...plans[3]?.row, id: plans[0]?.row.id } } as (typeof plans)[number];
    const before = await counts();
    await expect(storeCallbacks(env.DB, [...plans.slice(0, 3), broken])).rejects.toThrow();
    expect(await counts()).toEqual(before);
  });
});

// vitest-pool-workers turns off cross-request promise resolution, so here waiters poll their own
// slot; test/e2e/ingest.test.ts shows grouping in Miniflare, where leaders wake them as in production.
describe("concurrent callbacks through the Worker", () => {
  it("share batches, and every callback gets its own answer and is stored once", async () => {
    const lot = uniqueLot("burst");
    const before = await counts();
    const groupsBefore = ingestStats();
    const bodies = Array.from({ length: 40 }, (_, i) =>
      vehicleAccess({ parkingId: lot, vehicleCode: `京H${String(i % 35).padStart(5, "0")}`, time: localTime(i % 35) }),
    );
    const responses = await Promise.all(bodies.map((body) => sendCallback(body, { timestamp: ++clock })));
    expect(responses.map((r) => r.status)).toEqual(bodies.map(() => 200));
    const after = await counts();
    expect(after.raw_callbacks - before.raw_callbacks).toBe(35);
    expect(after.vehicle_accesses - before.vehicle_accesses).toBe(35);
    const stats = ingestStats();
    expect(stats.inputs - groupsBefore.inputs).toBe(40);
    // Fewer batches than callbacks: they were grouped, and none had to run alone.
    expect(stats.groups - groupsBefore.groups).toBeLessThan(40);
    expect(stats.largest).toBeGreaterThan(1);
    expect(stats.ranAlone).toBe(0);
    expect(stats.wakesAcrossRequests).toBe(false);
  });
});
