/**
 * Body decoding on Node (the n8n nodes' and the simulator's runtime): gzip inflated whether or not
 * the transport did it, text decoded by the declared charset (GBK seen from Ebopark), UTF-8 by default.
 * The same function runs inside workerd in test/workers/decode.test.ts.
 */
import { gzipSync } from "node:zlib";
import { BodyDecodingError, charsetOf, decodeBody, isGzip } from "@parkbridge/shared";
import { encodeGbk } from "@parkbridge/simulator";
import { describe, expect, it } from "vitest";

const TEXT = '{"state":0,"desc":"成功","result":[{"ruleName":"标准月租","parkName":"测试车场"}]}';
const utf8 = new TextEncoder().encode(TEXT);
const gbk = encodeGbk(TEXT);

describe("decodeBody", () => {
  it("Node's TextDecoder (full ICU) knows GBK and GB18030", () => {
    expect(new TextDecoder("gbk").encoding).toBe("gbk");
    expect(new TextDecoder("gb18030").encoding).toBe("gb18030");
    // The GBK bytes really differ from the UTF-8 ones (so the tests below test something).
    expect(Buffer.from(gbk).equals(Buffer.from(utf8))).toBe(false);
    expect(new TextDecoder().decode(gbk)).not.toBe(TEXT);
  });

  it.each([
    ["application/json;charset=GBK", "gbk"],
    ['application/json; charset="gb2312"', "gb2312"],
    ["text/plain; Charset=UTF-8", "utf-8"],
    ["application/json", undefined],
    [null, undefined],
  ])("reads the charset of %s", (contentType, charset) => {
    expect(charsetOf(contentType)).toBe(charset);
  });

  it("decodes by the declared charset, GBK included", async () => {
    expect(await decodeBody(gbk, "application/json; charset=GBK")).toBe(TEXT);
    expect(await decodeBody(gbk, "application/json; charset=gb2312")).toBe(TEXT);
    expect(await decodeBody(utf8, "application/json; charset=utf-8")).toBe(TEXT);
  });

  it("defaults to UTF-8, and reads undeclared bytes that are not UTF-8 as GB18030", async () => {
    expect(await decodeBody(utf8, "application/json")).toBe(TEXT);
    expect(await decodeBody(utf8)).toBe(TEXT);
    expect(await decodeBody(gbk, "application/json")).toBe(TEXT);
  });

  it("inflates a gzip body (magic bytes), in either charset", async () => {
    const zipped = new Uint8Array(gzipSync(utf8));
    expect(isGzip(zipped)).toBe(true);
    expect(isGzip(utf8)).toBe(false);
    expect(await decodeBody(zipped, "application/json")).toBe(TEXT);
    expect(await decodeBody(new Uint8Array(gzipSync(gbk)), "application/json; charset=GBK")).toBe(TEXT);
  });

  it("refuses a charset the runtime cannot decode and a corrupt gzip stream, by name", async () => {
    await expect(decodeBody(utf8, "application/json; charset=x-klingon")).rejects.toThrow(
      new BodyDecodingError('the body declares charset "x-klingon", which this runtime cannot decode'),
    );
    await expect(decodeBody(Uint8Array.of(0x1f, 0x8b, 1, 2, 3))).rejects.toBeInstanceOf(BodyDecodingError);
  });

  it("drops a UTF-8 byte-order mark", async () => {
    expect(await decodeBody(Uint8Array.of(0xef, 0xbb, 0xbf, ...utf8))).toBe(TEXT);
  });
});
