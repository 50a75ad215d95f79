/**
 * The compiled fast path of answer parsing (shared/src/platform/fast-parse.ts) against zod itself:
 * whenever the fast path answers, zod succeeds with a deeply equal value (same key order, input
 * untouched), for every schema of the catalogue and for arbitrary and near-miss inputs; and on
 * valid answers (seed examples, simulator pages) the fast path does answer, so it cannot silently
 * stop being used.
 */
import { isDeepStrictEqual } from "node:util";
import {
  type CallbackType,
  callbacks,
  createPlatformClient,
  formatPlatformTime,
  type OperationDefinition,
  type OperationId,
  operationIds,
  operations,
  pagedOperationIds,
} from "@parkbridge/shared";
import { type RunningSimulator, startSimulator } from "@parkbridge/simulator";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { FAIL, fastParser } from "../../shared/src/platform/fast-parse.js";
import { callbackExamples, operationExamples, parseExample } from "./fixtures/seed-examples.js";

// ---- comparing with zod ----------------------------------------------------------------------

/** Every key path (sorted: a valid object comes back as it is, keeping the platform's key order). */
function keyOrder(value: unknown, path = "$", into: string[] = []): string[] {
  if (value === null || typeof value !== "object") return into;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) keyOrder(item, `${path}[${i}]`, into);
    return into;
  }
  for (const key of Object.keys(value)) {
    into.push(`${path}.${key}`);
    keyOrder((value as Record<string, unknown>)[key], `${path}.${key}`, into);
  }
  return into;
}

/**
 * Deep equality that also tells prototypes, -0 from 0, holes from undefined apart, and own keys from
 * inherited ones. Key order may differ: zod copies in its shape's order, the fast path keeps a valid
 * plain object as it is.
 * (Not toStrictEqual: it compares `.constructor`, which an own "constructor" key in the data replaces.)
 */
function expectSame(actual: unknown, expected: unknown): void {
  if (!isDeepStrictEqual(actual, expected)) expect(actual).toEqual(expected); // for the diff
  expect(isDeepStrictEqual(actual, expected)).toBe(true);
  expect(keyOrder(actual).sort()).toEqual(keyOrder(expected).sort());
}

type Outcome = { fast: unknown; zodOk: boolean | "threw"; zodData?: unknown };

/** Runs both; fails the test if the fast path answered something zod does not answer. */
function compare(schema: z.ZodType, input: unknown, copy: unknown): Outcome {
  const fast = fastParser(schema)(input);
  expectSame(input, copy); // the input is not mutated
  let zodOk: Outcome["zodOk"];
  let zodData: unknown;
  try {
    const parsed = schema.safeParse(input);
    zodOk = parsed.success;
    zodData = parsed.data;
  } catch {
    zodOk = "threw";
  }
  if (fast !== FAIL) {
    expect(zodOk).toBe(true);
    expectSame(fast, zodData);
  }
  return { fast, zodOk, zodData };
}

// ---- the catalogue's schemas and a valid value of each ---------------------------------------

interface Subject {
  name: string;
  schema: z.ZodType;
  valid: unknown[];
}

const callableExample = (id: OperationId): unknown[] => {
  if (id === "getAccessToken") return [{ accessToken: "tok-1", expiresIn: 7200 }];
  const definition = operations[id] as OperationDefinition;
  const envelope = parseExample(operationExamples[id]);
  return [envelope[definition.resultKey]];
};

const subjects: Subject[] = [
  ...operationIds.map((id) => ({
    name: `${id} result`,
    schema: (operations[id] as OperationDefinition).result,
    valid: callableExample(id),
  })),
  ...(Object.keys(callbacks) as CallbackType[]).map((type) => ({
    name: `${type} data`,
    schema: callbacks[type].data as z.ZodType,
    valid: [parseExample(callbackExamples[type]).data],
  })),
];

// ---- arbitraries -------------------------------------------------------------------------------

const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    undefined,
    true,
    false,
    0,
    -0,
    1,
    2,
    -1,
    1.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    2 ** 53,
    "",
    " ",
    "0",
    "1",
    "2",
    "9",
    "abc",
    "2021-10-2 5:3:9",
    "2021-10-02 05:03:09",
    "2025-1-1",
    "2026-13-45 25:61:61",
    "鲁A12345",
  ),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 8 }),
  fc.array(fc.anything({ maxDepth: 1 }), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.anything({ maxDepth: 1 }), { maxKeys: 2 }),
);

