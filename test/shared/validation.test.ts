import {
  type CallableOperationId,
  createPlatformClient,
  fieldMeta,
  MAX_PAGE_SIZE,
  type OperationDefinition,
  type OperationId,
  operationIds,
  operations,
  pagedOperationIds,
  ValidationError,
  validateRequest,
} from "@parkbridge/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validInputs } from "./fixtures/valid-inputs.js";
import { type FakeServer, startFakeServer, tokenAnswer } from "./helpers/fake-server.js";

const callableIds = operationIds.filter((id): id is CallableOperationId => id !== "getAccessToken");
// Widened once: indexing the literal catalogue by a union id and casting is very costly for tsc.
const catalogue: Record<OperationId, OperationDefinition> = operations;
/** A field schema, typed from the package's own zod (the repo holds more than one copy of zod). */
type FieldSchema = Parameters<typeof fieldMeta>[0];
const shapeOf = (id: OperationId) => catalogue[id].request.shape as Record<string, FieldSchema>;
const requiredFields = (id: OperationId) =>
  Object.entries(shapeOf(id))
    .filter(([, schema]) => !schema.safeParse(undefined).success)
    .map(([name]) => name);
const timeFields = (id: OperationId) =>
  Object.entries(shapeOf(id)).flatMap(([name, schema]) => {
    const format = fieldMeta(schema)?.timeFormat;
    return format ? [{ name, format }] : [];
  });
const withPlate = callableIds.filter((id) => "vehicleCode" in shapeOf(id));
const withRange = callableIds.filter((id) => "startTime" in shapeOf(id) && "endTime" in shapeOf(id));

/** validateRequest without its per-operation typing: the id here is a union, and inferring over it is costly for tsc. */
const validate = validateRequest as (id: OperationId, input: unknown) => Record<string, unknown>;

