/**
 * No secret ever leaves the Worker: not the platform app secrets (PLATFORM_APP_SECRET and
 * those in PLATFORM_ACCOUNTS), not ADMIN_TOKEN, not a subscription's signing secret (shown once,
 * in the answer that creates it). Every route is exercised, good and bad input, plus the cron,
 * the delivery consumer and the status page; every answer's body and headers and every line
 * the Worker logs are searched for every secret.
 */
import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  env,
  waitOnExecutionContext,
} from "cloudflare:test";
import { signCallback } from "@parkbridge/shared";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { DeliveryMessage } from "../../workers/src/delivery/outbox.js";
import worker from "../../workers/src/index.js";

const BASE = "https://edge.test";
const ADMIN = env.ADMIN_TOKEN;
const PLATFORM_SECRETS = [
  env.PLATFORM_APP_SECRET,
  ...Object.values(JSON.parse(env.PLATFORM_ACCOUNTS ?? "{}") as Record<string, string>),
];

interface Seen {
  what: string;
  text: string;
}
const answers: Seen[] = [];
const logs: string[] = [];
/** Subscription secrets, with the answer that created each (the one place it may appear). */
const subscriptionSecrets: Array<{ secret: string; createdBy: number }> = [];

async function call(what: string, path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(`${BASE}${path}`, { redirect: "manual", ...init }), env, ctx);
  await waitOnExecutionContext(ctx);
  const body = await response.text();
  const headers = [...response.headers].map(([k, v]) => `${k}: ${v}`).join("\n");
  answers.push({ what, text: `${response.status}\n${headers}\n\n${body}` });
  return new Response(body, { status: response.status, headers: response.headers });
}

