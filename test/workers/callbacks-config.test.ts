/**
 * Configuration of the callback endpoint: which accounts may call back (primary secret plus
 * PLATFORM_ACCOUNTS), a malformed configuration answered as such (never silently ignored), and
 * the live-state writer's promise never to fail a callback when KV does.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { writeCoalesced } from "../../workers/src/callbacks/live-state.js";
import type { Env } from "../../workers/src/env.js";
import worker from "../../workers/src/index.js";
import { ConfigError, parseAccounts } from "../../workers/src/lib/config.js";
import { signedHeaders, vehicleAccess } from "./ingest-support.js";

describe("parseAccounts", () => {
  it("merges the primary account with PLATFORM_ACCOUNTS", () => {
    const accounts = parseAccounts({
      PLATFORM_APP_KEY: "a",
      PLATFORM_APP_SECRET: "sa",
      PLATFORM_ACCOUNTS: '{"b":"sb","c":"sc"}',
    });
    expect([...accounts]).toEqual([
      ["b", "sb"],
      ["c", "sc"],
      ["a", "sa"],
    ]);
    expect([...parseAccounts({ PLATFORM_APP_KEY: "a", PLATFORM_APP_SECRET: "sa", PLATFORM_ACCOUNTS: " " })]).toEqual([
      ["a", "sa"],
    ]);
  });

  it.each([
    ["{not json", /not valid JSON/],
    ['["a","b"]', /must be a JSON object/],
    ['{"b": 1}', /the secret of "b" must be a non-empty string/],
  ])("refuses PLATFORM_ACCOUNTS=%s", (value, message) => {
    expect(() => parseAccounts({ PLATFORM_ACCOUNTS: value })).toThrow(ConfigError);
    expect(() => parseAccounts({ PLATFORM_ACCOUNTS: value })).toThrow(message);
  });

  it("a malformed PLATFORM_ACCOUNTS answers 500 misconfigured (the platform retries once it is fixed)", async () => {
    const ctx = createExecutionContext();
    const response = await worker.fetch(
      new Request("http://worker/callbacks", {
        method: "POST",
        headers: signedHeaders(),
        body: JSON.stringify(vehicleAccess({})),
      }),
      { ...(env as unknown as Env), PLATFORM_ACCOUNTS: "{broken" },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ code: 1, reason: "misconfigured" });
  });
});

describe("writeCoalesced", () => {
  it("swallows a failed KV write (the callback must not fail for it)", async () => {
    let calls = 0;
    await expect(
      writeCoalesced(`test-key-${Date.now()}`, async () => {
        calls++;
        throw new Error("KV PUT failed: 429 Too Many Requests");
      }),
    ).resolves.toBeUndefined();
    expect(calls).toBe(1);
  });

  it("writes a key at most once per second: a write asked for meanwhile is folded into one trailing write", async () => {
    const key = `test-coalesce-${Date.now()}`;
    const writes: number[] = [];
    const write = async () => {
      writes.push(writes.length);
    };
    const first = writeCoalesced(key, write);
    await first;
    const second = writeCoalesced(key, write);
    const third = writeCoalesced(key, write);
    await Promise.all([second, third]);
    expect(writes).toHaveLength(2);
  });
});
