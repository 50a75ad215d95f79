/**
 * The subscriber URL check in Node, where the n8n trigger runs it before subscribing: Node's URL
 * parser must normalise every spelling as workerd's does (test/workers/doors.test.ts has the
 * Worker's answers for the same forms).
 */
import { checkSubscriberUrl } from "@parkbridge/shared";
import { describe, expect, it } from "vitest";

const refused = (url: string, allowLoopback = false) => {
  const check = checkSubscriberUrl(url, { allowLoopback });
  return check.ok ? undefined : check.reason;
};

describe("checkSubscriberUrl", () => {
  it.each([
    "https://2130706433/",
    "https://0x7f.0.0.1/",
    "https://0177.0.0.01/",
    "https://127.1/",
    "https://127.0.0.1./",
    "https://１２７.０.０.１/",
    "https://[::ffff:127.0.0.1]/",
    "https://localhost./",
  ])("sees loopback in %s", (url) => {
    expect(refused(url)).toMatch(/is a loopback address/);
    expect(refused(url, true)).toBeUndefined();
  });

  it.each([
    ["https://0xa9fea9fe/", /link-local/],
    ["https://[::ffff:a9fe:a9fe]/", /link-local/],
    ["https://0x0a.1/", /private/],
    ["https://[fc00::1]/", /unique-local/],
    ["https://[2002:a00:1::]/", /private/],
    ["https://x.example.com@192.168.0.1/", /credentials/],
    ["http://n8n.example.com/", /must use https/],
    ["http://192.168.0.1/", /private/],
  ])("refuses %s", (url, reason) => {
    expect(refused(url, true)).toMatch(reason);
  });

  it("accepts https to public hosts, and http only to loopback when allowed", () => {
    expect(refused("https://n8n.example.com/webhook/x")).toBeUndefined();
    expect(refused("https://[2606:4700::1111]/")).toBeUndefined();
    expect(refused("http://localhost:5678/webhook/x", true)).toBeUndefined();
    expect(refused("http://localhost:5678/webhook/x")).toMatch(/ALLOW_LOOPBACK_SUBSCRIBERS/);
  });
});
