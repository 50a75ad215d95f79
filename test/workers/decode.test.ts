/**
 * Inside workerd (the Worker's runtime, with its compatibility date and flags): TextDecoder knows
 * GBK, and shared's decodeBody inflates gzip and decodes by the declared charset, as on Node
 * (test/shared/decode.test.ts). Then the Ebopark client, run here, against the real simulator
 * answering in GBK and gzip.
 */
import { env } from "cloudflare:test";
import { createEboparkClient, decodeBody } from "@parkbridge/shared";
import { describe, expect, it } from "vitest";

// {"desc":"成功","parkName":"测试车场"} in GBK, byte for byte.
const GBK = Uint8Array.from([
  ...new TextEncoder().encode('{"desc":"'),
  0xb3,
  0xc9,
  0xb9,
  0xa6,
  ...new TextEncoder().encode('","parkName":"'),
  0xb2,
  0xe2,
  0xca,
  0xd4,
  0xb3,
  0xb5,
  0xb3,
  0xa1,
  ...new TextEncoder().encode('"}'),
]);
const TEXT = '{"desc":"成功","parkName":"测试车场"}';

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Response(bytes).body?.pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

describe("decoding in workerd", () => {
  it("TextDecoder supports GBK and GB18030 here", () => {
    expect(new TextDecoder("gbk").decode(GBK)).toBe(TEXT);
    expect(new TextDecoder("gb2312").encoding).toBe("gbk");
    expect(new TextDecoder("gb18030").decode(GBK)).toBe(TEXT);
  });

  it("decodeBody: declared GBK, undeclared GBK, UTF-8 by default", async () => {
    expect(await decodeBody(GBK, "application/json; charset=GBK")).toBe(TEXT);
    expect(await decodeBody(GBK, "application/json")).toBe(TEXT);
    expect(await decodeBody(new TextEncoder().encode(TEXT))).toBe(TEXT);
  });

  it("decodeBody inflates gzip bytes (as a transport that did not)", async () => {
    expect(await decodeBody(await gzip(GBK), "application/json;charset=gbk")).toBe(TEXT);
    expect(await decodeBody(await gzip(new TextEncoder().encode(TEXT)))).toBe(TEXT);
  });

  it("the Ebopark client, in workerd, reads the simulator's GBK and gzip answers", async () => {
    const sim = env.SIMULATOR_URL;
    const fault = (rule: object) =>
      fetch(`${sim}/__sim/faults`, { method: "POST", body: JSON.stringify({ operation: "QueryMonthRule", ...rule }) });
    // Spent after these two calls (times), so no other test meets them.
    await fault({ kind: "gbk", times: 2 });
    await fault({ kind: "gzip", times: 1 });
    const client = createEboparkClient({
      partnerHost: sim,
      cpgsHost: sim,
      partnerId: "demo-partner",
      secretKey: "demo-ebopark-secret",
      appKey: "demo-cpgs-key",
    });
    for (let call = 0; call < 2; call++) {
      const rules = await client.QueryMonthRule({ ParkCode: "510107148" });
      expect(rules.map((r) => r.ruleName)).toEqual(["标准月租", "固定车位"]);
    }
    // The answers really came in GBK (twice) and gzip (once).
    const faults = (await (await fetch(`${sim}/__sim/faults`)).json()) as Array<{
      operation?: string;
      kind: string;
      applied: number;
    }>;
    const applied = faults.filter((f) => f.operation === "QueryMonthRule").map((f) => [f.kind, f.applied]);
    expect(applied.slice(-2)).toEqual([
      ["gbk", 2],
      ["gzip", 1],
    ]);
  });
});
