/**
 * Which view of personal data an admin read gets (mask.ts): its default, or `full` when the
 * request asks for it (`?personalData=full`), which writes an audit row naming the route and query.
 */
import type { Context } from "hono";
import type { AppEnv } from "../lib/openapi-app.js";
import { recordAudit } from "./erasure.js";
import type { PersonalDataView } from "./mask.js";

export async function readView(
  c: Context<AppEnv>,
  asked: "masked" | "full" | undefined,
  fallback: Exclude<PersonalDataView, "full">,
): Promise<PersonalDataView> {
  if (asked !== "full") return fallback;
  const url = new URL(c.req.url);
  await recordAudit(c.env.DB, {
    actor: "api",
    action: "read_full",
    detail: { method: c.req.method, path: url.pathname, query: Object.fromEntries(url.searchParams) },
  });
  return "full";
}