const api = (method: string, path: string, body?: unknown, token = ADMIN) =>
  call(`${method} ${path}${token === ADMIN ? "" : " (bad token)"}`, path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

let clock = Date.now() - 100_000;
function callback(what: string, body: unknown, appKey = env.PLATFORM_APP_KEY, secret = env.PLATFORM_APP_SECRET) {
  const timestamp = String(++clock);
  return call(`callback ${what}`, "/callbacks", {
    method: "POST",
    headers: { "content-type": "application/json", appKey, timestamp, sign: signCallback(appKey, timestamp, secret) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

const access = (plate: string, parkingId: string) => ({
  callbackType: "PARKING_VEHICLE_ACCESS",
  data: {
    vehicleCode: plate,
    accessType: "0",
    time: "2026-11-22 09:00:00",
    laneNo: "1",
    parkingId,
    tempLot: 3,
    inParkNum: 7,
    totalLot: 10,
  },
});

describe("secrets never leave the Worker", () => {
  beforeAll(() => {
    for (const level of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        logs.push(
          args
            .map((a) =>
              a instanceof Error ? `${a.message}\n${a.stack}` : typeof a === "string" ? a : JSON.stringify(a),
            )
            .join(" "),
        );
      });
    }
  });
  afterAll(() => vi.restoreAllMocks());

  it("in no answer, header or log line, across every route", async () => {
    const state = (await (await fetch(`${env.SIMULATOR_URL}/__sim/state`)).json()) as {
      lots: Array<{ parkingId: string }>;
    };
    const parkingId = state.lots[0]?.parkingId as string;

    // Public routes and the platform's callbacks, good and bad.
    await call("healthz", "/healthz");
    await call("openapi", "/openapi.json");
    await call("not found", "/nope");
    await callback("good", access("浙S00001", parkingId));
    await callback("second account", access("浙S00002", parkingId), "second-app-key", "second-app-secret");
    await callback("bad sign", access("浙S00003", parkingId), env.PLATFORM_APP_KEY, "wrong");
    await callback("unknown key", access("浙S00004", parkingId), "nobody", "x");
    await callback("malformed", "{not json");
    await callback("bad field", {
      callbackType: "PARKING_CAMERA_ONLINE",
      data: { parkingId, laneNo: "1", time: "x", status: "9" },
    });

    // The admin API, with and without the token.
    for (const token of [ADMIN, "wrong-token", ""]) await api("GET", "/api/events", undefined, token);
    await api("GET", "/api/events?limit=9999&since=yesterday");
    await api("GET", `/api/lots/${parkingId}`);
    await api("GET", `/api/lanes?parkingId=${parkingId}`);

    // Subscriptions: the secret is in the create answer only.
    for (const events of [undefined, ["vehicleAccess"]]) {
      const response = await api("POST", "/api/subscriptions", {
        url: `${env.SIMULATOR_URL}/sink`,
        ...(events ? { events } : {}),
      });
      expect(response.status).toBe(201);
      const created = (await response.json()) as { secret: string };
      expect(created.secret).toMatch(/^whsec_/);
      subscriptionSecrets.push({ secret: created.secret, createdBy: answers.length - 1 });
    }
    await api("POST", "/api/subscriptions", { url: "ftp://nope" });
    await api("GET", "/api/subscriptions");

    // An event with subscribers: outbox rows, then the consumer delivers (to the simulator, which refuses).
    await callback("with subscribers", access("浙S00005", parkingId));
    const deliveries = (await (await api("GET", "/api/deliveries")).json()) as { items: Array<{ id: string }> };
    expect(deliveries.items.length).toBeGreaterThan(0);
    const batch = createMessageBatch<DeliveryMessage>(
      "parkbridge-deliveries",
      deliveries.items.map((d, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 1, body: { deliveryId: d.id } })),
    );
    await worker.queue(batch, env);
    await api("GET", "/api/deliveries?status=failed");
    const first = deliveries.items[0]?.id as string;
    await api("POST", `/api/deliveries/${first}/retry`);

    // Visitor grants: made on the platform (the simulator), refused by it, listed, changed, revoked.
    const endsAt = new Date(Date.now() + 3 * 86_400_000).toISOString();
    const grant = await api("POST", "/api/visitor-grants", {
      parkingId,
      vehicleCode: "浙S00006",
      visitorName: "Secret Test",
      visitorPhone: "13800138000",
      endsAt,
    });
    expect(grant.status, "the grant is made on the simulator").toBe(201);
    const grantId = ((await grant.json()) as { id?: string }).id;
    await api("POST", "/api/visitor-grants", {
      parkingId: "no-such-lot",
      vehicleCode: "浙S00007",
      visitorName: "x",
      visitorPhone: "1",
      endsAt,
    });
    await api("POST", "/api/visitor-grants", { parkingId });
    await api("GET", "/api/visitor-grants");
    if (grantId) {
      await api("PATCH", `/api/visitor-grants/${grantId}`, { endsAt: new Date(Date.now() + 86_400_000).toISOString() });
      await api("DELETE", `/api/visitor-grants/${grantId}`);
    }
    await api("DELETE", `/api/subscriptions/${"sub_missing"}`);

    // The cron: sweep, delivery reconciliation, pruning (their logs).
    const cronCtx = createExecutionContext();
    await worker.scheduled(
      createScheduledController({ scheduledTime: Date.now() + 7 * 86_400_000, cron: "* * * * *" }),
      env,
      cronCtx,
    );
    await waitOnExecutionContext(cronCtx);

    // The status page: login refused, login accepted (session cookie), the page itself.
    await call("status unauthenticated", "/");
    await call("login page", "/login");
    const form = (token: string) => ({
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: BASE },
      body: new URLSearchParams({ token }).toString(),
    });
    await call("login wrong", "/login", form("not-the-token"));
    const login = await call("login right", "/login", form(ADMIN));
    const cookie = login.headers.get("set-cookie")?.split(";")[0];
    expect(cookie, "the login answer sets a session cookie").toBeTruthy();
    const status = await call("status page", "/", { headers: { cookie: cookie as string } });
    expect(status.status).toBe(200);
    await call("status page (bearer)", "/?hours=48", { headers: { authorization: `Bearer ${ADMIN}` } });

    // The search.
    const secrets = [
      ...PLATFORM_SECRETS.map((value) => ({ name: "platform app secret", value, allowedIn: -1 })),
      { name: "ADMIN_TOKEN", value: ADMIN, allowedIn: -1 },
      ...subscriptionSecrets.flatMap(({ secret, createdBy }) => [
        { name: "subscription secret", value: secret, allowedIn: createdBy },
        { name: "subscription key", value: secret.slice("whsec_".length), allowedIn: createdBy },
      ]),
    ];
    expect(answers.length).toBeGreaterThan(30);
    expect(logs.length, "the Worker logged something to search").toBeGreaterThan(0);
    const leaks: string[] = [];
    for (const { name, value, allowedIn } of secrets) {
      expect(value.length).toBeGreaterThan(8);
      answers.forEach((answer, index) => {
        if (index !== allowedIn && answer.text.includes(value)) leaks.push(`${name} in the answer to ${answer.what}`);
      });
      for (const line of logs) if (line.includes(value)) leaks.push(`${name} in a log line: ${line.slice(0, 200)}`);
    }
    expect(leaks).toEqual([]);
    // The search sees what it should: each subscription secret is found in its create answer.
    for (const { secret, createdBy } of subscriptionSecrets) expect(answers[createdBy]?.text).toContain(secret);
  });
});
