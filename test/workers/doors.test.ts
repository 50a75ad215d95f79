/**
 * The doors of issue 16, in workerd with real D1 and the real rate limiter: subscription URLs
 * (every spelling of a non-public address refused, at subscription and again at delivery),
 * bearer tokens (rate limit, rotation, the read-only scope) and the status page's server-side
 * logout.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../workers/src/index.js";
// The deployed rate limit is read from wrangler.toml itself (Vite's ?raw: the file as text).
import WRANGLER_TOML from "../../wrangler.toml?raw";
import { deliveriesOf, eventually, hookName, hookUrl, sinkMode, sinkRequests } from "./delivery-support.js";
import { sendCallback, uniqueLot, vehicleAccess } from "./ingest-support.js";

type WorkerEnv = typeof env;

async function call(path: string, init: RequestInit = {}, withEnv: WorkerEnv = env): Promise<Response> {
  const ctx = createExecutionContext();
  const url = path.startsWith("http") ? path : `https://edge.test${path}`;
  const response = await worker.fetch(new Request(url, { redirect: "manual", ...init }), withEnv, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

const bearer = (token: string, extra: Record<string, string> = {}) => ({ Authorization: `Bearer ${token}`, ...extra });
const json = { "content-type": "application/json" };

/**
 * A subscription for a lot of its own (unless told): no other test's events reach it, so the
 * public and loopback URLs accepted here are never called.
 */
const subscribeAs = (token: string, url: string, withEnv: WorkerEnv = env, parkingId = uniqueLot("nobody")) =>
  call(
    "/api/subscriptions",
    { method: "POST", headers: bearer(token, json), body: JSON.stringify({ url, parkingId }) },
    withEnv,
  );

/** A deployment: no loopback subscribers (the tests' own env allows them, for the webhook sink). */
const production = { ...env, ALLOW_LOOPBACK_SUBSCRIBERS: undefined } as unknown as WorkerEnv;

