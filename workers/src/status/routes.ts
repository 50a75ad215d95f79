/**
 * The status page's routes: `GET /` (the page), `GET|POST /login`, `POST /logout` (ends the session on the server).
 * Mounted at the root of the app; middleware is attached per route so that nothing here
 * touches the other routes.
 */
import { type Context, Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { authenticate, type Scope, scopeOfToken } from "../api/auth.js";
import { discardHeld } from "../callbacks/held.js";
import { openPlatform } from "../callbacks/open-platform.js";
import { releaseHeld } from "../callbacks/pipeline.js";
import type { Env } from "../env.js";
import { ApiError } from "../lib/errors.js";
import { type Html, pageHeaders } from "./layout.js";
import { loginPage } from "./login-page.js";
import { loadStatus } from "./queries.js";
import {
  createSession,
  liveSession,
  revokeSession,
  SESSION_COOKIE,
  SESSION_TTL_SECONDS,
  signedSession,
} from "./session.js";
import { statusPage } from "./status-page.js";

type StatusContext = Context<{ Bindings: Env }>;

export const statusRoutes = new Hono<{ Bindings: Env }>();

async function page(c: StatusContext, content: Html, status: 200 | 401 | 429 | 503 = 200, headers = pageHeaders) {
  return c.html(await content, status, headers);
}

/**
 * Whether this login attempt is within the client's budget (LOGIN_LIMITER, wrangler.toml). Every
 * attempt counts, right or wrong: counting only failures would never stop a guess that succeeds.
 * Cloudflare sets CF-Connecting-IP on every request that reaches a deployed Worker; a request
 * without it (a test calling the handler directly) is not limited.
 */
async function withinLoginBudget(c: StatusContext): Promise<boolean> {
  const client = c.req.header("cf-connecting-ip");
  if (!c.env.LOGIN_LIMITER || !client) return true;
  try {
    return (await c.env.LOGIN_LIMITER.limit({ key: `login:${client}` })).success;
  } catch (error) {
    // The limiter is a safeguard, not a gate: if it fails, the token check still stands.
    console.error("status page: the login rate limiter failed", String(error));
    return true;
  }
}

const isHttps = (c: StatusContext) => new URL(c.req.url).protocol === "https:";

/**
 * Form posts must come from this page's own origin (a login or logout posted by another site
 * is refused). Answered here rather than with hono/csrf, whose HTTPException the app's error
 * handler would turn into a 500.
 */
function fromOwnOrigin(c: StatusContext): boolean {
  // Browsers say where a request comes from in Sec-Fetch-Site; older ones only in Origin.
  const site = c.req.header("sec-fetch-site");
  if (site) return site === "same-origin";
  return c.req.header("origin") === new URL(c.req.url).origin;
}

const crossSiteRefusal = (c: StatusContext) =>
  c.text("Refused: this form must be posted from the status page itself.", 403, pageHeaders);

/** A whole number from the query string, clamped; the fallback when absent or not a number. */
function queryNumber(c: StatusContext, name: string, fallback: number, min: number, max: number): number {
  const value = Number(c.req.query(name));
  if (c.req.query(name) === undefined || !Number.isFinite(value)) return fallback;
  return Math.min(Math.max(Math.round(value), min), max);
}

/**
 * The scope of whoever asks: a live session cookie, or (scripts) a bearer token as on /api/*,
 * with the same rate limit and refusals (api/auth.ts). Undefined: not logged in.
 */
async function viewerScope(c: StatusContext): Promise<Scope | undefined> {
  const session = await liveSession(c.env, getCookie(c, SESSION_COOKIE));
  if (session) return session.scope;
  if (c.req.header("authorization") === undefined) return undefined;
  try {
    return await authenticate(c);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return undefined;
    throw error;
  }
}

const isLoggedIn = async (c: StatusContext) => (await viewerScope(c)) !== undefined;

statusRoutes.get("/", async (c) => {
  if (!(await isLoggedIn(c))) return c.redirect("/login", 303);
  const windowHours = queryNumber(c, "hours", 6, 1, 48);
  // 0 turns the refresh off; otherwise at least every 5 s, at most hourly.
  const refresh = queryNumber(c, "refresh", 30, 0, 3600);
  const refreshSeconds = refresh === 0 ? 0 : Math.max(refresh, 5);
  try {
    const snapshot = await loadStatus(c.env.DB, { windowHours });
    return page(c, statusPage(snapshot, { refreshSeconds }));
  } catch (error) {
    console.error("status page: reading D1 failed", error);
    return c.text("The status page could not read its storage (D1). Try again shortly.", 503, pageHeaders);
  }
});

statusRoutes.get("/login", async (c) => {
  if (await isLoggedIn(c)) return c.redirect("/", 303);
  return page(c, loginPage());
});

statusRoutes.post("/login", async (c) => {
  if (!fromOwnOrigin(c)) return crossSiteRefusal(c);
  if (!c.env.ADMIN_TOKEN?.trim()) {
    return page(c, loginPage({ error: "ADMIN_TOKEN is not configured on this Worker, so nobody can log in." }), 503);
  }
  if (!(await withinLoginBudget(c))) {
    return page(
      c,
      loginPage({ error: "Too many login attempts from your address. Wait a minute, then try again." }),
      429,
      { ...pageHeaders, "retry-after": "60" },
    );
  }
  const form = await c.req.parseBody();
  const submitted = typeof form.token === "string" ? form.token.trim() : "";
  const scope = submitted ? await scopeOfToken(c.env, submitted) : undefined;
  if (!scope) return page(c, loginPage({ error: "That token is not correct." }), 401);
  setCookie(c, SESSION_COOKIE, await createSession(submitted, scope), {
    httpOnly: true,
    sameSite: "Strict",
    secure: isHttps(c),
    path: "/",
    maxAge: SESSION_TTL_SECONDS,
  });
  return c.redirect("/", 303);
});

// The held-callback buttons: the same decisions as /api/held-callbacks, audited as the status page's.
statusRoutes.post("/held-callbacks/:id/:action{release|discard}", async (c) => {
  if (!fromOwnOrigin(c)) return crossSiteRefusal(c);
  const scope = await viewerScope(c);
  if (!scope) return c.redirect("/login", 303);
  if (scope !== "admin") return c.text("Refused: releasing or discarding needs the admin token.", 403, pageHeaders);
  const id = c.req.param("id");
  try {
    if (c.req.param("action") === "release") {
      await releaseHeld(c.env, (promise) => c.executionCtx.waitUntil(promise), openPlatform, id, "status-page", null);
    } else {
      await discardHeld(c.env.DB, id, "status-page", null);
    }
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return c.text(`Not done: ${error.message}.`, error.status === 404 ? 404 : 409, pageHeaders);
  }
  return c.redirect("/#held", 303);
});

statusRoutes.post("/logout", async (c) => {
  if (!fromOwnOrigin(c)) return crossSiteRefusal(c);
  // Ended on the server too: a copy of the cookie is refused from now on.
  const session = await signedSession(c.env, getCookie(c, SESSION_COOKIE));
  if (session) await revokeSession(c.env.DB, session);
  deleteCookie(c, SESSION_COOKIE, { path: "/", secure: isHttps(c), httpOnly: true, sameSite: "Strict" });
  return c.redirect("/login", 303);
});
