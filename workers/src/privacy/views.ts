/**
 * Which view of personal data an admin read gets (mask.ts): its default, or `full` when the
 * request asks for it (`?personalData=full`), which writes an audit row naming the route and query.
 */

import type { Context } from "hono";
import { ApiError } from "../lib/errors.js";
import type { AppEnv } from "../lib/openapi-app.js";
import { recordAudit } from "./erasure.js";
import type { PersonalDataView } from "./mask.js";

export async function readView(
  c: Context<AppEnv>,
  asked: "masked" | "full" | undefined,
  fallback: Exclude<PersonalDataView, "full">,
): Promise<PersonalDataView> {
  if (asked !== "full") return fallback;
  // Personal data as stored is the admin's to read (api/auth.ts: the read-only token sees it masked).
  if (c.get("scope") !== "admin") throw fullViewNeedsAdmin("personalData=full");
  const url = new URL(c.req.url);
  await recordAudit(c.env.DB, {
    actor: "api",
    action: "read_full",
    detail: { method: c.req.method, path: url.pathname, query: Object.fromEntries(url.searchParams) },
  });
  return "full";
}

/** The read-only token asking for personal data as stored (a read or a subscription's deliveries). */
export const fullViewNeedsAdmin = (what: string) =>
  new ApiError(403, "forbidden", `${what} needs the admin token: the read-only token sees personal data masked`, {
    field: "personalData",
  });
