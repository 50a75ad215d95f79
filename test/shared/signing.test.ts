import { createHash } from "node:crypto";
import { defaultCpgsSigner, md5Hex, signCallback, signPartnerBody } from "@parkbridge/shared";
import { describe, expect, it } from "vitest";

const nodeMd5 = (input: string | Uint8Array) => createHash("md5").update(input).digest("hex");

describe("md5Hex", () => {
  // RFC 1321, appendix A.5.
  it.each([
    ["", "d41d8cd98f00b204e9800998ecf8427e"],
    ["a", "0cc175b9c0f1b6a831c399e269772661"],
    ["abc", "900150983cd24fb0d6963f7d28e17f72"],
    ["message digest", "f96b697d7cb7938d525a2f31aaf161d0"],
    ["abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"],
    ["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"],
    ["1234567890".repeat(8), "57edf4a22be3c955ac49da2e2107b67a"],
    ["The quick brown fox jumps over the lazy dog", "9e107d9d372bb6826bd81d3542a419d6"],
  ])("RFC vector %j", (input, expected) => {
    expect(md5Hex(input)).toBe(expected);
  });

  it("Chinese text is hashed over its UTF-8 bytes", () => {
    expect(md5Hex("中文")).toBe("a7bac2239fcdcb3a067903d8077c4a07");
    expect(md5Hex("鲁A12345")).toBe(nodeMd5(Buffer.from("鲁A12345", "utf8")));
  });

  it("agrees with node:crypto at every length around the 64-byte block boundaries", () => {
    for (let length = 0; length <= 200; length++) {
      const text = "宜".repeat(length % 7) + "x".repeat(length);
      expect(md5Hex(text), `length ${length}`).toBe(nodeMd5(text));
    }
  });

  it("takes bytes as well as strings", () => {
    const bytes = new Uint8Array(Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff));
    expect(md5Hex(bytes)).toBe(nodeMd5(bytes));
  });

  it("is 32 lowercase hex characters", () => {
    expect(md5Hex("停车")).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe("signCallback", () => {
  it("is md5(appKey + timestamp + appSecret), whether the timestamp is a number or a string", () => {
    expect(signCallback("app-1", 1763773323000, "secret-1")).toBe(nodeMd5("app-11763773323000secret-1"));
    expect(signCallback("app-1", "1763773323000", "secret-1")).toBe(signCallback("app-1", 1763773323000, "secret-1"));
    expect(signCallback("应用", 1, "密钥")).toBe(nodeMd5("应用1密钥"));
  });
});

describe("Ebopark signers", () => {
  it("signPartnerBody: md5 of the exact body string followed by the secret", () => {
    const body = '{"ParkCode":"P001","CarNos":["川A11NW5"],"UserName":"张三"}';
    expect(signPartnerBody(body, "key-1")).toBe(nodeMd5(`${body}key-1`));
    // A different serialisation of the same object signs differently: the string is what counts.
    expect(signPartnerBody('{"ParkCode": "P001"}', "key-1")).not.toBe(signPartnerBody('{"ParkCode":"P001"}', "key-1"));
  });

  it("signPartnerBody: Chinese characters are signed unescaped (as UTF-8), not as \\u escapes", () => {
    const body = JSON.stringify({ UserName: "张三" });
    expect(body).toBe('{"UserName":"张三"}');
    expect(signPartnerBody(body, "k")).toBe(nodeMd5(Buffer.from('{"UserName":"张三"}k', "utf8")));
    expect(signPartnerBody(body, "k")).not.toBe(nodeMd5('{"UserName":"\\u5f20\\u4e09"}k'));
  });

  it("defaultCpgsSigner: md5 of the fields sorted by key as k=v& followed by the secret, ignoring sign", () => {
    const fields = { parkCode: "1234", appKey: "test", carNo: "川A11NW5" };
    const expected = nodeMd5("appKey=test&carNo=川A11NW5&parkCode=1234secret");
    expect(defaultCpgsSigner(fields, "secret")).toBe(expected);
    expect(defaultCpgsSigner({ ...fields, sign: "whatever" }, "secret")).toBe(expected);
  });
});