/** Runs validation and returns the ValidationError it must throw. */
function refusal(id: CallableOperationId, input: unknown): ValidationError {
  try {
    validate(id, input);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error(`${id} accepted ${JSON.stringify(input)}`);
}

/** The issue about one field: the error must name it, with its reason, in its message too. */
function issueFor(error: ValidationError, field: string) {
  const issue = error.issues.find((i) => i.field === field);
  expect(issue, `${error.message} should name ${field}`).toBeDefined();
  expect(error.message).toContain(`${field} ${issue?.reason}`);
  return issue as { field: string; reason: string };
}

describe.each(callableIds)("%s validation", (id) => {
  const good = validInputs[id] as Record<string, unknown>;

  it("accepts the full valid input", () => {
    expect(() => validate(id, good)).not.toThrow();
  });

  it("accepts only the required fields", () => {
    const minimal = Object.fromEntries(requiredFields(id).map((name) => [name, good[name]]));
    expect(() => validate(id, minimal)).not.toThrow();
  });

  it.each(requiredFields(id).map((name) => [name]))("refuses a missing %s: 'is required'", (name) => {
    const { [name]: _dropped, ...rest } = good;
    const error = refusal(id, rest);
    expect(error.operationId).toBe(id);
    expect(issueFor(error, name).reason).toBe("is required");
  });

  it("refuses an unknown field, naming it", () => {
    const error = refusal(id, { ...good, colour: "red" });
    expect(issueFor(error, "colour").reason).toMatch(/not a known field/);
  });
});

describe.each(withPlate)("%s refuses a plate of the wrong shape", (id) => {
  it.each(["ABC1234", "鲁A1234", "鲁a12345", "鲁A123456789", "A鲁12345", " 鲁A12345", ""])("%j", (plate) => {
    const error = refusal(id, { ...validInputs[id], vehicleCode: plate });
    expect(issueFor(error, "vehicleCode").reason).toMatch(/must be a Chinese licence plate/);
  });

  it.each(["鲁A12345", "京AD12345", "粤B1234学", "使123456", "川A11NW5", "沪A1234挂"])("accepts %s", (plate) => {
    expect(validate(id, { ...validInputs[id], vehicleCode: plate })).toMatchObject({
      vehicleCode: plate,
    });
  });
});

const wrongShapes = {
  date: ["2026/11/22", "2026-11-22 10:00", "22-11-2026", "2026-1-5", "20261122"],
  minute: ["2026-11-22", "2026-11-22 10:00:00", "2026/11/22 10:00", "2026-11-22T10:00", "2026-11-22 9:00"],
  second: ["2026-11-22", "2026-11-22 10:00", "2026-11-22T10:00:00", "2026-11-22 10:00:00Z", "2026-11-2 10:00:00"],
} as const;
const patterns = { date: "yyyy-MM-dd", minute: "yyyy-MM-dd HH:mm", second: "yyyy-MM-dd HH:mm:ss" } as const;
const impossible = {
  date: ["2026-02-30", "2026-13-01", "2025-02-29", "2026-04-31"],
  minute: ["2026-02-30 10:00", "2026-11-22 24:00", "2026-11-22 10:60"],
  second: ["2026-02-30 10:00:00", "2026-11-22 23:59:60", "2026-11-22 25:00:00"],
} as const;

describe.each(callableIds.filter((id) => timeFields(id).length > 0))("%s time fields", (id) => {
  for (const { name, format } of timeFields(id)) {
    it.each(wrongShapes[format].map((v) => [v]))(`${name} refuses %j: not ${patterns[format]}`, (value) => {
      const error = refusal(id, { ...validInputs[id], [name]: value });
      expect(issueFor(error, name).reason).toBe(`must be formatted ${patterns[format]}`);
    });
    it.each(impossible[format].map((v) => [v]))(`${name} refuses the impossible %j`, (value) => {
      const error = refusal(id, { ...validInputs[id], [name]: value });
      expect(issueFor(error, name).reason).toBe("is not a real calendar date/time");
    });
  }
  it("accepts a leap day", () => {
    const leap = { date: "2028-02-29", minute: "2028-02-29 23:59", second: "2028-02-29 23:59:59" };
    const input = { ...validInputs[id] } as Record<string, unknown>;
    for (const { name, format } of timeFields(id)) input[name] = leap[format];
    expect(() => validate(id, input)).not.toThrow();
  });
});

describe.each(withRange)("%s refuses endTime before startTime", (id) => {
  it("names endTime", () => {
    const input = { ...validInputs[id] } as Record<string, unknown>;
    const error = refusal(id, { ...input, startTime: input.endTime, endTime: input.startTime });
    expect(issueFor(error, "endTime").reason).toBe("must not be before startTime");
  });
  it("accepts endTime equal to startTime", () => {
    const input = { ...validInputs[id] } as Record<string, unknown>;
    expect(() => validate(id, { ...input, endTime: input.startTime })).not.toThrow();
  });
});

describe.each(pagedOperationIds)("%s paging fields", (id) => {
  const good = validInputs[id] as Record<string, unknown>;
  it(`refuses pageSize ${MAX_PAGE_SIZE + 1}`, () => {
    const error = refusal(id, { ...good, pageSize: MAX_PAGE_SIZE + 1 });
    expect(issueFor(error, "pageSize").reason).toMatch(/at most 1000/);
  });
  it("refuses pageSize 0, pageNo 0, a fractional and a non-numeric page", () => {
    expect(issueFor(refusal(id, { ...good, pageSize: 0 }), "pageSize").reason).toMatch(/at least 1/);
    expect(issueFor(refusal(id, { ...good, pageNo: 0 }), "pageNo").reason).toMatch(/1 or more/);
    expect(issueFor(refusal(id, { ...good, pageNo: 1.5 }), "pageNo").reason).toMatch(/whole number/);
    expect(issueFor(refusal(id, { ...good, pageSize: "lots" }), "pageSize").reason).toBe("must be a number");
  });
  it("accepts pageSize 1000 given as a string (n8n sends strings)", () => {
    expect(validate(id, { ...good, pageSize: "1000" })).toMatchObject({ pageSize: 1000 });
  });
});

describe("field-specific rules", () => {
  it("a field of the wrong kind keeps its reason (not 'is required')", () => {
    const error = refusal("openGate", { laneId: 5 });
    expect(issueFor(error, "laneId").reason).toBe("must be a string");
  });
  it("updateVehicle takes vehicleType 1 or 2 only; addVehicle also a custom type id", () => {
    expect(
      issueFor(refusal("updateVehicle", { ...validInputs.updateVehicle, vehicleType: "7" }), "vehicleType"),
    ).toMatchObject({ reason: "must be 1 (monthly) or 2 (free)" });
    expect(validate("addVehicle", { ...validInputs.addVehicle, vehicleType: 17 })).toMatchObject({
      vehicleType: "17",
    });
    expect(
      issueFor(refusal("addVehicle", { ...validInputs.addVehicle, vehicleType: "VIP" }), "vehicleType").reason,
    ).toMatch(/custom vehicle type id/);
  });
  it("issueCoupon: couponType 1–3 only, discount a positive whole number", () => {
    expect(issueFor(refusal("issueCoupon", { ...validInputs.issueCoupon, couponType: 4 }), "couponType").reason).toBe(
      "must be 1 (visits), 2 (hours) or 3 (money)",
    );
    expect(issueFor(refusal("issueCoupon", { ...validInputs.issueCoupon, discount: 1.5 }), "discount").reason).toBe(
      "must be a whole number",
    );
  });
  it("laneNos: comma-separated, no blanks", () => {
    expect(issueFor(refusal("addVehicle", { ...validInputs.addVehicle, laneNos: "1, 2" }), "laneNos").reason).toBe(
      "must be lane numbers separated by commas",
    );
  });
  it("an empty parkingId is refused with its reason", () => {
    expect(
      issueFor(refusal("deleteVehicle", { ...validInputs.deleteVehicle, parkingId: "  " }), "parkingId").reason,
    ).toMatch(/must not be empty/);
  });
  it("the issue carries the platform's Chinese term", () => {
    expect(issueFor(refusal("deleteVehicle", { parkingId: "p" }), "vehicleCode")).toMatchObject({ zh: "车牌号" });
  });
});

describe("the client validates before sending anything", () => {
  let server: FakeServer;
  beforeAll(async () => {
    server = await startFakeServer(() => tokenAnswer("t"));
  });
  afterAll(() => server.close());

  it("throws the ValidationError and makes no request", async () => {
    const client = createPlatformClient({ baseUrl: server.url, appKey: "k", appSecret: "s" });
    const error = await client
      .addBlacklist({ ...validInputs.addBlacklist, stopTime: "2026-02-30" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe("stopTime");
    expect(server.requests).toHaveLength(0);
  });

  it("a listAccessRecords range with a bad date is refused before anything is sent", async () => {
    const client = createPlatformClient({ baseUrl: server.url, appKey: "k", appSecret: "s" });
    await expect(
      client.listAccessRecords({ ...validInputs.listAccessRecords, endTime: "2026-11-31 00:00:00" }),
    ).rejects.toThrow(/endTime is not a real calendar date/);
    expect(() =>
      client.iterate.listAccessRecords({
        parkingId: "park123",
        startTime: "2026-11-22 00:00:00",
        endTime: "2026-11-20 00:00:00",
      }),
    ).toThrow(/endTime must not be before startTime/);
    expect(server.requests).toHaveLength(0);
  });
});
