import { gzipSync } from "node:zlib";
import {
  type CpgsSigner,
  createEboparkClient,
  type EboparkClientOptions,
  md5Hex,
  PlatformError,
  TransportError,
  ValidationError,
} from "@parkbridge/shared";
import { encodeGbk } from "@parkbridge/simulator";
import { afterEach, describe, expect, it } from "vitest";
import { eboparkExamples, parseExample } from "./fixtures/seed-examples.js";
import { type FakeServer, type Handler, startFakeServer } from "./helpers/fake-server.js";

const servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function host(handler: Handler) {
  const server = await startFakeServer(handler);
  servers.push(server);
  return server;
}

const credentials = { partnerId: "partner-9", secretKey: "s3cr3t", appKey: "test" } as const;
async function setup(
  partner: Handler,
  cpgs: Handler = () => ({ status: 404, text: "" }),
  extra: Partial<EboparkClientOptions> = {},
) {
  const partnerHost = await host(partner);
  const cpgsHost = await host(cpgs);
  const client = createEboparkClient({
    partnerHost: `${partnerHost.url}/`,
    cpgsHost: cpgsHost.url,
    timeoutMs: 2000,
    ...credentials,
    ...extra,
  });
  return { client, partnerHost, cpgsHost };
}

const stateOk = (data: unknown) => ({ json: { state: 0, desc: "成功", data } });
const codeOk = (result: unknown) => ({ json: { code: 200, msg: "success", result } });

/** What a partnerService request must look like on the wire: partnerid and sign in the query, sign over the exact body. */
function expectSignedPartnerRequest(server: FakeServer, name: string) {
  const [request] = server.to(`/partnerService/${name}`);
  expect(request, `a request to ${name}`).toBeDefined();
  if (!request) return undefined;
  expect(request.method).toBe("POST");
  expect(request.query.get("partnerid")).toBe(credentials.partnerId);
  expect(request.query.get("sign")).toBe(md5Hex(request.rawBody + credentials.secretKey));
  expect(request.headers["content-type"]).toMatch(/^application\/json/);
  return request;
}

describe("findByCarNo (CPGS)", () => {
  it("POSTs {appKey, carNo, parkCode, sign} to the CPGS host and returns the seed's answer typed", async () => {
    const { client, cpgsHost, partnerHost } = await setup(
      () => ({ status: 500, text: "" }),
      () => ({ text: eboparkExamples.findByCarNo.response }),
    );
    const result = await client.findByCarNo({ carNo: "川A11NW5", parkCode: "1234" });
    expect(result).toEqual(parseExample(eboparkExamples.findByCarNo.response));
    const [request] = cpgsHost.to("/partner/findByCarNo");
    const fields = { appKey: "test", carNo: "川A11NW5", parkCode: "1234" };
    expect(request?.body).toEqual({
      ...fields,
      sign: md5Hex(`appKey=test&carNo=川A11NW5&parkCode=1234${credentials.secretKey}`),
    });
    expect(request?.rawBody).toContain("川A11NW5");
    expect(partnerHost.requests).toHaveLength(0);
  });

  it("the CPGS signer is replaceable", async () => {
    const calls: Array<[Record<string, string>, string]> = [];
    const cpgsSigner: CpgsSigner = (fields, secretKey) => {
      calls.push([fields, secretKey]);
      return "389786d0bcd00d28d7e6a1580bb4564d";
    };
    const { client, cpgsHost } = await setup(
      () => ({ status: 500, text: "" }),
      () => ({ text: eboparkExamples.findByCarNo.response }),
      { cpgsSigner },
    );
    await client.findByCarNo({ carNo: "川A11NW5", parkCode: "1234" });
    expect(calls).toEqual([[{ appKey: "test", carNo: "川A11NW5", parkCode: "1234" }, credentials.secretKey]]);
    // The seed's example request, byte for byte once re-serialised compactly.
    expect(cpgsHost.to("/partner/findByCarNo")[0]?.rawBody).toBe(
      JSON.stringify(parseExample(eboparkExamples.findByCarNo.request)),
    );
  });

  it("validates the plate length (3 to 10 characters) before sending", async () => {
    const { client, cpgsHost } = await setup(() => ({ status: 500, text: "" }));
    await expect(client.findByCarNo({ carNo: "川A", parkCode: "1234" })).rejects.toThrow(
      /carNo must have at least 3 characters/,
    );
    await expect(client.findByCarNo({ carNo: "川A11NW5", parkCode: "" })).rejects.toBeInstanceOf(ValidationError);
    await expect(client.findByCarNo({ carNo: "川A11NW5" } as never)).rejects.toThrow(/parkCode is required/);
    expect(cpgsHost.requests).toHaveLength(0);
  });

  it("a failure envelope becomes a PlatformError with its message", async () => {
    const { client } = await setup(
      () => ({ status: 500, text: "" }),
      () => ({ json: { state: 1, desc: "车辆不在场" } }),
    );
    await expect(client.findByCarNo({ carNo: "川A11NW5", parkCode: "1234" })).rejects.toMatchObject({
      name: "PlatformError",
      operationId: "findByCarNo",
      msg: "车辆不在场",
    });
  });

  it("an answer that is neither the record nor an envelope is malformed", async () => {
    const { client } = await setup(
      () => ({ status: 500, text: "" }),
      () => ({ json: null }),
    );
    await expect(client.findByCarNo({ carNo: "川A11NW5", parkCode: "1234" })).rejects.toMatchObject({
      name: "TransportError",
      kind: "malformed",
    });
  });
});