/** Values next to a valid scalar: a number for a numeric string and back, unpadded dates, … */
function nearMiss(value: unknown): fc.Arbitrary<unknown> {
  const options: unknown[] = [];
  if (typeof value === "string") {
    if (/^-?\d+(\.\d+)?$/.test(value)) options.push(Number(value));
    // Drop the zero padding of every date/time part: "2025-01-01 08:05:00" → "2025-1-1 8:5:0".
    if (/^\d{4}-\d{2}-\d{2}/.test(value)) options.push(value.replace(/(^|[-: ])0(\d)/g, "$1$2"));
    options.push(` ${value}`, value.slice(1), `${value}x`);
  } else if (typeof value === "number") {
    options.push(String(value), value + 0.5, -value, value * 1e20);
  } else if (typeof value === "boolean") {
    options.push(String(value), Number(value));
  }
  return options.length ? fc.constantFrom(...options) : junk;
}

const MISSING = Symbol("missing");
const EXTRA_KEYS = ["__proto__", "constructor", "toString", "hasMore", "has_more", "data", "direction", "online", "x"];

/** Valid values taken apart: kept, mutated, dropped or replaced field by field, with extra keys and shuffled order. */
function mutated(base: unknown, depth = 0): fc.Arbitrary<unknown> {
  if (Array.isArray(base)) {
    if (base.length === 0) return fc.oneof({ weight: 4, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: junk });
    const item = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...base) },
      { weight: 3, arbitrary: fc.constantFrom(...base).chain((b) => mutated(b, depth + 1)) },
      { weight: 1, arbitrary: junk },
    );
    return fc.oneof({ weight: 8, arbitrary: fc.array(item, { maxLength: 4 }) }, { weight: 1, arbitrary: junk });
  }
  if (base !== null && typeof base === "object") {
    const entries = Object.entries(base);
    const perKey = entries.map(([, v]) =>
      fc.oneof(
        { weight: 8, arbitrary: fc.constant(v) },
        { weight: 2, arbitrary: depth < 3 ? mutated(v, depth + 1) : junk },
        { weight: 1, arbitrary: fc.constant(MISSING) },
        { weight: 1, arbitrary: junk },
      ),
    );
    const extras = fc.option(
      fc.dictionary(fc.oneof(fc.constantFrom(...EXTRA_KEYS, ...entries.map(([k]) => k)), fc.string()), junk, {
        maxKeys: 2,
      }),
      { freq: 3 },
    );
    const object = fc.tuple(fc.tuple(...perKey), extras, fc.boolean()).map(([values, extra, reverse]) => {
      const out: Record<string, unknown> = {};
      const order = entries.map(([k], i) => [k, values[i]] as const);
      for (const [k, v] of reverse ? order.reverse() : order) if (v !== MISSING) out[k] = v;
      // defineProperty: a "__proto__" key becomes an own key, as JSON.parse makes it.
      for (const [k, v] of Object.entries(extra ?? {}))
        Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
      return out;
    });
    return fc.oneof({ weight: 10, arbitrary: object }, { weight: 1, arbitrary: junk });
  }
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant(base) },
    { weight: 2, arbitrary: nearMiss(base) },
    { weight: 1, arbitrary: junk },
  );
}

const anything = fc.anything({
  maxDepth: 3,
  withNullPrototype: true,
  withBoxedValues: true,
  withSparseArray: true,
  withDate: true,
  withMap: true,
  withBigInt: true,
});

// ---- the properties ------------------------------------------------------------------------------