describe("subscription URLs", () => {
  const refused: Array<[string, RegExp]> = [
    ["http://n8n.example.com/webhook/x", /must use https/],
    ["ftp://n8n.example.com/x", /must be an https URL/],
    ["not a url", /must be an absolute https URL/],
    [`https://n8n.example.com/${"a".repeat(2050)}`, /at most 2048 characters/],
    ["https://user:secret@n8n.example.com/x", /must not carry credentials/],
    ["https://n8n.example.com@10.0.0.1/x", /must not carry credentials/],
    // Loopback in every spelling (the URL parser normalises them; the check sees 127.0.0.1).
    ["https://127.0.0.1/x", /loopback/],
    ["https://2130706433/x", /loopback/],
    ["https://0x7f000001/x", /loopback/],
    ["https://0x7f.1/x", /loopback/],
    ["https://0177.0.0.1/x", /loopback/],
    ["https://127.1/x", /loopback/],
    ["https://127.0.0.1./x", /loopback/],
    ["https://%31%32%37.0.0.1/x", /loopback/],
    ["https://１２７.０.０.１/x", /loopback/],
    ["https://localhost/x", /loopback/],
    ["https://LOCALHOST./x", /loopback/],
    ["https://n8n.localhost/x", /loopback/],
    ["https://[::1]/x", /loopback/],
    ["https://[0:0:0:0:0:0:0:1]/x", /loopback/],
    ["https://[::ffff:127.0.0.1]/x", /loopback/],
    ["https://[::ffff:7f00:1]/x", /loopback/],
    ["https://[64:ff9b::7f00:1]/x", /carries a loopback address/],
    ["https://[2002:7f00:1::]/x", /carries a loopback address/],
    // Private, shared, link-local (metadata), unique-local and other non-public addresses.
    ["https://10.0.0.1/x", /private address/],
    ["https://10.1/x", /private address/],
    ["https://0x0a000001/x", /private address/],
    ["https://172.16.5.4/x", /private address/],
    ["https://192.168.1.1:8443/x", /private address/],
    ["https://[::ffff:192.168.1.1]/x", /private address/],
    ["https://169.254.169.254/latest/meta-data", /link-local/],
    ["https://0xa9fea9fe/latest/meta-data", /link-local/],
    ["https://2852039166/latest/meta-data", /link-local/],
    ["https://[::ffff:a9fe:a9fe]/x", /link-local/],
    ["https://100.100.100.200/latest/meta-data", /carrier-grade NAT/],
    ["https://metadata.google.internal/computeMetadata/v1/", /metadata service/],
    ["https://metadata.tencentyun.com/latest/meta-data/", /metadata service/],
    ["https://[fd00:ec2::254]/x", /unique-local/],
    ["https://[fe80::1]/x", /link-local/],
    ["https://[::]/x", /not a public IPv6 address/],
    ["https://0.0.0.0/x", /'this network'/],
    ["https://0/x", /'this network'/],
    ["https://224.0.0.1/x", /multicast/],
    ["https://255.255.255.255/x", /reserved/],
    ["https://192.0.2.10/x", /documentation/],
    ["https://[2001:db8::1]/x", /documentation/],
    ["https://n8n/x", /single-label/],
    ["https://nas.local/x", /\.local/],
    ["https://router.home.arpa/x", /\.home\.arpa/],
    ["https://127.0.0.1.nip.io/x", /nip\.io/],
  ];

  it.each(refused)("%s is refused: %s", async (url, reason) => {
    const response = await subscribeAs(env.ADMIN_TOKEN, url, production);
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; field: string; message: string } };
    expect(body.error).toMatchObject({ code: "invalid_input", field: "url" });
    expect(body.error.message).toMatch(reason);
    expect(body.error.message.startsWith("url ")).toBe(true);
  });

  it("accepts https to public hosts and addresses", async () => {
    for (const url of [
      "https://n8n.example.com/webhook/parkbridge",
      "https://n8n.example.com:8443/webhook/x?a=1",
      "https://8.8.8.8/hook",
      "https://[2606:4700:4700::1111]/hook",
    ]) {
      const response = await subscribeAs(env.ADMIN_TOKEN, url, production);
      expect(response.status, url).toBe(201);
    }
  });

  it("accepts loopback (http too) only with ALLOW_LOOPBACK_SUBSCRIBERS=on, for local development", async () => {
    const local = "http://127.0.0.1:5678/webhook/parkbridge";
    expect((await subscribeAs(env.ADMIN_TOKEN, local, production)).status).toBe(400);
    const response = await subscribeAs(env.ADMIN_TOKEN, local, env);
    expect(response.status).toBe(201);
    expect(((await response.json()) as { url: string }).url).toBe(local);
    // Still not private networks, nor plain http beyond loopback.
    expect((await subscribeAs(env.ADMIN_TOKEN, "http://192.168.1.10:5678/x", env)).status).toBe(400);
    expect((await subscribeAs(env.ADMIN_TOKEN, "http://n8n.example.com/x", env)).status).toBe(400);
  });

  it("is checked again at delivery: a stored URL the Worker no longer accepts gets nothing", async () => {
    const parkingId = uniqueLot("door");
    const id = `sub_door_${hookName("door")}`;
    // As if stored before the check existed: a private address.
    await env.DB.prepare(
      "INSERT INTO subscriptions (id, url, secret, events, parking_id, created_at) VALUES (?, 'https://10.0.0.1/hook', 'whsec_AAAA', NULL, ?, ?)",
    )
      .bind(id, parkingId, new Date().toISOString())
      .run();
    expect((await sendCallback(vehicleAccess({ parkingId }))).status).toBe(200);
    await eventually(async () => {
      const [dead] = await deliveriesOf(id, "dead");
      expect(dead?.lastError).toBe("the subscription's url is refused: url host 10.0.0.1 is a private address");
      expect(dead?.attempts).toBe(0);
    });
  });

  it("does not follow redirects, and says so", async () => {
    const name = hookName("redirect");
    await sinkMode(name, { down: true, status: 302 });
    const parkingId = uniqueLot("redir");
    const created = (await (await subscribeAs(env.ADMIN_TOKEN, hookUrl(name), env, parkingId)).json()) as {
      id: string;
    };
    expect((await sendCallback(vehicleAccess({ parkingId }))).status).toBe(200);
    await eventually(async () => {
      const [failed] = await deliveriesOf(created.id, "failed");
      expect(failed?.lastError).toBe("subscriber answered HTTP 302 (redirects are not followed)");
    });
    expect((await sinkRequests(name)).length).toBeGreaterThan(0);
  });

  it("records an unreachable subscriber without saying why (no port probing through the API)", async () => {
    const created = (await (await subscribeAs(env.ADMIN_TOKEN, "http://127.0.0.1:9/closed-port")).json()) as {
      id: string;
    };
    const parkingId = uniqueLot("closed");
    await env.DB.prepare("UPDATE subscriptions SET parking_id = ? WHERE id = ?").bind(parkingId, created.id).run();
    expect((await sendCallback(vehicleAccess({ parkingId }))).status).toBe(200);
    await eventually(async () => {
      const [failed] = await deliveriesOf(created.id, "failed");
      expect(failed?.lastError).toBe("subscriber did not answer (no connection, or no answer within 3000 ms)");
    });
  });
});

