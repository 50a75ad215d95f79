import {
  type CpgsSigner,
  createEboparkClient,
  type EboparkClientOptions,
  md5Hex,
  PlatformError,
  TransportError,
  ValidationError,
} from "@parkbridge/shared";
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

  it("QueryDeduList: {code: 200, msg, result} answer", async () => {
    const coupons = [{ carNo: "川A11NW5", status: 0 }];
    const { client, partnerHost } = await setup(() => codeOk(coupons));
    const input = { carNo: "川A11NW5", parkCode: "P001", page: 1, pageSize: 20, status: 0 as const };
    await expect(client.QueryDeduList(input)).resolves.toEqual(coupons);
    expect(expectSignedPartnerRequest(partnerHost, "QueryDeduList")?.body).toEqual(input);
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