describe("the fast path agrees with zod", () => {
  describe.each(subjects)("$name", ({ schema, valid }) => {
    it("on the valid examples it answers, with zod's value", () => {
      for (const value of valid) {
        const { fast, zodOk } = compare(schema, value, structuredClone(value));
        expect(zodOk).toBe(true);
        expect(fast).not.toBe(FAIL);
      }
    });

    it("on arbitrary values", () => {
      fc.assert(
        fc.property(fc.clone(anything, 2), ([input, copy]) => {
          compare(schema, input, copy);
        }),
        { numRuns: 300 },
      );
    });

    it("on valid examples taken apart (wrong types, numbers for strings, missing and extra keys, unpadded dates)", () => {
      let answered = 0;
      let refused = 0;
      fc.assert(
        fc.property(
          fc.clone(
            fc.constantFrom(...valid).chain((v) => mutated(v)),
            2,
          ),
          ([input, copy]) => {
            const { fast, zodOk } = compare(schema, input, copy);
            // The catalogue has no transform that throws and no refinement the fast path cannot
            // run, so it is unsure of nothing: it answers exactly when zod succeeds.
            expect(fast !== FAIL).toBe(zodOk === true);
            if (fast === FAIL) refused++;
            else answered++;
          },
        ),
        { numRuns: 400 },
      );
      // Both sides were exercised (the generator is not all-valid nor all-junk).
      expect(answered).toBeGreaterThan(20);
      if (schema._zod.def.type !== "unknown") expect(refused).toBeGreaterThan(20);
    });
  });
});

// ---- valid answers take the fast path ----------------------------------------------------------

describe("valid simulator answers take the fast path", () => {
  let sim: RunningSimulator;
  const answers = new Map<string, unknown[]>();

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, seed: 11 });
    // Keep the raw payload of every answer the client receives.
    const client = createPlatformClient({
      baseUrl: sim.url,
      appKey: "demo-app-key",
      appSecret: "demo-app-secret",
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        const id = new URL(String(input)).pathname.slice(1);
        const envelope = JSON.parse(await response.clone().text());
        const definition = operations[id as OperationId] as OperationDefinition;
        answers.set(id, [...(answers.get(id) ?? []), envelope[definition.resultKey]]);
        return response;
      },
    });
    const drain = async (items: AsyncIterable<unknown>) => {
      for await (const _item of items) {
        // only the answers matter
      }
    };
    const now = Date.now();
    const lots = await client.listParkingLots();
    for (const { value: parkingId } of lots) {
      await drain(client.iterate.listVehicles({ parkingId, pageSize: 7 }));
      await drain(client.iterate.listInParkVehicles({ parkingId, pageSize: 5 }));
      await drain(client.iterate.listBlacklist({ parkingId, pageSize: 2 }));
      await drain(
        client.iterate.listAccessRecords({
          parkingId,
          pageSize: 20,
          startTime: formatPlatformTime(now - 60 * 3_600_000, "second"),
          endTime: formatPlatformTime(now + 60_000, "second"),
        }),
      );
      await client.listVehicleTypes({ parkingId });
      await client.getLotStats({ parkingId });
      await client.listLanes({ parkingId });
    }
  });
  afterAll(() => sim?.close());

  it.each([...pagedOperationIds, "listParkingLots", "getLotStats", "listLanes", "getAccessToken"])("%s", (id) => {
    const payloads = answers.get(id) ?? [];
    expect(payloads.length).toBeGreaterThan(0);
    const schema = (operations[id as OperationId] as OperationDefinition).result;
    let items = 0;
    for (const payload of payloads) {
      const { fast } = compare(schema, payload, structuredClone(payload));
      expect(fast).not.toBe(FAIL);
      const data = (payload as { data?: unknown[] }).data;
      items += Array.isArray(data) ? data.length : 1;
    }
    expect(items).toBeGreaterThan(0);
  });
});

// ---- schemas beyond the catalogue: every kind of node, and what the fast path must refuse ----------

