import { OpenAPIHono } from "@hono/zod-openapi";
import type { Env } from "../env.js";
import { validationHook } from "./errors.js";

export type AppEnv = { Bindings: Env };

/** Every router of the Worker is made here, so a refused request reads the same everywhere. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}