/** Ebopark's published carParkSession example: its request, and its answer's keys seen (values as shown). */
const SESSION_REQUEST = { parkCode: "510185001", startTime: "2025-06-26 10:00:00", endTime: "2025-06-27 00:00:00" };
const SESSION_RECORD = {
  entryChannelId: 9460,
  miscAmount: 0.0,
  isNewEnergy: 0,
  freeReason: "",
  entryNotes: null,
  companyName: "",
  chargeType: "TEMP",
  operatorName: "",
  plateColor: "",
  entryPlateImage: "",
  exitPlateImage: "",
  carColor: "",
  couponAmount: 0.0,
  plateNumber: "川A12345",
};

describe("carParkSession (ump host)", () => {
  it("POSTs {parkCode, startTime, endTime} to {umpHost}/ebo/park/query/carParkSession, signed partnerService-style", async () => {
    const ump = await host(() => codeOk({ carParkSessionList: [SESSION_RECORD] }));
    const { client, partnerHost } = await setup(() => ({ status: 500, text: "" }), undefined, { umpHost: ump.url });
    const answer = await client.carParkSession(SESSION_REQUEST);
    expect(answer).toEqual({ carParkSessionList: [{ ...SESSION_RECORD, entryChannelId: "9460" }] });
    const [request] = ump.to("/ebo/park/query/carParkSession");
    expect(request?.rawBody).toBe(JSON.stringify(SESSION_REQUEST));
    expect(request?.query.get("partnerid")).toBe(credentials.partnerId);
    expect(request?.query.get("sign")).toBe(md5Hex(`${request?.rawBody}${credentials.secretKey}`));
    expect(partnerHost.requests).toHaveLength(0);
  });

  it("without umpHost goes to the partner host (where Ebopark's test environment serves it)", async () => {
    const { client, partnerHost } = await setup(() => codeOk({ carParkSessionList: [] }));
    await expect(client.carParkSession(SESSION_REQUEST)).resolves.toEqual({ carParkSessionList: [] });
    expect(partnerHost.to("/ebo/park/query/carParkSession")).toHaveLength(1);
  });

  it("validates the range before sending: yyyy-MM-dd HH:mm:ss, end not before start", async () => {
    const { client, partnerHost } = await setup(() => codeOk({ carParkSessionList: [] }));
    await expect(client.carParkSession({ ...SESSION_REQUEST, startTime: "2025-06-26" })).rejects.toThrow(
      /startTime must be formatted yyyy-MM-dd HH:mm:ss/,
    );
    await expect(client.carParkSession({ ...SESSION_REQUEST, endTime: "2025-06-26 09:59:59" })).rejects.toThrow(
      /endTime must not be before startTime/,
    );
    expect(partnerHost.requests).toHaveLength(0);
  });

  it("a refusal {code ≠ 200, msg} is a PlatformError with Ebopark's msg", async () => {
    const { client } = await setup(() => ({ json: { code: 401, msg: "签名错误", result: null } }));
    await expect(client.carParkSession(SESSION_REQUEST)).rejects.toMatchObject({
      name: "PlatformError",
      code: 401,
      msg: "签名错误",
    });
  });
});

