/**
 * The status page's login session. The cookie never holds a token: it holds an expiry, the
 * token's scope, a random session id and an HMAC of them keyed by the token logged in with. So
 * it proves the holder knew the token, lapses on its own, and stops working the moment that
 * token is rotated away (a session made with ADMIN_TOKEN_NEXT lives on when it becomes
 * ADMIN_TOKEN). Logging out lists the session id in D1 (`revoked_sessions`, migration 0011):
 * the cookie is refused at once, even if a copy of it survives the browser.
 */
import { hmacSha256, timingSafeEqual, toHex } from "@parkbridge/shared";
import { configuredTokens, type Scope } from "../api/auth.js";
import type { Env } from "../env.js";

export const SESSION_COOKIE = "parkbridge_status";
export const SESSION_TTL_SECONDS = 12 * 60 * 60;

const SESSION_PURPOSE = "parkbridge status session v2";

type TokenEnv = Parameters<typeof configuredTokens>[0];

export interface Session {
  id: string;
  scope: Scope;
  /** Unix seconds. */
  expiresAt: number;
}

async function sessionMac(token: string, session: Session): Promise<string> {
  return toHex(await hmacSha256(token, `${SESSION_PURPOSE}:${session.expiresAt}:${session.scope}:${session.id}`));
}

function newSessionId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return toHex(bytes);
}

/** A new cookie value `<expiry>.<scope>.<id>.<hmac>` for the token logged in with. */
export async function createSession(token: string, scope: Scope, nowMs = Date.now()): Promise<string> {
  const session: Session = { id: newSessionId(), scope, expiresAt: Math.floor(nowMs / 1000) + SESSION_TTL_SECONDS };
  return `${session.expiresAt}.${scope}.${session.id}.${await sessionMac(token, session)}`;
}

/**
 * The session a cookie value stands for, if its signature holds under a token of its scope that
 * is still configured and it has not lapsed. Whether it was revoked is `isRevoked`'s question.
 */
export async function signedSession(
  env: TokenEnv,
  value: string | undefined,
  nowMs = Date.now(),
): Promise<Session | undefined> {
  const match = /^(\d{1,12})\.(admin|read)\.([0-9a-f]{32})\.([0-9a-f]{64})$/.exec(value ?? "");
  if (!match) return undefined;
  const session: Session = { expiresAt: Number(match[1]), scope: match[2] as Scope, id: match[3] as string };
  if (session.expiresAt * 1000 <= nowMs) return undefined;
  let valid = false;
  for (const { scope, token } of configuredTokens(env)) {
    if (scope !== session.scope) continue;
    // Every candidate is checked: the timing does not say which token signed it.
    if (timingSafeEqual(await sessionMac(token, session), match[4] as string)) valid = true;
  }
  return valid ? session : undefined;
}

export async function isRevoked(db: D1Database, session: Session): Promise<boolean> {
  return (await db.prepare("SELECT 1 FROM revoked_sessions WHERE id = ?").bind(session.id).first()) !== null;
}

/** The live session of a cookie: signed, not lapsed, not logged out. */
export async function liveSession(
  env: Pick<Env, "DB"> & TokenEnv,
  value: string | undefined,
  nowMs = Date.now(),
): Promise<Session | undefined> {
  const session = await signedSession(env, value, nowMs);
  return session && !(await isRevoked(env.DB, session)) ? session : undefined;
}

/**
 * Ends a session on the server. Also forgets sessions that lapsed on their own (they are refused
 * by their expiry), so the table holds at most the logouts of the last SESSION_TTL_SECONDS.
 */
export async function revokeSession(db: D1Database, session: Session, nowMs = Date.now()): Promise<void> {
  await db.batch([
    db
      .prepare("INSERT OR IGNORE INTO revoked_sessions (id, expires_at, revoked_at) VALUES (?, ?, ?)")
      .bind(session.id, session.expiresAt, new Date(nowMs).toISOString()),
    db.prepare("DELETE FROM revoked_sessions WHERE expires_at < ?").bind(Math.floor(nowMs / 1000)),
  ]);
}
