/**
 * Ebopark's client for one partner account of this Worker (EBOPARK_PARTNERS), on the hosts the
 * Worker is configured with: partnerService (EBOPARK_PARTNER_BASE_URL) and ump
 * (EBOPARK_UMP_BASE_URL, where carParkSession is). What reads an Ebopark lot's records (the
 * reconciliation of its history from carParkSession) calls through it.
 */
import { createEboparkClient, type EboparkClient, type EboparkClientOptions } from "@parkbridge/shared";
import type { Env } from "../env.js";
import { ConfigError, eboparkPartnersOf, numberVar } from "./config.js";

type EboparkEnv = Pick<
  Env,
  "EBOPARK_PARTNERS" | "EBOPARK_PARTNER_BASE_URL" | "EBOPARK_UMP_BASE_URL" | "PLATFORM_TIMEOUT_MS"
>;

/** The hosts of Ebopark's calls; throws ConfigError when the partnerService host is not set. */
export function eboparkHosts(env: EboparkEnv): { partnerHost: string; umpHost: string } {
  const partnerHost = env.EBOPARK_PARTNER_BASE_URL?.trim();
  if (!partnerHost) throw new ConfigError("EBOPARK_PARTNER_BASE_URL is not set (Ebopark's partnerService host)");
  return { partnerHost, umpHost: env.EBOPARK_UMP_BASE_URL?.trim() || partnerHost };
}

/** The client of a partner (a lot's `app_key` when it is Ebopark's); throws ConfigError for an unknown partner. */
export function eboparkClientFor(
  env: EboparkEnv,
  partnerId: string,
  overrides: Pick<EboparkClientOptions, "fetch"> = {},
): EboparkClient {
  const secretKey = eboparkPartnersOf(env).get(partnerId);
  if (secretKey === undefined) {
    throw new ConfigError(`the Ebopark partner ${JSON.stringify(partnerId)} is not in EBOPARK_PARTNERS`);
  }
  const { partnerHost, umpHost } = eboparkHosts(env);
  return createEboparkClient({
    partnerHost,
    umpHost,
    // CPGS (parking guidance) is not called from the Worker.
    cpgsHost: partnerHost,
    partnerId,
    secretKey,
    appKey: "",
    timeoutMs: numberVar(env.PLATFORM_TIMEOUT_MS, "PLATFORM_TIMEOUT_MS", 10_000),
    ...overrides,
  });
}