const synthetic: Array<{ name: string; schema: z.ZodType; valid: unknown[] }> = [
  {
    name: "object kinds",
    schema: z.object({
      strip: z.object({ a: z.string(), b: z.number().optional() }),
      strict: z.strictObject({ a: z.boolean() }).optional(),
      loose: z.looseObject({ a: z.literal(["x", 1]) }).nullable(),
      parsedExtras: z.object({ a: z.string() }).catchall(z.number().transform((n) => n * 2)),
      withDefault: z.string().default("d"),
      transformed: z.string().transform((s) => s.length),
      preprocessed: z.preprocess((v) => (typeof v === "number" ? String(v) : v), z.string()),
      e: z.enum(["a", "b"]),
      list: z.array(z.number().int().min(0).max(10)),
      listWithChecks: z.array(z.string()).min(1).optional(),
      refined: z.object({ a: z.string() }).refine((o) => o.a !== "bad"),
      numbers: z
        .object({
          gt: z.number().gt(1).lt(5),
          gte: z.number().gte(1).lte(5),
          safe: z.number().int(),
          i32: z.int32(),
          coerced: z.coerce.number().positive(),
          multiple: z.number().multipleOf(3),
        })
        .partial(),
    }),
    valid: [
      {
        strip: { a: "s", b: 1, c: "stripped" },
        strict: { a: true },
        loose: { a: "x", extra: [1] },
        parsedExtras: { a: "a", n: 2 },
        transformed: "abc",
        preprocessed: 12,
        e: "a",
        list: [0, 10],
        refined: { a: "ok" },
        numbers: { gt: 2, gte: 1, safe: 3, i32: 4, coerced: 5, multiple: 9 },
      },
      {
        strip: { a: "s" },
        loose: null,
        parsedExtras: { a: "a" },
        withDefault: "w",
        transformed: "",
        preprocessed: "p",
        e: "b",
        list: [],
        listWithChecks: ["x"],
        refined: { a: "fine" },
        numbers: { coerced: "7" },
      },
    ],
  },
  {
    name: "unions",
    schema: z.object({
      first: z.union([z.string(), z.boolean(), z.number().transform(String)]),
      disc: z
        .discriminatedUnion("kind", [
          z.object({ kind: z.literal("a"), a: z.string() }),
          z.object({ kind: z.literal("b"), b: z.number() }),
        ])
        .optional(),
      exclusive: z.xor([z.string(), z.number()]).optional(),
      nested: z.union([z.array(z.string()), z.null()]).optional(),
    }),
    valid: [
      { first: "s", disc: { kind: "a", a: "x" }, exclusive: "e", nested: ["n"] },
      { first: 3, disc: { kind: "b", b: 1 }, exclusive: 2, nested: null },
      { first: false },
    ],
  },
  {
    name: "a recursive schema",
    schema: (() => {
      const node: z.ZodType = z.object({
        name: z.string(),
        get children() {
          return z.array(node).optional();
        },
      });
      return node;
    })(),
    valid: [{ name: "root", children: [{ name: "leaf" }, { name: "branch", children: [] }] }],
  },
];

