import { OpenAPIHono, type z } from "@hono/zod-openapi";
import type { Env } from "../env.js";
import { validationHook } from "./errors.js";

/** The bearer token's scope, set by the /api/* middleware (api/auth.ts). */
export type AppEnv = { Bindings: Env; Variables: { scope: import("../api/auth.js").Scope } };

/**
 * A schema from shared/ named as a component of the OpenAPI document. zod copies its methods onto
 * each schema as the schema is built, so one built before @hono/zod-openapi extended zod (shared/
 * knows nothing of it) has no `.openapi()`; the copy made here has, and keeps the metadata.
 */
export const named = <T extends z.ZodType>(schema: T, name: string): T => schema.clone().openapi(name);

/** Every router of the Worker is made here, so a refused request reads the same everywhere. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}
