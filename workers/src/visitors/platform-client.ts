/** The platform client the visitor grants use: the Worker's account, its timeout, optional transport. */
import { createPlatformClient, type PlatformClient, type PlatformClientOptions } from "@parkbridge/shared";
import type { Env } from "../env.js";
import { readVisitorConfig } from "./config.js";

export function visitorPlatformClient(
  env: Env,
  overrides: Pick<PlatformClientOptions, "fetch" | "retries" | "now"> = {},
): PlatformClient {
  return createPlatformClient({
    baseUrl: env.PLATFORM_BASE_URL,
    appKey: env.PLATFORM_APP_KEY,
    appSecret: env.PLATFORM_APP_SECRET,
    timeoutMs: readVisitorConfig(env).platformTimeoutMs,
    ...overrides,
  });
}
