/**
 * Plates as people type them, in the nodes' fields: normalised before anything is sent (the
 * simulator validates with the platform's strict rule), the answer saying what was typed, and what
 * is still not a plate refused naming the field. Lists of a lot's items carry the lot.
 */
import { type RunningSimulator, startSimulator } from "@parkbridge/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ebopark } from "../../n8n-nodes/nodes/Ebopark/Ebopark.node";
import { ParkingOpenPlatform } from "../../n8n-nodes/nodes/ParkingOpenPlatform/ParkingOpenPlatform.node";
import { runNode } from "./harness";

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ port: 0, seed: 3 });
});
afterAll(async () => {
  await sim.close();
});

const platform = () => ({
  parkingOpenPlatformApi: { baseUrl: sim.url, appKey: "demo-app-key", appSecret: "demo-app-secret", sendIn: "header" },
});
const lot = (value: string) => ({ __rl: true, mode: "id", value });

describe("typed plates in the Parking Open Platform node", () => {
  it("authorises 粤b·12345 as 粤B12345 and says what was typed", async () => {
    const { output } = await runNode(new ParkingOpenPlatform(), {
      parameters: {
        resource: "vehicleAuthorisation",
        operation: "addVehicle",
        parkingId: lot("park1"),
        vehicleCode: "粤b·12345",
        vehicleType: "2",
        userName: "张三",
        userPhoneNumber: "13800138000",
        startTime: "2026-11-22",
        endTime: "2026-11-23",
      },
      credentials: platform(),
    });
    expect(output[0]?.json).toMatchObject({ success: true, vehicleCode: "粤B12345", vehicleCodeAsTyped: "粤b·12345" });
    expect(sim.state.authorisation("park1", "粤B12345")).toBeDefined();
  });

  it("reads full-width and spaced plates in lookups too, without noting an exact one", async () => {
    const { output } = await runNode(new ParkingOpenPlatform(), {
      parameters: {
        resource: "blacklist",
        operation: "addBlacklist",
        parkingId: lot("park1"),
        vehicleCode: "粤Ｂ　５４３２１",
        stopTime: "2026-12-31 23:59",
      },
      credentials: platform(),
    });
    expect(output[0]?.json).toMatchObject({ vehicleCode: "粤B54321", vehicleCodeAsTyped: "粤Ｂ　５４３２１" });
    const exact = await runNode(new ParkingOpenPlatform(), {
      parameters: {
        resource: "blacklist",
        operation: "deleteBlacklist",
        parkingId: lot("park1"),
        vehicleCode: "粤B54321",
      },
      credentials: platform(),
    });
    expect(exact.output[0]?.json).not.toHaveProperty("vehicleCodeAsTyped");
  });

  it("refuses what is still not a plate, naming the field, before anything is sent", async () => {
    const calls = sim.calls.length;
    await expect(
      runNode(new ParkingOpenPlatform(), {
        parameters: {
          resource: "blacklist",
          operation: "addBlacklist",
          parkingId: lot("park1"),
          vehicleCode: "粤b 12",
          stopTime: "2026-12-31 23:59",
        },
        credentials: platform(),
      }),
    ).rejects.toThrow(/^Plate \(vehicleCode\) must be a Chinese licence plate/);
    expect(sim.calls.length).toBe(calls);
  });

  it("gives each item of a lot's list its lot", async () => {
    const { output } = await runNode(new ParkingOpenPlatform(), {
      parameters: { resource: "vehicleAuthorisation", operation: "listVehicles", parkingId: lot("park2"), limit: 3 },
      credentials: platform(),
    });
    expect(output.map((item) => item.json.parkingId)).toEqual(["park2", "park2", "park2"]);
  });
});

describe("typed plates in the Ebopark node", () => {
  it("normalises every plate of a list", async () => {
    const { output } = await runNode(new Ebopark(), {
      parameters: {
        resource: "partnerService",
        operation: "AddMonthCarV2",
        ParkCode: "park2",
        CarNos: "京a·e2e61, 京Ｂ１２３４５",
        UserName: "李四",
        userMobile: "13900139000",
        lotDesc: '[{"lotNo":"A-01","chargeType":1,"startTime":"2026-12-01","endTime":"2026-12-31"}]',
      },
      credentials: {
        eboparkApi: {
          partnerHost: sim.url,
          cpgsHost: sim.url,
          partnerId: "demo-partner",
          secretKey: "demo-ebopark-secret",
          appKey: "demo-cpgs-key",
        },
      },
    });
    expect(output).toHaveLength(1);
    expect(sim.state.authorisation("park2", "京AE2E61")).toBeDefined();
    expect(sim.state.authorisation("park2", "京B12345")).toBeDefined();
  });
});