describe("answers as Ebopark's servers send them (gzip, GBK), from a real loopback server", () => {
  const rules = [{ ruleId: 7, ruleName: "标准月租", chargeType: "MONTH", amount1: 300 }];
  const text = JSON.stringify({ state: 0, total: 1, result: rules, desc: "成功" });
  const expected = [{ ...rules[0], ruleId: "7" }];
  const answer = (bytes: Uint8Array, headers: Record<string, string>) => () => ({ bytes, headers });

  it.each([
    [
      "gzip, declared (the transport inflates it)",
      gzipSync(text),
      { "content-encoding": "gzip", "content-type": "application/json" },
    ],
    ["gzip, undeclared (the client inflates it)", gzipSync(text), { "content-type": "application/json" }],
    ["GBK, declared", encodeGbk(text), { "content-type": "application/json;charset=GBK" }],
    ["GBK, undeclared", encodeGbk(text), { "content-type": "application/json" }],
    [
      "GBK and gzip",
      gzipSync(encodeGbk(text)),
      { "content-encoding": "gzip", "content-type": "application/json; charset=gbk" },
    ],
    ["GB2312 declared", encodeGbk(text), { "content-type": "text/html; charset=gb2312" }],
  ])("%s", async (_name, bytes, headers) => {
    const { client } = await setup(answer(new Uint8Array(bytes), headers));
    await expect(client.QueryMonthRule({ ParkCode: "510107148" })).resolves.toEqual(expected);
  });

  it("a GBK refusal keeps Ebopark's Chinese message", async () => {
    const refusal = JSON.stringify({ state: 1, desc: "车场不存在:510107148" });
    const { client } = await setup(answer(encodeGbk(refusal), { "content-type": "application/json; charset=GBK" }));
    await expect(client.QueryMonthRule({ ParkCode: "510107148" })).rejects.toMatchObject({
      name: "PlatformError",
      msg: "车场不存在:510107148",
    });
  });

  it("a charset the runtime cannot decode is a TransportError that says so", async () => {
    const { client } = await setup(
      answer(new TextEncoder().encode(text), { "content-type": "application/json; charset=x-klingon" }),
    );
    await expect(client.QueryMonthRule({ ParkCode: "510107148" })).rejects.toMatchObject({
      name: "TransportError",
      kind: "malformed",
      message: expect.stringContaining('charset "x-klingon"'),
    });
  });
});

