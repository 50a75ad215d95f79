/**
 * Faults on demand, as the protocol client meets them: HTTP 500/502, timeouts, `code: 1`
 * answers, token expiry mid-run, latency; by count or by a seeded rate.
 */
import { PlatformError, TransportError } from "@parkbridge/shared";
import type { RunningSimulator } from "@parkbridge/simulator";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { clientFor, start } from "./helpers.js";

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await start();
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a failure");
    },
    (e: unknown) => e,
  );
}

describe("faults", () => {
  it("http500 once: a read is retried by the client and succeeds", async () => {
    const client = clientFor(sim);
    sim.faults.add({ operation: "listLanes", kind: "http500", times: 1 });
    expect(await client.listLanes({ parkingId: "park1" })).toHaveLength(4);
    expect(client.stats.retries).toBe(1);
    expect(sim.calls.filter((c) => c.operationId === "listLanes").map((c) => c.code)).toEqual([500, 0]);
  });

  it("a rule naming a lot meets only requests for that lot", async () => {
    const client = clientFor(sim, { retries: 0 });
    sim.faults.add({ operation: "listVehicles", parkingId: "park2", kind: "http500" });
    expect((await client.listVehicles({ parkingId: "park1", pageNo: 1, pageSize: 1 })).data).toHaveLength(1);
    expect(await failure(client.listVehicles({ parkingId: "park2", pageNo: 1, pageSize: 1 }))).toMatchObject({
      kind: "http",
      httpStatus: 500,
    });
  });

  it("http502 on a write is not retried: the client reports an HTTP failure", async () => {
    const client = clientFor(sim);
    sim.faults.add({ operation: "openGate", kind: "http502" });
    const error = await failure(client.openGate({ laneId: "park1-1" }));
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ kind: "http", httpStatus: 502 });
    expect(sim.state.gateOpenings("park1")).toEqual([]);
  });

  it("timeout holds the request past the client's timeout, then drops it", async () => {
    const client = clientFor(sim, { timeoutMs: 150, retries: 0 });
    await client.accessToken();
    sim.faults.add({ operation: "getLotStats", kind: "timeout", latencyMs: 400 });
    const error = await failure(client.getLotStats({ parkingId: "park1" }));
    expect(error).toMatchObject({ name: "TransportError", kind: "timeout" });
  });

  it("platformError answers code 1 with the given (or the default) message", async () => {
    const client = clientFor(sim);
    sim.faults.add({ operation: "listParkingLots", kind: "platformError", times: 1, msg: "车场服务维护中" });
    sim.faults.add({ operation: "listParkingLots", kind: "platformError", times: 1 });
    expect(await failure(client.listParkingLots())).toMatchObject({ code: 1, msg: "车场服务维护中" });
    const second = await failure(client.listParkingLots());
    expect(second).toBeInstanceOf(PlatformError);
    expect((second as PlatformError).msg).toBe("系统繁忙,请稍后重试");
    expect(await client.listParkingLots()).toHaveLength(3);
  });

  it("tokenExpired mid-run: the token really expires, the client fetches a new one once and the call goes through", async () => {
    const client = clientFor(sim);
    await client.listParkingLots();
    sim.faults.add({ operation: "deleteVehicle", kind: "tokenExpired", times: 1 });
    const plate = sim.state.authorisations("park1")[0]?.vehicleCode as string;
    await client.deleteVehicle({ parkingId: "park1", vehicleCode: plate });
    expect(client.stats.tokenFetches).toBe(2);
    expect(sim.state.authorisation("park1", plate)).toBeUndefined();
    expect(sim.calls.filter((c) => c.operationId === "deleteVehicle").map((c) => [c.code, c.msg])).toEqual([
      [1, "AccessToken无效或已过期"],
      [0, undefined],
    ]);
  });

  it("expireTokens invalidates every issued token; clients recover by fetching a new one", async () => {
    const client = clientFor(sim);
    await client.listParkingLots();
    sim.expireTokens();
    await client.listParkingLots();
    expect(client.stats.tokenFetches).toBe(2);
  });

  it("latency delays without changing the answer, and counts as applied", async () => {
    const client = clientFor(sim);
    sim.faults.add({ operation: "*", kind: "latency", latencyMs: 20, times: 2 });
    expect(await client.listParkingLots()).toHaveLength(3);
    expect(sim.faults.list()[0]).toMatchObject({ kind: "latency", applied: 2 });
  });

  it("a rate applies to about that share of requests, the same ones for the same seed", async () => {
    const pattern = async (target: RunningSimulator) => {
      target.faults.add({ operation: "listLanes", kind: "platformError", rate: 0.3 });
      const client = clientFor(target);
      const outcomes: boolean[] = [];
      for (let i = 0; i < 40; i++) {
        outcomes.push(
          await client.listLanes({ parkingId: "park1" }).then(
            () => true,
            () => false,
          ),
        );
      }
      return outcomes;
    };
    const other = await start({ seed: 1 });
    try {
      const first = await pattern(sim);
      const second = await pattern(other);
      expect(first).toEqual(second);
      const failures = first.filter((ok) => !ok).length;
      expect(failures).toBeGreaterThan(3);
      expect(failures).toBeLessThan(25);
    } finally {
      await other.close();
    }
  });

  it("faults.clear removes every rule; bad rules are refused with a reason", () => {
    sim.faults.add({ kind: "http500" });
    sim.faults.clear();
    expect(sim.faults.list()).toEqual([]);
    expect(() => sim.faults.add({ kind: "explode" as never })).toThrow(/kind must be one of/);
    expect(() => sim.faults.add({ kind: "latency", rate: 2 })).toThrow(/rate must be a number from 0 to 1/);
  });
});
