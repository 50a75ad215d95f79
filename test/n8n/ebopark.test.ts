/** The Ebopark node against the simulator's Ebopark endpoints over real HTTP. */
import { type RunningSimulator, startSimulator } from "@parkbridge/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ICredentialTestFunctions } from "../../n8n-nodes/node_modules/n8n-workflow/dist/esm/index.js";
import { Ebopark } from "../../n8n-nodes/nodes/Ebopark/Ebopark.node";
import { type ParameterValue, runNode } from "./harness";

let sim: RunningSimulator;
const node = new Ebopark();

beforeAll(async () => {
  sim = await startSimulator({ port: 0, seed: 1 });
});
afterAll(async () => {
  await sim.close();
});

const credentials = (secretKey = "demo-ebopark-secret") => ({
  eboparkApi: {
    partnerHost: sim.url,
    cpgsHost: sim.url,
    partnerId: "demo-partner",
    secretKey,
    appKey: "demo-cpgs-key",
  },
});

const run = (parameters: Record<string, ParameterValue>, secretKey?: string, continueOnFail = false) =>
  runNode(node, { parameters, credentials: credentials(secretKey), continueOnFail });

describe("Ebopark node", () => {
  it("finds a parked vehicle by plate (CPGS)", async () => {
    const inside = sim.state.inPark("park1")[0];
    if (!inside) throw new Error("nobody inside park1");
    const { output } = await run({
      resource: "vehicleLocation",
      operation: "findByCarNo",
      carNo: inside.vehicleCode,
      parkCode: "park1",
    });
    expect(output[0]?.json).toMatchObject({ carNo: inside.vehicleCode });
    expect(output[0]?.pairedItem).toEqual({ item: 0 });
  });

  it("adds a monthly vehicle (AddMonthCarV2), then prices its renewal and lists coupons", async () => {
    await run({
      resource: "partnerService",
      operation: "AddMonthCarV2",
      ParkCode: "park2",
      CarNos: "京AM0N77, 京AM0N78",
      UserName: "Zhang San",
      userMobile: "13700137000",
      lotDesc: JSON.stringify([{ lotNo: "B-12", chargeType: 1, startTime: "2026-12-01", endTime: "2026-12-31" }]),
    });
    expect(sim.state.authorisation("park2", "京AM0N77")).toMatchObject({
      userName: "Zhang San",
      endTime: "2026-12-31",
    });
    expect(sim.state.authorisation("park2", "京AM0N78")).toBeDefined();

    const fee = await run({
      resource: "partnerService",
      operation: "QueryMonthCarFeeV2",
      parkCode: "park2",
      carNo: "京AM0N77",
      count: 3,
    });
    expect(fee.output).toHaveLength(1);
    const calls = sim.calls.filter((c) => c.operationId === "QueryMonthCarFeeV2");
    expect(calls.at(-1)).toMatchObject({ code: 0, body: { parkCode: "park2", carNo: "京AM0N77", count: 3 } });

    const coupons = await run({
      resource: "partnerService",
      operation: "QueryDeduList",
      parkCode: "park2",
      page: 1,
      pageSize: 10,
      additionalFields: { status: 0 },
    });
    expect(sim.calls.filter((c) => c.operationId === "QueryDeduList").at(-1)).toMatchObject({
      code: 0,
      body: { status: 0 },
    });
    expect(coupons.output.length).toBeGreaterThanOrEqual(1);
  });

  it("makes a signed custom call to an endpoint by name", async () => {
    const { output } = await run({
      resource: "partnerService",
      operation: "customCall",
      endpoint: "QueryParkInfo",
      body: '{"parkCode":"park1","备注":"中文"}',
    });
    expect(output).toHaveLength(1);
    expect(sim.calls.at(-1)).toMatchObject({
      operationId: "QueryParkInfo",
      code: 0,
      body: { parkCode: "park1", 备注: "中文" },
    });
  });

  it("surfaces Ebopark's refusal (a wrong secret: 签名错误) and honours Continue On Fail", async () => {
    const failure = (await run(
      { resource: "partnerService", operation: "customCall", endpoint: "QueryParkInfo", body: "{}" },
      "wrong",
    ).catch((error: unknown) => error)) as Error;
    expect(failure.name).toBe("NodeApiError");
    expect(failure.message).toContain("签名错误");
    const soft = await run(
      { resource: "partnerService", operation: "customCall", endpoint: "QueryParkInfo", body: "{}" },
      "wrong",
      true,
    );
    expect(soft.output).toEqual([{ json: { error: expect.stringContaining("签名错误") }, pairedItem: { item: 0 } }]);
  });

  it("its credential test passes with the right secret and fails with the wrong one", async () => {
    const test = node.methods.credentialTest.eboparkApiTest;
    const context = {} as ICredentialTestFunctions;
    const good = await test.call(context, { id: "1", name: "e", type: "eboparkApi", data: credentials().eboparkApi });
    expect(good.status).toBe("OK");
    const bad = await test.call(context, {
      id: "1",
      name: "e",
      type: "eboparkApi",
      data: credentials("wrong").eboparkApi,
    });
    expect(bad).toEqual({ status: "Error", message: "签名错误" });
  });
});

describe("Ebopark node: answers as Ebopark's servers send them", () => {
  it("reads carParkSession on the credential's ump host from a gzip answer in GBK (n8n hands the bytes over undecoded)", async () => {
    const { createServer } = await import("node:http");
    const { gzipSync } = await import("node:zlib");
    const ascii = (s: string) => Buffer.from(s, "latin1");
    // {"code":200,"msg":"成功","result":{"carParkSessionList":[{"plateNumber":"川A12345","parkName":"测试车场"}]}} in GBK.
    const gbk = Buffer.concat([
      ascii('{"code":200,"msg":"'),
      Buffer.from([0xb3, 0xc9, 0xb9, 0xa6]), // 成功
      ascii('","result":{"carParkSessionList":[{"plateNumber":"'),
      Buffer.from([0xb4, 0xa8]), // 川
      ascii('A12345","parkName":"'),
      Buffer.from([0xb2, 0xe2, 0xca, 0xd4, 0xb3, 0xb5, 0xb3, 0xa1]), // 测试车场
      ascii('"}]}}'),
    ]);
    const paths: string[] = [];
    const ump = createServer((req, res) => {
      paths.push(req.url ?? "");
      req.resume();
      res.writeHead(200, { "content-type": "application/json;charset=GBK", "content-encoding": "gzip" });
      res.end(gzipSync(gbk));
    });
    await new Promise<void>((resolve) => ump.listen(0, "127.0.0.1", resolve));
    const { port } = ump.address() as import("node:net").AddressInfo;
    try {
      const { output } = await runNode(node, {
        parameters: {
          resource: "partnerService",
          operation: "carParkSession",
          parkCode: "510107148",
          startTime: "2026-11-22 00:00:00",
          endTime: "2026-11-22 23:59:59",
        },
        credentials: { eboparkApi: { ...credentials().eboparkApi, umpHost: `http://127.0.0.1:${port}` } },
      });
      expect(paths).toHaveLength(1);
      expect(paths[0]).toMatch(/^\/ebo\/park\/query\/carParkSession(\?|$)/);
      expect(JSON.stringify(output.map((item) => item.json))).toContain("测试车场");
      expect(JSON.stringify(output.map((item) => item.json))).toContain("川A12345");
    } finally {
      await new Promise((resolve) => ump.close(resolve));
    }
  });
});
