/**
 * Who may call the API: the bearer token of every /api/* route and of the status page's scripted
 * reads (mounted as middleware on the pattern, so routes added later are covered too).
 *
 * - Two scopes. The admin token (ADMIN_TOKEN) may do everything. The read-only token (READ_TOKEN,
 *   optional) is for dashboards and n8n triggers: it reads events, lots and lanes, and manages the
 *   subscriptions it created (and claims their deliveries); anything else is 403.
 * - Rotation without downtime: ADMIN_TOKEN_NEXT and READ_TOKEN_NEXT are accepted beside the
 *   current ones while clients move over (docs/security.md, "Rotating a token").
 * - Every attempt, right or wrong, counts against the client address's budget (API_LIMITER), like
 *   the login form (1,200 a minute: room for an n8n host's triggers, two calls per delivery).
 * - Comparisons are HMACs of both sides under a fixed key, compared in constant time, against
 *   every configured token: the timing says neither a token's characters, its length, nor which
 *   token matched.
 */
import { hmacSha256, timingSafeEqual, toHex } from "@parkbridge/shared";
import type { Context, MiddlewareHandler } from "hono";
import type { Env } from "../env.js";
import { ConfigError } from "../lib/config.js";
import { ApiError } from "../lib/errors.js";
import type { AppEnv } from "../lib/openapi-app.js";

export const BEARER_SCHEME = "bearerAuth";

export type Scope = "admin" | "read";

/** Any router of the Worker (the API's and the status page's). */
type WithEnv = { Bindings: Env };

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), the one parser. */
export function bearerToken(header: string | undefined | null): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(header?.trim() ?? "");
  return match?.[1]?.trim() || undefined;
}

type TokenEnv = Pick<Env, "ADMIN_TOKEN" | "ADMIN_TOKEN_NEXT" | "READ_TOKEN" | "READ_TOKEN_NEXT">;

/** The configured tokens with their scopes: current and next of each (unset ones left out). */
export function configuredTokens(env: TokenEnv): Array<{ scope: Scope; token: string }> {
  const tokens: Array<{ scope: Scope; token: string }> = [];
  for (const [scope, token] of [
    ["admin", env.ADMIN_TOKEN],
    ["admin", env.ADMIN_TOKEN_NEXT],
    ["read", env.READ_TOKEN],
    ["read", env.READ_TOKEN_NEXT],
  ] as const) {
    if (token?.trim()) tokens.push({ scope, token: token.trim() });
  }
  return tokens;
}

// A fixed, public key: hashing both sides makes every comparison constant-length.
const COMPARE_KEY = "parkbridge token compare v1";

/** The scope of a presented token, or undefined when it is none of the configured ones. */
export async function scopeOfToken(env: TokenEnv, given: string): Promise<Scope | undefined> {
  const tokens = configuredTokens(env);
  const digests = await Promise.all([given, ...tokens.map((t) => t.token)].map((t) => hmacSha256(COMPARE_KEY, t)));
  const givenHex = toHex(digests[0] as Uint8Array);
  let found: Scope | undefined;
  // No early exit: every configured token is compared, and admin wins over read.
  tokens.forEach((token, i) => {
    const matches = timingSafeEqual(givenHex, toHex(digests[i + 1] as Uint8Array));
    if (matches && found !== "admin") found = token.scope;
  });
  return found;
}

/** What the read-only token may call: method and path (the routes filter "its own" themselves). */
const READ_SCOPE_ROUTES: ReadonlyArray<readonly [string, RegExp]> = [
  ["GET", /^\/api\/events$/],
  ["GET", /^\/api\/lots\/[^/]+$/],
  ["GET", /^\/api\/lanes$/],
  ["GET", /^\/api\/subscriptions$/],
  ["POST", /^\/api\/subscriptions$/],
  ["DELETE", /^\/api\/subscriptions\/[^/]+$/],
  ["POST", /^\/api\/deliveries\/[^/]+\/claim(\/confirm)?$/],
];

export function readScopeMayCall(method: string, path: string): boolean {
  const upper = method === "HEAD" ? "GET" : method.toUpperCase();
  return READ_SCOPE_ROUTES.some(([m, pattern]) => m === upper && pattern.test(path));
}

/** The client's address as Cloudflare saw it (set on every request reaching a deployed Worker). */
export const clientAddress = <E extends WithEnv>(c: Context<E>) => c.req.header("cf-connecting-ip");

/**
 * Whether the client is within its budget of bearer attempts (API_LIMITER). A request without
 * CF-Connecting-IP (a test calling the handler directly) or without the binding is not limited;
 * a failing limiter lets the request through to the token check, which still stands.
 */
export async function withinBearerBudget<E extends WithEnv>(c: Context<E>): Promise<boolean> {
  const client = clientAddress(c);
  if (!c.env.API_LIMITER || !client) return true;
  try {
    return (await c.env.API_LIMITER.limit({ key: `bearer:${client}` })).success;
  } catch (error) {
    console.error("the API rate limiter failed", String(error));
    return true;
  }
}

/** Seconds a client over its budget waits (the limiter's period). */
export const RATE_LIMIT_RETRY_AFTER_SECONDS = 60;

export const rateLimited = () =>
  new ApiError(
    429,
    "rate_limited",
    `too many requests from this address; try again in ${RATE_LIMIT_RETRY_AFTER_SECONDS} s`,
    {},
    { "Retry-After": String(RATE_LIMIT_RETRY_AFTER_SECONDS) },
  );

/** The scope of the request's bearer token: the limit first, then the token. Throws the refusal. */
export async function authenticate<E extends WithEnv>(c: Context<E>): Promise<Scope> {
  if (!c.env.ADMIN_TOKEN?.trim()) throw new ConfigError("ADMIN_TOKEN is not set on this Worker");
  if (!(await withinBearerBudget(c))) throw rateLimited();
  const given = bearerToken(c.req.header("Authorization"));
  if (!given) {
    throw new ApiError(
      401,
      "unauthorized",
      "Authorization: Bearer <token> is required (ADMIN_TOKEN, or READ_TOKEN for reads)",
      {},
      { "WWW-Authenticate": 'Bearer realm="parkbridge"' },
    );
  }
  const scope = await scopeOfToken(c.env, given);
  if (!scope) {
    throw new ApiError(
      401,
      "unauthorized",
      "the bearer token is not valid",
      {},
      { "WWW-Authenticate": 'Bearer realm="parkbridge", error="invalid_token"' },
    );
  }
  return scope;
}

export const requireToken: MiddlewareHandler<AppEnv> = async (c, next) => {
  const scope = await authenticate(c);
  if (scope === "read" && !readScopeMayCall(c.req.method, c.req.path)) {
    throw new ApiError(
      403,
      "forbidden",
      `${c.req.method} ${c.req.path} needs the admin token: the read-only token may read events, lots and lanes, and manage its own subscriptions`,
      {},
      { "WWW-Authenticate": 'Bearer realm="parkbridge", error="insufficient_scope"' },
    );
  }
  c.set("scope", scope);
  await next();
};
