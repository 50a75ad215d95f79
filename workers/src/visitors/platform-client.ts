/**
 * The platform clients the visitor grants use, one per account. A lot belongs to one account,
 * so a grant is made, changed and ended with the account it was made with (`app_key`), each
 * client fetching and caching its own token. Accounts: PLATFORM_APP_KEY/SECRET plus
 * PLATFORM_ACCOUNTS (lib/config.ts).
 */
import { createPlatformClient, type PlatformClient, type PlatformClientOptions } from "@parkbridge/shared";
import type { Env } from "../env.js";
import { accountsOf } from "../lib/config.js";
import { readVisitorConfig } from "./config.js";
import { LotAuthorisations } from "./revocation.js";
import type { SharedTokens } from "./token-store.js";

type ClientOverrides = Pick<PlatformClientOptions, "fetch" | "retries" | "now"> & {
  /** Each account's token shared with other invocations (D1); without it each client fetches its own. */
  sharedTokens?: SharedTokens;
};

/** A grant names an account this Worker no longer has a secret for. */
export class UnknownAccountError extends Error {
  override name = "UnknownAccountError";
  constructor(readonly appKey: string) {
    super(
      `the platform account ${JSON.stringify(appKey)} is not configured (PLATFORM_APP_KEY or PLATFORM_ACCOUNTS): ` +
        "add its secret again to end this grant on the platform",
    );
  }
}

export class PlatformAccounts {
  private readonly clients = new Map<string, PlatformClient>();
  private readonly lotCaches = new Map<string, LotAuthorisations>();

  constructor(
    private readonly env: Env,
    private readonly overrides: ClientOverrides = {},
  ) {}

  /** The account of a grant: its own, or the primary one for grants recorded before accounts were kept. */
  keyOf(appKey: string | null | undefined): string {
    return appKey ?? this.env.PLATFORM_APP_KEY;
  }

  has(appKey: string | null | undefined): boolean {
    return accountsOf(this.env).has(this.keyOf(appKey));
  }

  /** The account's client (one per run or request, so its token is fetched once); throws UnknownAccountError. */
  client(appKey: string | null | undefined): PlatformClient {
    const key = this.keyOf(appKey);
    let client = this.clients.get(key);
    if (!client) {
      const appSecret = accountsOf(this.env).get(key);
      if (appSecret === undefined) throw new UnknownAccountError(key);
      const { sharedTokens, ...overrides } = this.overrides;
      client = createPlatformClient({
        baseUrl: this.env.PLATFORM_BASE_URL,
        appKey: key,
        appSecret,
        timeoutMs: readVisitorConfig(this.env).platformTimeoutMs,
        ...overrides,
        ...(sharedTokens ? { sharedToken: sharedTokens.for(key) } : {}),
      });
      this.clients.set(key, client);
    }
    return client;
  }

  /** The account's lots' authorisations, fetched once per lot for the caller's lifetime. */
  lots(appKey: string | null | undefined): LotAuthorisations {
    const key = this.keyOf(appKey);
    let lots = this.lotCaches.get(key);
    if (!lots) {
      lots = new LotAuthorisations(this.client(key));
      this.lotCaches.set(key, lots);
    }
    return lots;
  }

  /** Whether the account's client has a token already (a run counts the token call in its budget). */
  hasToken(appKey: string | null | undefined): boolean {
    return (this.clients.get(this.keyOf(appKey))?.stats.tokenFetches ?? 0) > 0;
  }
}
