/**
 * Traffic and signed callbacks, received by a loopback HTTP receiver and verified with shared's
 * verifyCallback: bodies shaped as the seed's examples, retries with the same body and a fresh
 * signature, duplicate deliveries on demand, and state that follows the events.
 */
import { callbacks, verifyCallback } from "@parkbridge/shared";
import type { RunningSimulator } from "@parkbridge/simulator";
import { afterEach, describe, expect, it } from "vitest";
import { APP_KEY, APP_SECRET, clientFor, start, startReceiver } from "./helpers.js";

const secretFor = (appKey: string) => (appKey === APP_KEY ? APP_SECRET : undefined);
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of cleanup.splice(0)) await close();
});

async function setUp(answer?: (n: number) => number, options: Parameters<typeof start>[0] = {}) {
  const receiver = await startReceiver(answer);
  const sim = await start({ callbackUrl: receiver.url, callbackRetryDelayMs: 5, ...options });
  cleanup.push(() => sim.close(), receiver.close);
  return { sim, receiver };
}

describe("callback delivery", () => {
  it("every event of a traffic run arrives signed, verifies, and parses as its callbackType", async () => {
    const { sim, receiver } = await setUp();
    const sent = await sim.traffic.step(60);
    expect(sent).toHaveLength(60);
    expect(receiver.received).toHaveLength(60);
    const types = new Set<string>();
    for (const delivery of receiver.received) {
      const verified = await verifyCallback({ headers: delivery.headers as never, body: delivery.body, secretFor });
      if (!verified.ok) throw new Error(`${verified.reason}: ${verified.message}`);
      types.add(verified.event.callbackType);
    }
    expect([...types].sort()).toEqual(Object.keys(callbacks).sort());
  });

  it("access callbacks carry accessType 0 in / 1 out and the lot's counts after the event", async () => {
    const { sim } = await setUp();
    const before = sim.state.stats("park1");
    const [entered] = (await sim.traffic.vehicleEnters("park1", "冀A12345")) ?? [];
    expect(entered?.event).toEqual({
      callbackType: "PARKING_VEHICLE_ACCESS",
      data: expect.objectContaining({
        vehicleCode: "冀A12345",
        vehicleType: "9",
        accessType: "0",
        parkingId: "park1",
        inParkNum: before.usedLot + 1,
        tempLot: before.tempLot - 1,
        totalLot: before.totalLot - before.usedLot - 1,
      }),
    });
    expect(Object.keys(entered?.event.data ?? {})).toEqual([
      "vehicleCode",
      "vehicleType",
      "accessType",
      "time",
      "laneNo",
      "laneName",
      "photo",
      "parkingId",
      "userName",
      "tempLot",
      "inParkNum",
      "totalLot",
      "phoneNum",
    ]);
    const [left] = (await sim.traffic.vehicleLeaves("park1", "冀A12345")) ?? [];
    expect(left?.event.data).toMatchObject({ accessType: "1", inParkNum: before.usedLot });
    // The same visit as the records answer it: 1 in, 2 out.
    expect(
      sim.state
        .records("park1")
        .slice(-2)
        .map((r) => r.accessType),
    ).toEqual(["1", "2"]);
  });

  it("a vehicle entering shows in listInParkVehicles and getLotStats through the client", async () => {
    const { sim } = await setUp();
    const client = clientFor(sim);
    const before = await client.getLotStats({ parkingId: "park2" });
    await sim.traffic.vehicleEnters("park2", "鲁B99999");
    const after = await client.getLotStats({ parkingId: "park2" });
    expect(after.usedLot).toBe(before.usedLot + 1);
    const inside = [];
    for await (const v of client.iterate.listInParkVehicles({ parkingId: "park2" })) inside.push(v.vehicleCode);
    expect(inside).toContain("鲁B99999");
  });

  it("a non-2xx answer is retried with the same body and a fresh timestamp and sign", async () => {
    const { sim, receiver } = await setUp((n) => (n <= 2 ? 500 : 204));
    const sent = await sim.traffic.step(1);
    expect(sent.map((s) => [s.attempt, s.status, s.ok])).toEqual([
      [1, 500, false],
      [2, 500, false],
      [3, 204, true],
    ]);
    expect(new Set(sent.map((s) => s.deliveryId)).size).toBe(1);
    expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);
    expect(new Set(receiver.received.map((r) => r.headers.sign)).size).toBe(3);
    for (const delivery of receiver.received) {
      const verified = await verifyCallback({ headers: delivery.headers as never, body: delivery.body, secretFor });
      expect(verified.ok).toBe(true);
    }
  });

  it("gives up after callbackRetries retries", async () => {
    const { sim, receiver } = await setUp(() => 503, { callbackRetries: 2 });
    const sent = await sim.traffic.step(1);
    expect(sent.map((s) => s.status)).toEqual([503, 503, 503]);
    expect(receiver.received).toHaveLength(3);
    expect(sim.callbacks.sent).toHaveLength(3);
  });

  it("duplicateCallback delivers the same body twice as two deliveries", async () => {
    const { sim, receiver } = await setUp();
    sim.faults.add({ kind: "duplicateCallback", times: 1 });
    const sent = await sim.traffic.step(2);
    expect(sent).toHaveLength(3);
    expect(sent[1]?.duplicateOf).toBe(sent[0]?.deliveryId);
    expect(receiver.received[0]?.body).toBe(receiver.received[1]?.body);
    expect(receiver.received[2]?.body).not.toBe(receiver.received[0]?.body);
  });

  it("dropCallback: the event happens, its callback is never sent", async () => {
    const { sim, receiver } = await setUp();
    sim.faults.add({ kind: "dropCallback", times: 1 });
    expect(await sim.traffic.vehicleEnters("park2", "鲁B77777")).toEqual([]);
    expect(sim.state.inPark("park2").some((v) => v.vehicleCode === "鲁B77777")).toBe(true);
    expect(sim.callbacks.dropped.map((d) => d.data.vehicleCode)).toEqual(["鲁B77777"]);
    await sim.traffic.vehicleLeaves("park2", "鲁B77777");
    expect(receiver.received).toHaveLength(1);
  });

  it("sameMillisecond signs the next callbacks' first attempts with one timestamp; each retry gets a fresh one", async () => {
    // The receiver refuses every second request (as a Worker holds the second body under a shared pair).
    const { sim, receiver } = await setUp((n) => (n % 2 === 0 ? 409 : 200));
    sim.faults.add({ operation: "callback", kind: "sameMillisecond", times: 3 });
    const sent = await sim.traffic.step(4);
    const firsts = sent.filter((s) => s.attempt === 1);
    expect(firsts).toHaveLength(4);
    // The first three share a (timestamp, sign); the fourth is signed at its own time.
    expect(new Set(firsts.slice(0, 3).map((s) => `${s.headers.timestamp}:${s.headers.sign}`)).size).toBe(1);
    expect(firsts[3]?.headers.timestamp).not.toBe(firsts[0]?.headers.timestamp);
    // Every refused attempt was retried with the same body under a fresh timestamp and sign.
    for (const retry of sent.filter((s) => s.attempt > 1)) {
      const before = sent.find((s) => s.deliveryId === retry.deliveryId && s.attempt === retry.attempt - 1);
      expect(before?.status).toBe(409);
      expect(retry.body).toBe(before?.body);
      expect(retry.headers.sign).not.toBe(before?.headers.sign);
    }
    expect(sent.filter((s) => s.ok)).toHaveLength(4);
    expect(receiver.received.length).toBe(sent.length);
    expect(sim.faults.list()[0]).toMatchObject({ kind: "sameMillisecond", applied: 3 });
  });

  it("callbacks are signed by the account named by callbackAppKey", async () => {
    const { sim, receiver } = await setUp(undefined, {
      accounts: [
        { appKey: "first", appSecret: "s1" },
        { appKey: "second", appSecret: "s2" },
      ],
      callbackAppKey: "second",
    });
    await sim.traffic.visitorRegisters("park3", { vehicleCode: "京A88888" });
    const delivery = receiver.received[0];
    if (!delivery) throw new Error("nothing delivered");
    const verified = await verifyCallback({
      headers: delivery.headers as never,
      body: delivery.body,
      secretFor: (k) => (k === "second" ? "s2" : undefined),
    });
    expect(verified.ok && verified.event.data).toMatchObject({ vehicleCode: "京A88888", parkingId: "park3" });
    expect(sim.state.visitors("park3").some((v) => v.vehicleCode === "京A88888")).toBe(true);
  });

  it("traffic started with a rate delivers events until stopped", async () => {
    const { sim, receiver } = await setUp(undefined, { trafficPerSecond: 50 });
    sim.traffic.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    sim.traffic.stop();
    await sim.traffic.drain();
    const count = receiver.received.length;
    expect(count).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(receiver.received).toHaveLength(count);
  });

  it("the same seed generates the same events", async () => {
    const a = await start({ seed: 42 });
    const b = await start({ seed: 42 });
    const c = await start({ seed: 43 });
    cleanup.push(a.close, b.close, c.close);
    for (const sim of [a, b, c]) await sim.traffic.step(30);
    const shape = (sim: RunningSimulator) =>
      sim.traffic.events.map((e) => JSON.stringify({ ...e, data: { ...e.data, time: undefined } }));
    expect(shape(a)).toEqual(shape(b));
    expect(shape(a)).not.toEqual(shape(c));
  });
});
