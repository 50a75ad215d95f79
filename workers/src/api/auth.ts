/**
 * Bearer authentication of every /api/* route (mounted as middleware on the pattern, so routes
 * added later are covered too). Constant-time comparison: the token never leaks by timing.
 */
import { timingSafeEqual } from "@parkbridge/shared";
import type { MiddlewareHandler } from "hono";
import { ConfigError } from "../lib/config.js";
import { ApiError } from "../lib/errors.js";
import type { AppEnv } from "../lib/openapi-app.js";

export const BEARER_SCHEME = "bearerAuth";

export function tokenOf(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(header?.trim() ?? "");
  return match?.[1]?.trim();
}

export const requireAdminToken: MiddlewareHandler<AppEnv> = async (c, next) => {
  const expected = c.env.ADMIN_TOKEN;
  const given = tokenOf(c.req.header("Authorization"));
  if (!expected) throw new ConfigError("ADMIN_TOKEN is not set on this Worker");
  if (!given) {
    throw new ApiError(
      401,
      "unauthorized",
      "Authorization: Bearer <ADMIN_TOKEN> is required",
      {},
      {
        "WWW-Authenticate": 'Bearer realm="parkbridge"',
      },
    );
  }
  if (!timingSafeEqual(given, expected)) {
    throw new ApiError(
      401,
      "unauthorized",
      "the bearer token is not valid",
      {},
      {
        "WWW-Authenticate": 'Bearer realm="parkbridge", error="invalid_token"',
      },
    );
  }
  await next();
};
