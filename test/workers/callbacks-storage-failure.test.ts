/**
 * A D1 failure in the middle of the ingestion batch: the platform gets 503 (so it retries) and
 * nothing is half-written. The failure is real: the typed row the batch writes after the raw and
 * event rows (a trigger of the event insert) is refused by a trigger this test adds, so D1 fails
 * that statement and rolls the transaction back. (Own file: Workers tests isolate storage per
 * file, and this one changes its schema.)
 */
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { callbackExamples } from "../shared/fixtures/seed-examples.js";
import { sendCallback } from "./ingest-support.js";

it("answers 503 and stores nothing when a later statement of the batch fails", async () => {
  await env.DB.prepare(
    "CREATE TRIGGER refuse_vehicle_accesses BEFORE INSERT ON vehicle_accesses BEGIN SELECT RAISE(ABORT, 'disk full (test)'); END",
  ).run();
  const usedPairs = () => env.DB.prepare("SELECT count(*) AS n FROM callback_signatures").first<{ n: number }>();
  const pairsBefore = await usedPairs();

  const response = await sendCallback(callbackExamples.PARKING_VEHICLE_ACCESS);
  expect(response.status).toBe(503);
  expect(await response.json()).toMatchObject({ code: 1, reason: "storage_unavailable" });

  const raw = await env.DB.prepare("SELECT count(*) AS n FROM raw_callbacks").first<{ n: number }>();
  const events = await env.DB.prepare("SELECT count(*) AS n FROM events").first<{ n: number }>();
  const lots = await env.DB.prepare("SELECT count(*) AS n FROM lot_state").first<{ n: number }>();
  const accesses = await env.DB.prepare("SELECT count(*) AS n FROM vehicle_accesses").first<{ n: number }>();
  expect({ raw: raw?.n, events: events?.n, lots: lots?.n, accesses: accesses?.n }).toEqual({
    raw: 0,
    events: 0,
    lots: 0,
    accesses: 0,
  });
  expect(await usedPairs()).toEqual(pairsBefore);

  // Other kinds still go through: the failure was that statement's, not the Worker's.
  const camera = await sendCallback(callbackExamples.PARKING_CAMERA_ONLINE);
  expect(camera.status).toBe(200);
  expect((await env.DB.prepare("SELECT count(*) AS n FROM events").first<{ n: number }>())?.n).toBe(1);
});
