/**
 * The platform's AccessToken of each account, shared through D1 by every invocation (the cron
 * and each queue consumer; migrations/0009_expiry_queue.sql). Each invocation reads it once; a
 * new token (fetched by whoever found it missing, stale or refused) replaces it unless a later
 * one is already there. D1 rather than KV: a new token must be visible to the next invocation at
 * once (KV is eventually consistent) and KV takes one write a second per key.
 */
import type { CachedToken, PlatformClient, SharedToken } from "@parkbridge/shared";

export class SharedTokens {
  private readonly loaded = new Map<string, Promise<CachedToken | undefined>>();

  constructor(
    private readonly db: D1Database,
    private readonly now: () => number = Date.now,
  ) {}

  /** The shared token of one account, as the platform client takes it. */
  for(appKey: string): SharedToken {
    return {
      load: () => {
        // Read once per invocation: later refusals are the client's to handle.
        let token = this.loaded.get(appKey);
        if (!token) {
          token = this.db
            .prepare("SELECT access_token, refresh_at FROM platform_tokens WHERE app_key = ?1")
            .bind(appKey)
            .first<{ access_token: string; refresh_at: number }>()
            .then((row) => (row ? { value: row.access_token, refreshAt: row.refresh_at } : undefined));
          this.loaded.set(appKey, token);
        }
        return token;
      },
      store: async (token) => {
        this.loaded.set(appKey, Promise.resolve(token));
        await this.db
          .prepare(
            `INSERT INTO platform_tokens (app_key, access_token, refresh_at, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (app_key) DO UPDATE SET access_token = excluded.access_token,
               refresh_at = excluded.refresh_at, updated_at = excluded.updated_at
             WHERE excluded.refresh_at >= platform_tokens.refresh_at`,
          )
          .bind(appKey, token.value, token.refreshAt, this.now())
          .run();
      },
    };
  }

  /**
   * Fetches a new token for the account when the shared one is missing or stops being usable
   * within `aheadMs`: the cron does it, so the consumers that follow it find a fresh token.
   */
  async refreshAhead(appKey: string, client: PlatformClient, aheadMs: number): Promise<boolean> {
    const current = await this.for(appKey).load();
    if (current && current.refreshAt > this.now() + aheadMs) return false;
    await client.refreshToken();
    return true;
  }
}
