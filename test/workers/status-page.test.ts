/**
 * The status page's session in workerd: the cookie's flags over http and https, what it holds,
 * and what stops it working (tampering, expiry, rotating ADMIN_TOKEN). The page itself is
 * driven in a real browser by test/e2e/status-page.test.ts.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../workers/src/index.js";

type WorkerEnv = typeof env;

async function call(url: string, init: RequestInit = {}, withEnv: WorkerEnv = env): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(url, { redirect: "manual", ...init }), withEnv, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

function logIn(origin: string, token: string, withEnv: WorkerEnv = env): Promise<Response> {
  return call(
    `${origin}/login`,
    {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "same-origin" },
      body: new URLSearchParams({ token }),
    },
    withEnv,
  );
}

const sessionOf = (response: Response) =>
  /parkbridge_status=([^;]+)/.exec(response.headers.get("set-cookie") ?? "")?.[1] as string;

const page = (origin: string, session: string, withEnv: WorkerEnv = env) =>
  call(`${origin}/`, { headers: { cookie: `parkbridge_status=${session}` } }, withEnv);

describe("the status page session", () => {
  it("is an HttpOnly, SameSite=Strict cookie, Secure over https, holding no token", async () => {
    const overHttps = await logIn("https://edge.test", env.ADMIN_TOKEN);
    expect(overHttps.status).toBe(303);
    expect(overHttps.headers.get("location")).toBe("/");
    const cookie = overHttps.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Secure/);
    expect(cookie).not.toContain(env.ADMIN_TOKEN);

    const overHttp = await logIn("http://edge.test", env.ADMIN_TOKEN);
    expect(overHttp.headers.get("set-cookie")).not.toMatch(/Secure/);
  });

  it("opens the page with a session or the bearer token, and the login form otherwise", async () => {
    const session = sessionOf(await logIn("https://edge.test", env.ADMIN_TOKEN));
    const withSession = await page("https://edge.test", session);
    expect(withSession.status).toBe(200);
    expect(withSession.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(withSession.headers.get("cache-control")).toBe("no-store");
    const html = await withSession.text();
    expect(html).toContain("parkbridge");
    expect(html).not.toContain(env.ADMIN_TOKEN);

    const withBearer = await call("https://edge.test/", { headers: { authorization: `Bearer ${env.ADMIN_TOKEN}` } });
    expect(withBearer.status).toBe(200);

    for (const response of [
      await call("https://edge.test/"),
      await call("https://edge.test/", { headers: { authorization: "Bearer wrong" } }),
      await page("https://edge.test", "garbage"),
    ]) {
      expect(response.status).toBe(303);
      expect(response.headers.get("location")).toBe("/login");
    }
  });

  it("refuses a wrong token with 401 and sets no cookie", async () => {
    const response = await logIn("https://edge.test", `${env.ADMIN_TOKEN}x`);
    expect(response.status).toBe(401);
    expect(response.headers.get("set-cookie")).toBeNull();
    expect(await response.text()).toContain("not correct");
  });

  it("ends every session when ADMIN_TOKEN is rotated", async () => {
    const session = sessionOf(await logIn("https://edge.test", env.ADMIN_TOKEN));
    expect((await page("https://edge.test", session)).status).toBe(200);
    const rotated = { ...env, ADMIN_TOKEN: "rotated-admin-token" };
    expect((await page("https://edge.test", session, rotated)).status).toBe(303);
    expect(sessionOf(await logIn("https://edge.test", "rotated-admin-token", rotated))).toMatch(
      /^\d+\.admin\.[0-9a-f]{32}\.[0-9a-f]{64}$/,
    );
  });

  it("refuses a login posted from another site", async () => {
    const response = await call("https://edge.test/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "cross-site" },
      body: new URLSearchParams({ token: env.ADMIN_TOKEN }),
    });
    expect(response.status).toBe(403);
    expect(response.headers.get("set-cookie")).toBeNull();
  });

  it("logs out by clearing the cookie", async () => {
    const response = await call("https://edge.test/logout", {
      method: "POST",
      headers: { "sec-fetch-site": "same-origin" },
    });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/login");
    expect(response.headers.get("set-cookie")).toMatch(/parkbridge_status=;.*Max-Age=0/);
  });
});

describe("login attempts", () => {
  const attempt = (client: string, token: string) =>
    call("https://edge.test/login", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "sec-fetch-site": "same-origin",
        "cf-connecting-ip": client,
      },
      body: new URLSearchParams({ token }),
    });

  it("are limited per address, right or wrong: the 11th in a minute is refused 429, other addresses are not", async () => {
    const guesser = "203.0.113.7";
    for (let i = 0; i < 10; i++) expect((await attempt(guesser, `guess-${i}`)).status).toBe(401);
    const refused = await attempt(guesser, env.ADMIN_TOKEN);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("60");
    expect(refused.headers.get("set-cookie")).toBeNull();
    expect(await refused.text()).toContain("Too many login attempts");
    expect((await attempt("198.51.100.20", env.ADMIN_TOKEN)).status).toBe(303);
  });
});