describe("partnerService calls", () => {
  const addMonthCar = {
    ParkCode: "P001",
    CarNos: ["川A11NW5", "川A22NW6"],
    UserName: "张三",
    userMobile: "13800138000",
    lotDesc: [
      {
        lotNo: "B1-017",
        chargeType: 1,
        startTime: "2026-11-22",
        endTime: "2026-12-21",
        monthRuleId: 12,
        fixRuleId: "",
      },
    ],
    garageNames: "地下车库",
  };

  it("AddMonthCarV2: the body sent is the string signed, Chinese unescaped; {state, desc, data} answer", async () => {
    const { client, partnerHost } = await setup(() => stateOk({ id: 77 }));
    await expect(client.AddMonthCarV2(addMonthCar)).resolves.toEqual({ id: 77 });
    const request = expectSignedPartnerRequest(partnerHost, "AddMonthCarV2");
    expect(request?.rawBody).toBe(JSON.stringify(addMonthCar));
    expect(request?.rawBody).toContain("张三");
    expect(request?.rawBody).not.toContain("\\u");
  });

  it("AddMonthCarV2 validates before sending (dates yyyy-MM-dd, at least one plate)", async () => {
    const { client, partnerHost } = await setup(() => stateOk(null));
    await expect(
      client.AddMonthCarV2({
        ...addMonthCar,
        lotDesc: [{ ...addMonthCar.lotDesc[0], endTime: "2026-02-30" }],
      } as never),
    ).rejects.toThrow(/lotDesc\.0\.endTime is not a real calendar date/);
    await expect(client.AddMonthCarV2({ ...addMonthCar, CarNos: [] })).rejects.toThrow(
      /CarNos must list at least one plate/,
    );
    expect(partnerHost.requests).toHaveLength(0);
  });

  it("QueryDeduList: its answer {state, total, result: {total, records}, desc}, records kept as received", async () => {
    const records = [{ carNo: "川A11NW5", status: 0, deduValue: 60, 券名: "停车券" }];
    const { client, partnerHost } = await setup(() => ({
      json: { state: 0, total: 1, result: { total: 1, records }, desc: "成功" },
    }));
    const input = { carNo: "川A11NW5", parkCode: "P001", page: 1, pageSize: 20, status: 0 as const };
    await expect(client.QueryDeduList(input)).resolves.toEqual({ total: 1, records });
    expect(expectSignedPartnerRequest(partnerHost, "QueryDeduList")?.body).toEqual(input);
  });

  it("QueryDeduList: also {code: 200, msg, result}; an empty result is no records", async () => {
    const { client } = await setup((_request, index) =>
      index === 0 ? codeOk({ total: 0, records: [] }) : { json: { state: 0, total: 0, result: {}, desc: "成功" } },
    );
    const input = { parkCode: "P001", page: 1, pageSize: 20 };
    await expect(client.QueryDeduList(input)).resolves.toEqual({ total: 0, records: [] });
    await expect(client.QueryDeduList(input)).resolves.toEqual({ records: [] });
  });

  it("QueryMonthRule: body {ParkCode} (its own casing) signed as sent; the rules typed, unknown keys kept", async () => {
    const rules = [
      {
        ruleId: 12,
        ruleName: "标准月租",
        chargeType: "MONTH",
        amount1: 300,
        amount3: 850,
        amount6: 1600,
        amount12: 3000,
      },
      {
        ruleId: "F-1",
        ruleName: "固定车位",
        chargeType: "FIX",
        amount1: "500",
        amount3: 1400,
        amount6: 2700,
        amount12: 5000,
        备注: "B1",
      },
    ];
    const { client, partnerHost } = await setup(() => ({ json: { state: 0, total: 2, result: rules } }));
    const answer = await client.QueryMonthRule({ ParkCode: "510107148" });
    expect(answer).toEqual([
      { ...rules[0], ruleId: "12" },
      { ...rules[1], amount1: 500 },
    ]);
    expect(expectSignedPartnerRequest(partnerHost, "QueryMonthRule")?.rawBody).toBe('{"ParkCode":"510107148"}');
    // `parkCode` is not this endpoint's key: the request is refused before sending.
    await expect(client.QueryMonthRule({ parkCode: "510107148" } as never)).rejects.toThrow(/ParkCode is required/);
    expect(partnerHost.requests).toHaveLength(1);
  });

  it("an answer that contradicts the catalogue is a TransportError naming the field", async () => {
    const { client } = await setup(() => ({ json: { state: 0, total: 1, result: [{ ruleName: "无编号" }] } }));
    await expect(client.QueryMonthRule({ ParkCode: "510107148" })).rejects.toMatchObject({
      name: "TransportError",
      kind: "malformed",
      message: expect.stringContaining("0.ruleId"),
    });
  });

  it("QueryMonthCarFeeV2: {state, desc, result} answer", async () => {
    const { client, partnerHost } = await setup(() => ({ json: { state: 0, desc: "成功", result: { fee: 300 } } }));
    await expect(client.QueryMonthCarFeeV2({ parkCode: "P001", carNo: "川A11NW5", count: 3 })).resolves.toEqual({
      fee: 300,
    });
    expect(expectSignedPartnerRequest(partnerHost, "QueryMonthCarFeeV2")?.body).toEqual({
      parkCode: "P001",
      carNo: "川A11NW5",
      count: 3,
    });
  });

  it("callPartner(name, body) signs any endpoint of the table of contents", async () => {
    const { client, partnerHost } = await setup(() => stateOk({ deleted: true }));
    const body = { parkCode: "P001", carNo: "川A11NW5", 备注: "退租" };
    await expect(client.callPartner("DelMonthCar", body)).resolves.toEqual({ deleted: true });
    const request = expectSignedPartnerRequest(partnerHost, "DelMonthCar");
    expect(request?.rawBody).toBe('{"parkCode":"P001","carNo":"川A11NW5","备注":"退租"}');
    expect(request?.query.get("sign")).toBe(
      md5Hex(`{"parkCode":"P001","carNo":"川A11NW5","备注":"退租"}${credentials.secretKey}`),
    );
  });

  it("callPartner refuses an endpoint name that is not a name", async () => {
    const { client, partnerHost } = await setup(() => stateOk(null));
    await expect(client.callPartner("../admin", {})).rejects.toMatchObject({ name: "ValidationError" });
    await expect(client.callPartner("", {})).rejects.toThrow(/name must be an endpoint name/);
    expect(partnerHost.requests).toHaveLength(0);
  });

  it.each([
    ["{state, desc}", { state: 1, desc: "车场不存在" }, 1, "车场不存在"],
    ["{code, msg}", { code: 500, msg: "签名错误" }, 500, "签名错误"],
  ])("a %s failure is a PlatformError with the platform's message", async (_shape, answer, code, msg) => {
    const { client } = await setup(() => ({ json: answer }));
    const error = await client
      .QueryMonthCarFeeV2({ parkCode: "P001", carNo: "川A11NW5", count: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformError);
    expect(error).toMatchObject({ operationId: "QueryMonthCarFeeV2", code, msg });
    expect((error as Error).message).toContain(msg);
  });

  it("an HTTP error without JSON is a TransportError; a hang is a timeout", async () => {
    const { client } = await setup(() => ({ status: 502, text: "Bad Gateway" }));
    await expect(client.callPartner("Anything", {})).rejects.toMatchObject({ kind: "http", httpStatus: 502 });
    const hanging = await setup(() => ({ hang: true }), undefined, { timeoutMs: 200 });
    const error = await hanging.client.callPartner("Anything", {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ kind: "timeout" });
  });
});