describe("bearer tokens", () => {
  it("are rate-limited per client address, right or wrong: over the budget is 429 with Retry-After", {
    timeout: 90_000,
  }, async () => {
    const guesser = "203.0.113.99";
    const budget = Number(/name = "API_LIMITER"[\s\S]*?limit = (\d+)/.exec(WRANGLER_TOML)?.[1]);
    expect(budget).toBe(1200);
    // The limiter counts in fixed minutes: start early in one, so the whole test runs inside it.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 30_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 100));
    let first429: Response | undefined;
    let answered = 0;
    // In rounds of 50 at once (the limiter counts each), until the first refusal. A loaded machine
    // may take over a minute for one budget, so room is left for a second window (asserted below).
    for (let round = 0; round < (2 * budget) / 50 + 2 && !first429; round++) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          call("/api/lanes", { headers: bearer(`guess-${round}-${i}`, { "cf-connecting-ip": guesser }) }),
        ),
      );
      for (const response of answers) {
        if (response.status === 429) first429 ??= response;
        else {
          expect(response.status).toBe(401);
          answered++;
        }
      }
    }
    expect(answered).toBe(budget);
    expect(first429?.headers.get("retry-after")).toBe("60");
    expect(await first429?.json()).toMatchObject({ error: { code: "rate_limited" } });
    // The right token from that address waits too; another address does not.
    const right = await call("/api/lanes", { headers: bearer(env.ADMIN_TOKEN, { "cf-connecting-ip": guesser }) });
    expect(right.status).toBe(429);
    const other = await call("/api/lanes", {
      headers: bearer(env.ADMIN_TOKEN, { "cf-connecting-ip": "198.51.100.99" }),
    });
    expect(other.status).toBe(200);
    // The status page's bearer path shares the budget.
    const page = await call("/", { headers: bearer(env.ADMIN_TOKEN, { "cf-connecting-ip": guesser }) });
    expect(page.status).toBe(429);
  });

  it("rotate without downtime: current and next are both accepted, then only the new one", async () => {
    const during = { ...env, ADMIN_TOKEN: "admin-old", ADMIN_TOKEN_NEXT: "admin-new" } as WorkerEnv;
    expect((await call("/api/lanes", { headers: bearer("admin-old") }, during)).status).toBe(200);
    expect((await call("/api/lanes", { headers: bearer("admin-new") }, during)).status).toBe(200);
    expect((await call("/api/lanes", { headers: bearer("admin-other") }, during)).status).toBe(401);
    const after = { ...env, ADMIN_TOKEN: "admin-new" } as WorkerEnv;
    expect((await call("/api/lanes", { headers: bearer("admin-new") }, after)).status).toBe(200);
    expect((await call("/api/lanes", { headers: bearer("admin-old") }, after)).status).toBe(401);
    // The read-only token rotates the same way.
    const reads = { ...env, READ_TOKEN: "read-old", READ_TOKEN_NEXT: "read-new" } as WorkerEnv;
    expect((await call("/api/events", { headers: bearer("read-old") }, reads)).status).toBe(200);
    expect((await call("/api/events", { headers: bearer("read-new") }, reads)).status).toBe(200);
  });

  it("read-only: reads events, lots and lanes; every admin route is 403 with a clear error", async () => {
    const read = env.READ_TOKEN as string;
    for (const path of ["/api/events", "/api/lots/park1", "/api/lanes", "/api/subscriptions"]) {
      const response = await call(path, { headers: bearer(read) });
      expect([200, 404], path).toContain(response.status);
    }
    const writes: Array<[string, string, unknown?]> = [
      ["POST", "/api/visitor-grants", { parkingId: "park1" }],
      ["GET", "/api/visitor-grants"],
      ["PATCH", "/api/visitor-grants/vg_x", { endsAt: "2026-12-01 10:00" }],
      ["DELETE", "/api/visitor-grants/vg_x"],
      ["GET", "/api/deliveries"],
      ["POST", "/api/deliveries/dlv_x/retry"],
      ["GET", "/api/held-callbacks"],
      ["POST", "/api/held-callbacks/h_x/release"],
      ["GET", "/api/a-route-nobody-wrote"],
    ];
    for (const [method, path, body] of writes) {
      const response = await call(path, {
        method,
        headers: bearer(read, json),
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      expect(response.status, `${method} ${path}`).toBe(403);
      const error = ((await response.json()) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe("forbidden");
      expect(error.message).toBe(
        `${method} ${path} needs the admin token: the read-only token may read events, lots and lanes, and manage its own subscriptions`,
      );
    }
  });

  it("read-only: personal data only masked, in reads and in its subscriptions' deliveries", async () => {
    const read = env.READ_TOKEN as string;
    const full = await call("/api/events?personalData=full", { headers: bearer(read) });
    expect(full.status).toBe(403);
    expect(await full.json()).toMatchObject({
      error: { code: "forbidden", field: "personalData", message: expect.stringMatching(/needs the admin token/) },
    });
    expect((await call("/api/events?personalData=masked", { headers: bearer(read) })).status).toBe(200);
    const subscription = await call("/api/subscriptions", {
      method: "POST",
      headers: bearer(read, json),
      body: JSON.stringify({ url: hookUrl(hookName("full")), parkingId: uniqueLot("nobody"), personalData: "full" }),
    });
    expect(subscription.status).toBe(403);
    expect(await subscription.json()).toMatchObject({ error: { code: "forbidden", field: "personalData" } });
  });

  it("read-only: manages only its own subscriptions; the admin token sees them all", async () => {
    const read = env.READ_TOKEN as string;
    const own = (await (await subscribeAs(read, hookUrl(hookName("read")))).json()) as { id: string; scope: string };
    expect(own.scope).toBe("read");
    const admins = (await (await subscribeAs(env.ADMIN_TOKEN, hookUrl(hookName("admin")))).json()) as { id: string };
    const listedByRead = (await (await call("/api/subscriptions", { headers: bearer(read) })).json()) as {
      items: Array<{ id: string; scope: string }>;
    };
    expect(listedByRead.items.map((s) => s.id)).toContain(own.id);
    expect(listedByRead.items.map((s) => s.id)).not.toContain(admins.id);
    expect(listedByRead.items.every((s) => s.scope === "read")).toBe(true);
    const listedByAdmin = (await (await call("/api/subscriptions", { headers: bearer(env.ADMIN_TOKEN) })).json()) as {
      items: Array<{ id: string }>;
    };
    expect(listedByAdmin.items.map((s) => s.id)).toEqual(expect.arrayContaining([own.id, admins.id]));

    // Another scope's subscription is not there for it: 404, and it stays.
    expect((await call(`/api/subscriptions/${admins.id}`, { method: "DELETE", headers: bearer(read) })).status).toBe(
      404,
    );
    const claim = await call(`/api/deliveries/dlv_none/claim`, {
      method: "POST",
      headers: bearer(read, json),
      body: JSON.stringify({ subscriptionId: admins.id, token: "b3c1d0f6a8e24c8f9a7e5d4c3b2a1908" }),
    });
    expect(claim.status).toBe(404);
    expect((await call(`/api/subscriptions/${own.id}`, { method: "DELETE", headers: bearer(read) })).status).toBe(204);
    expect(
      (await call(`/api/subscriptions/${admins.id}`, { method: "DELETE", headers: bearer(env.ADMIN_TOKEN) })).status,
    ).toBe(204);
  });

  it("read-only claims its own subscription's deliveries, and not another scope's", async () => {
    const read = env.READ_TOKEN as string;
    const parkingId = uniqueLot("claims");
    const mine = (await (await subscribeAs(read, hookUrl(hookName("mine")), env, parkingId)).json()) as { id: string };
    const theirs = (await (await subscribeAs(env.ADMIN_TOKEN, hookUrl(hookName("theirs")), env, parkingId)).json()) as {
      id: string;
    };
    expect((await sendCallback(vehicleAccess({ parkingId }))).status).toBe(200);
    const deliveryOf = async (subscriptionId: string) =>
      (
        await env.DB.prepare("SELECT id FROM deliveries WHERE subscription_id = ?")
          .bind(subscriptionId)
          .first<{ id: string }>()
      )?.id as string;
    const claim = (deliveryId: string, subscriptionId: string) =>
      call(`/api/deliveries/${deliveryId}/claim`, {
        method: "POST",
        headers: bearer(read, json),
        body: JSON.stringify({ subscriptionId, token: `tok${"0".repeat(20)}${subscriptionId.slice(-6)}` }),
      });
    expect((await claim(await deliveryOf(theirs.id), theirs.id)).status).toBe(404);
    const ownClaim = await claim(await deliveryOf(mine.id), mine.id);
    expect(ownClaim.status).toBe(200);
  });
});

describe("the status page session", () => {
  const logIn = (token: string, withEnv: WorkerEnv = env) =>
    call(
      "/login",
      {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "same-origin" },
        body: new URLSearchParams({ token }),
      },
      withEnv,
    );
  const sessionOf = (response: Response) =>
    /parkbridge_status=([^;]+)/.exec(response.headers.get("set-cookie") ?? "")?.[1] as string;
  const page = (session: string, withEnv: WorkerEnv = env) =>
    call("/", { headers: { cookie: `parkbridge_status=${session}` } }, withEnv);

  it("ends on the server at logout: a copy of the cookie is refused at once", async () => {
    const session = sessionOf(await logIn(env.ADMIN_TOKEN));
    expect((await page(session)).status).toBe(200);
    const out = await call("/logout", {
      method: "POST",
      headers: { "sec-fetch-site": "same-origin", cookie: `parkbridge_status=${session}` },
    });
    expect(out.status).toBe(303);
    const again = await page(session);
    expect(again.status).toBe(303);
    expect(again.headers.get("location")).toBe("/login");
    // Another session is untouched.
    expect((await page(sessionOf(await logIn(env.ADMIN_TOKEN)))).status).toBe(200);
  });

  it("survives a rotation when made with the next token; the old token's sessions end with it", async () => {
    const during = { ...env, ADMIN_TOKEN: "page-old", ADMIN_TOKEN_NEXT: "page-new" } as WorkerEnv;
    const oldSession = sessionOf(await logIn("page-old", during));
    const newSession = sessionOf(await logIn("page-new", during));
    expect((await page(oldSession, during)).status).toBe(200);
    expect((await page(newSession, during)).status).toBe(200);
    const after = { ...env, ADMIN_TOKEN: "page-new" } as WorkerEnv;
    expect((await page(newSession, after)).status).toBe(200);
    expect((await page(oldSession, after)).status).toBe(303);
  });

  it("a read-only login sees the page but may not release or discard held callbacks", async () => {
    const session = sessionOf(await logIn(env.READ_TOKEN as string));
    expect(session).toMatch(/^\d+\.read\./);
    expect((await page(session)).status).toBe(200);
    const release = await call("/held-callbacks/h_none/release", {
      method: "POST",
      headers: { "sec-fetch-site": "same-origin", cookie: `parkbridge_status=${session}` },
    });
    expect(release.status).toBe(403);
    expect(await release.text()).toContain("needs the admin token");
    // A session's scope is signed: rewriting it to admin breaks the signature.
    const forged = session.replace(".read.", ".admin.");
    expect((await page(forged)).status).toBe(303);
  });

  it("reads the bearer header with the one parser (scheme in any case)", async () => {
    expect((await call("/", { headers: { authorization: `bearer   ${env.ADMIN_TOKEN}` } })).status).toBe(200);
    expect((await call("/", { headers: { authorization: `BEARER ${env.READ_TOKEN}` } })).status).toBe(200);
  });
});
