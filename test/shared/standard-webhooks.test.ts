/**
 * The Standard Webhooks module (shared/src/edge/standard-webhooks.ts), which the Worker signs with
 * and the n8n trigger verifies with, checked against the specification's own test vector and
 * against node:crypto, not against itself.
 */
import { createHmac, randomBytes } from "node:crypto";
import { newWebhookSecret, signWebhook, verifyWebhook, webhookHeaders } from "@parkbridge/shared";
import { describe, expect, it } from "vitest";

// The reference vector of the Standard Webhooks libraries ("sign function works" in
// standard-webhooks/standard-webhooks, libraries/javascript/src/webhook.test.ts).
const VECTOR = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
};
const VECTOR_NOW = VECTOR.timestamp * 1000;

/** Standard Webhooks with node:crypto: base64 HMAC-SHA256 of "id.timestamp.body" under the base64 key. */
const nodeSign = (secret: string, id: string, timestamp: number, body: string) =>
  `v1,${createHmac("sha256", Buffer.from(secret.replace(/^whsec_/, ""), "base64"))
    .update(`${id}.${timestamp}.${body}`)
    .digest("base64")}`;

const headersOf = (signature: string, id = VECTOR.id, timestamp = String(VECTOR.timestamp)) => ({
  id,
  timestamp,
  signature,
});

describe("signWebhook", () => {
  it("reproduces the specification's test vector, with or without the whsec_ prefix", async () => {
    expect(await signWebhook(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature);
    expect(await signWebhook(VECTOR.secret.slice(6), VECTOR.id, String(VECTOR.timestamp), VECTOR.body)).toBe(
      VECTOR.signature,
    );
  });

  it("agrees with node:crypto on fresh secrets and Chinese bodies", async () => {
    for (let i = 0; i < 20; i++) {
      const secret = newWebhookSecret();
      const body = JSON.stringify({ parkingId: `park${i}`, vehicleCode: "鲁A12345", laneName: "东出口" });
      expect(await signWebhook(secret, `dlv_${i}`, 1_763_800_000 + i, body)).toBe(
        nodeSign(secret, `dlv_${i}`, 1_763_800_000 + i, body),
      );
    }
  });

  it("webhookHeaders carries the id, the timestamp in seconds and the signature", async () => {
    const headers = await webhookHeaders(VECTOR.secret, VECTOR.id, VECTOR.body, VECTOR_NOW + 999);
    expect(headers).toEqual({
      "webhook-id": VECTOR.id,
      "webhook-timestamp": String(VECTOR.timestamp),
      "webhook-signature": VECTOR.signature,
    });
  });

  it("newWebhookSecret is whsec_ and 24 random bytes", () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(secret.slice(6), "base64")).toHaveLength(24);
    expect(newWebhookSecret()).not.toBe(secret);
  });
});

describe("verifyWebhook", () => {
  it("accepts the specification's vector, also among other (rotated, other-version) signatures", async () => {
    const now = { now: VECTOR_NOW };
    expect(await verifyWebhook(VECTOR.secret, headersOf(VECTOR.signature), VECTOR.body, now)).toEqual({ ok: true });
    const several = `v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,${VECTOR.signature.slice(3)} ${VECTOR.signature}`;
    expect(await verifyWebhook(VECTOR.secret, headersOf(several), VECTOR.body, now)).toEqual({ ok: true });
  });

  it("refuses what the reference library refuses, naming why", async () => {
    const now = { now: VECTOR_NOW };
    const other = `whsec_${randomBytes(24).toString("base64")}`;
    const cases: Array<[string, Parameters<typeof verifyWebhook>, RegExp]> = [
      ["no headers", [VECTOR.secret, {}, VECTOR.body, now], /headers are required/],
      ["no signature", [VECTOR.secret, { id: VECTOR.id, timestamp: "1614265330" }, VECTOR.body, now], /required/],
      [
        "timestamp not seconds",
        [VECTOR.secret, headersOf(VECTOR.signature, VECTOR.id, "hello"), VECTOR.body, now],
        /Unix seconds/,
      ],
      ["tampered body", [VECTOR.secret, headersOf(VECTOR.signature), '{"test": 2432232315}', now], /does not match/],
      ["other id", [VECTOR.secret, headersOf(VECTOR.signature, "msg_other"), VECTOR.body, now], /does not match/],
      ["other secret", [other, headersOf(VECTOR.signature), VECTOR.body, now], /does not match/],
      [
        "partial signature",
        [VECTOR.secret, headersOf(VECTOR.signature.slice(0, 8)), VECTOR.body, now],
        /does not match/,
      ],
      ["empty v1", [VECTOR.secret, headersOf("v1,"), VECTOR.body, now], /does not match/],
      ["v2 only", [VECTOR.secret, headersOf(`v2,${VECTOR.signature.slice(3)}`), VECTOR.body, now], /does not match/],
      ["secret not base64", ["whsec_***", headersOf(VECTOR.signature), VECTOR.body, now], /not a whsec_ base64 key/],
    ];
    for (const [what, args, reason] of cases) {
      const check = await verifyWebhook(...args);
      expect(check.ok, what).toBe(false);
      expect(check.ok ? "" : check.reason, what).toMatch(reason);
    }
  });

  it("refuses a timestamp outside the tolerance either way, and accepts one at its edge", async () => {
    const check = (nowMs: number, toleranceSeconds?: number) =>
      verifyWebhook(VECTOR.secret, headersOf(VECTOR.signature), VECTOR.body, { now: nowMs, toleranceSeconds });
    expect(await check(VECTOR_NOW + 300_000)).toEqual({ ok: true });
    expect(await check(VECTOR_NOW - 300_000)).toEqual({ ok: true });
    expect(await check(VECTOR_NOW + 301_000)).toMatchObject({ ok: false, reason: /more than 300 s/ });
    expect(await check(VECTOR_NOW - 301_000)).toMatchObject({ ok: false, reason: /more than 300 s/ });
    expect(await check(VECTOR_NOW + 61_000, 60)).toMatchObject({ ok: false, reason: /more than 60 s/ });
  });

  it("accepts what node:crypto signed now, with the default clock", async () => {
    const secret = newWebhookSecret();
    const timestamp = Math.floor(Date.now() / 1000);
    const body = '{"event":"vehicleAccess"}';
    const signature = nodeSign(secret, "dlv_1", timestamp, body);
    expect(await verifyWebhook(secret, headersOf(signature, "dlv_1", String(timestamp)), body)).toEqual({ ok: true });
  });
});