describe("the fast path on every kind of node", () => {
  describe.each(synthetic)("$name", ({ schema, valid }) => {
    it("agrees with zod on the valid values, taken apart, and arbitrary values", () => {
      for (const value of valid) compare(schema, value, structuredClone(value));
      fc.assert(
        fc.property(
          fc.clone(
            fc.constantFrom(...valid).chain((v) => mutated(v)),
            2,
          ),
          ([input, copy]) => {
            compare(schema, input, copy);
          },
        ),
        { numRuns: 500 },
      );
      fc.assert(
        fc.property(fc.clone(anything, 2), ([input, copy]) => {
          compare(schema, input, copy);
        }),
        { numRuns: 200 },
      );
    });

    it("answers the valid values itself (delegating the nodes it does not know)", () => {
      for (const value of valid) expect(fastParser(schema)(value)).not.toBe(FAIL);
    });
  });

  it("copies (shape order, then extra keys in input order) only when something changes", () => {
    const schema = z.looseObject({ a: z.string(), b: z.union([z.string(), z.number().transform(String)]) });
    const valid = { z: 1, b: "b", y: 2, a: "a" };
    const same = fastParser(schema)(valid);
    const changed = fastParser(schema)({ ...valid, b: 2 });
    expect(Object.keys(changed as object)).toEqual(["a", "b", "z", "y"]);
    expect(changed).toEqual({ ...valid, b: "2" });
    expect(same).toBe(valid); // nothing to change: the input itself, not a copy
    // A key to strip, or another prototype, always means a copy.
    const stripped = fastParser(z.object({ a: z.string() }))({ a: "a", b: "b" });
    expect(stripped).toStrictEqual({ a: "a" });
    const nullProto = Object.assign(Object.create(null), { a: "a" });
    expect(fastParser(z.looseObject({ a: z.string() }))(nullProto)).not.toBe(nullProto);
  });

  it("returns an array of unchanged items as it is, and copies one with a change or a hole", () => {
    const list = fastParser(z.array(z.union([z.string(), z.number().transform(String)])));
    const valid = ["a", "b"];
    expect(list(valid)).toBe(valid);
    const changed = ["a", 2, "c"];
    expect(list(changed)).toStrictEqual(["a", "2", "c"]);
    expect(changed).toStrictEqual(["a", 2, "c"]);
    const optional = fastParser(z.array(z.string().optional()));
    const holey = new Array(2).fill("b", 1); // a hole, then "b"
    const out = optional(holey) as unknown[];
    expect(out).not.toBe(holey);
    expect(0 in out).toBe(true); // zod writes the hole out as undefined
    // Unchanged objects inside stay the very same objects: a page of valid items is not copied.
    const page = { hasMore: false, data: [{ a: "x" }, { a: "y" }] };
    const parsed = fastParser(z.object({ hasMore: z.boolean(), data: z.array(z.looseObject({ a: z.string() })) }))(
      page,
    );
    expect(parsed).toBe(page);
  });

  it("never writes an own __proto__ into the output", () => {
    const input = JSON.parse('{"a":"x","__proto__":{"polluted":true}}');
    const out = fastParser(z.looseObject({ a: z.string() }))(input) as Record<string, unknown>;
    expect(out).toStrictEqual({ a: "x" });
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(fastParser(z.strictObject({ a: z.string() }))(input)).toBe(FAIL);
  });

  it("does not move past a union option that throws where zod would throw", () => {
    const schema = z.union([
      z.string().transform(() => {
        throw new Error("boom");
      }),
      z.string(),
    ]);
    expect(() => schema.parse("x")).toThrow("boom");
    expect(fastParser(schema)("x")).toBe(FAIL);
  });

  it("after an option that runs user code, leaves the rest of a union to zod", () => {
    // zod would try the boolean; the fast path cannot tell a failed transform from one that threw.
    const schema = z.union([z.number().transform(String), z.boolean()]);
    expect(schema.parse(false)).toBe(false);
    expect(fastParser(schema)(false)).toBe(FAIL);
    expect(fastParser(schema)(1)).toBe("1");
  });

  it("refuses a transform that adds an issue or answers a promise", () => {
    const withIssue = z.string().transform((v, ctx) => {
      if (v === "bad") ctx.addIssue({ code: "custom", message: "bad" });
      return v.toUpperCase();
    });
    expect(fastParser(withIssue)("ok")).toBe("OK");
    expect(fastParser(withIssue)("bad")).toBe(FAIL);
    expect(withIssue.safeParse("bad").success).toBe(false);
    const asynchronous = z.string().transform(async (v) => v);
    expect(fastParser(asynchronous)("x")).toBe(FAIL);
  });

  it("refuses what zod refuses in a hot item: a required key missing, a wrong type, an extra key on a strict object", () => {
    const item = z.looseObject({ vehicleCode: z.string(), lotNum: z.coerce.number().int().optional() });
    const parse = fastParser(item);
    expect(parse({ vehicleCode: "鲁A12345", lotNum: 1 })).toStrictEqual({ vehicleCode: "鲁A12345", lotNum: 1 });
    expect(parse({ vehicleCode: "鲁A12345", lotNum: "2" })).toStrictEqual({ vehicleCode: "鲁A12345", lotNum: 2 });
    expect(parse({ lotNum: 1 })).toBe(FAIL);
    expect(parse({ vehicleCode: 5 })).toBe(FAIL);
    expect(parse({ vehicleCode: "x", lotNum: 1.5 })).toBe(FAIL);
    expect(parse([])).toBe(FAIL);
    expect(fastParser(z.strictObject({ a: z.string() }))({ a: "a", b: 1 })).toBe(FAIL);
  });
});

describe("the fast path is compiled once per schema", () => {
  it("answers the same function for the same schema", () => {
    const schema = operations.listVehicles.result;
    expect(fastParser(schema)).toBe(fastParser(schema));
  });
});

// The harness itself: a fast path answering a different value must be caught by `compare`.
describe("the comparison catches a wrong answer", () => {
  it.each([
    ["a key", { x: 1, y: 2 }, { x: 1, z: 2 }],
    ["a missing key", { x: 1, y: undefined }, { x: 1 }],
    ["-0", { x: -0 }, { x: 0 }],
    ["a prototype", Object.create(null), {}],
    ["a hole", new Array(2).fill(1, 1), [undefined, 1]],
    ["a nested value", { x: { y: "2021-10-02" } }, { x: { y: "2021-10-2" } }],
  ])("%s", (_name, a, b) => {
    expect(() => expectSame(a, b)).toThrow();
    expect(() => expectSame(a, a)).not.toThrow();
  });
});
