import { existsSync, readFileSync } from "node:fs";
import {
  type CallableOperationId,
  type CallbackType,
  callbacks,
  createPlatformClient,
  eboparkOperations,
  type OperationDefinition,
  operationIds,
  operations,
  signCallback,
  verifyCallback,
} from "@parkbridge/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  callbackExamples,
  eboparkExamples,
  operationExamples,
  parseExample,
  seedDocuments,
} from "./fixtures/seed-examples.js";
import { validInputs } from "./fixtures/valid-inputs.js";
import { type FakeServer, startFakeServer, tokenAnswer } from "./helpers/fake-server.js";

const callableIds = operationIds.filter((id): id is CallableOperationId => id !== "getAccessToken");

describe.skipIf(!existsSync(seedDocuments.platform))("the fixtures are verbatim copies of the seeds", () => {
  const platformSeed = existsSync(seedDocuments.platform) ? readFileSync(seedDocuments.platform, "utf8") : "";
  const eboparkSeed = existsSync(seedDocuments.ebopark) ? readFileSync(seedDocuments.ebopark, "utf8") : "";

  it.each([...Object.entries(operationExamples), ...Object.entries(callbackExamples)])(
    "%s appears in the platform seed as is",
    (_id, example) => {
      expect(platformSeed).toContain(example);
    },
  );

  it("the Ebopark findByCarNo request and answer appear in the Ebopark seed as is", () => {
    expect(eboparkSeed).toContain(eboparkExamples.findByCarNo.request);
    expect(eboparkSeed).toContain(eboparkExamples.findByCarNo.response);
  });

  it("every callable operation and every callback has its example", () => {
    expect(Object.keys(operationExamples).sort()).toEqual([...callableIds].sort());
    expect(Object.keys(callbackExamples).sort()).toEqual(Object.keys(callbacks).sort());
  });
});

describe("each operation's example answer parses into its typed result", () => {
  it.each(callableIds)("%s", (id) => {
    const definition = operations[id] as OperationDefinition;
    const envelope = parseExample(operationExamples[id]);
    expect(envelope.code).toBe(0);
    const parsed = definition.result.safeParse(envelope[definition.resultKey]);
    expect(parsed.error).toBeUndefined();
    expect(parsed.success).toBe(true);
  });

  it("keeps the values and normalises the quirks (listInParkVehicles: unpadded intime)", () => {
    const envelope = parseExample(operationExamples.listInParkVehicles);
    const result = operations.listInParkVehicles.result.parse(envelope.result);
    expect(result.hasMore).toBe(true);
    expect(result.data.map((v) => v.intime)).toEqual(["2021-10-02 15:30:49", "2021-10-02 16:30:49"]);
    expect(result.data[1]?.vehicleType).toBe("9");
  });

  it("listAccessRecords: recordId kept as a string, accessType 1/2 → in/out", () => {
    const result = operations.listAccessRecords.result.parse(parseExample(operationExamples.listAccessRecords).result);
    expect(result.data.map((r) => [r.recordId, r.accessType, r.direction])).toEqual([
      ["123456", "1", "in"],
      ["123457", "2", "out"],
    ]);
  });

  it("getLotStats and listLanes are read from `data`", () => {
    const stats = operations.getLotStats.result.parse(parseExample(operationExamples.getLotStats).data);
    expect(stats).toMatchObject({ totalLot: 500, usedLot: 300, mothTotalLot: 300, mothUsedLot: 200, tempLot: 200 });
    const lanes = operations.listLanes.result.parse(parseExample(operationExamples.listLanes).data);
    expect(lanes.map((l) => l.laneName)).toEqual(["入口车道1", "出口车道1"]);
  });
});

describe("each example answer comes back typed through the client (served over loopback)", () => {
  let server: FakeServer;
  beforeAll(async () => {
    server = await startFakeServer((request) => {
      if (request.path === "/getAccessToken") return tokenAnswer("tok-1");
      const id = request.path.slice(1) as CallableOperationId;
      // The example is sent byte for byte as the seed shows it.
      return { text: operationExamples[id], status: 200 };
    });
  });
  afterAll(() => server.close());

  it.each(callableIds)("%s", async (id) => {
    const client = createPlatformClient({ baseUrl: server.url, appKey: "k", appSecret: "s", retries: 0 });
    const method = client[id] as (input: unknown) => Promise<unknown>;
    const result = await method(validInputs[id]);
    const definition = operations[id] as OperationDefinition;
    const expected = definition.result.parse(parseExample(operationExamples[id])[definition.resultKey]);
    expect(result).toEqual(expected);
  });
});

describe("each callback example verifies with a valid signature", () => {
  const appKey = "app-1";
  const secret = "secret-1";
  const now = Date.UTC(2026, 10, 22, 0, 0, 0);

  it.each(Object.keys(callbackExamples) as CallbackType[])("%s", async (type) => {
    const body = callbackExamples[type];
    const verdict = await verifyCallback({
      headers: { appKey, timestamp: String(now), sign: signCallback(appKey, now, secret) },
      body,
      secretFor: (key) => (key === appKey ? secret : undefined),
      now,
    });
    if (!verdict.ok) throw new Error(`rejected: ${verdict.reason} ${verdict.message}`);
    expect(verdict.event.callbackType).toBe(type);
    expect(verdict.event.event).toBe(callbacks[type].event);
    const { data } = parseExample(body) as { data: Record<string, unknown> };
    expect(verdict.event.data).toMatchObject(data);
  });

  it("the vehicle access example (accessType 1) is an exit, the camera example (status 0) is offline", async () => {
    const verify = (body: string) =>
      verifyCallback({
        headers: { appKey, timestamp: String(now), sign: signCallback(appKey, now, secret) },
        body,
        secretFor: () => secret,
        now,
      });
    const access = await verify(callbackExamples.PARKING_VEHICLE_ACCESS);
    const camera = await verify(callbackExamples.PARKING_CAMERA_ONLINE);
    expect(access.ok && access.event.event === "vehicleAccess" && access.event.data.direction).toBe("out");
    expect(camera.ok && camera.event.event === "cameraStatus" && camera.event.data.online).toBe(false);
  });
});

describe("Ebopark findByCarNo example", () => {
  it("the example answer parses through its result schema", () => {
    const answer = parseExample(eboparkExamples.findByCarNo.response);
    const parsed = eboparkOperations.findByCarNo.result.parse(answer);
    expect(parsed).toEqual(answer);
  });

  it("the example request (less appKey and sign) is a valid findByCarNo request", () => {
    const { carNo, parkCode } = parseExample(eboparkExamples.findByCarNo.request);
    expect(eboparkOperations.findByCarNo.request.parse({ carNo, parkCode })).toEqual({ carNo, parkCode });
  });
});
