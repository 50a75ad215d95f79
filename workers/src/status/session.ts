/**
 * The status page's login session. The cookie never holds the admin token: it holds an
 * expiry and an HMAC of it keyed by the token, so it proves the holder once knew the token,
 * lapses on its own, and stops working the moment the token is rotated.
 */
import { hmacSha256, timingSafeEqual, toHex } from "@parkbridge/shared";

export const SESSION_COOKIE = "parkbridge_status";
export const SESSION_TTL_SECONDS = 12 * 60 * 60;

const SESSION_PURPOSE = "parkbridge status session v1";
// A fixed, public key: hashing both sides makes the comparison constant-length, so its timing
// reveals neither the token's characters nor its length.
const LOGIN_COMPARE_KEY = "parkbridge status login v1";

async function sessionMac(adminToken: string, expiresAt: number): Promise<string> {
  return toHex(await hmacSha256(adminToken, `${SESSION_PURPOSE}:${expiresAt}`));
}

/** Whether a submitted token is the admin token, in time that does not depend on either. */
export async function tokenMatches(adminToken: string, submitted: string): Promise<boolean> {
  if (!adminToken) return false;
  const [expected, actual] = await Promise.all([
    hmacSha256(LOGIN_COMPARE_KEY, adminToken),
    hmacSha256(LOGIN_COMPARE_KEY, submitted),
  ]);
  return timingSafeEqual(toHex(expected), toHex(actual));
}

/** A new session value `<expiry unix s>.<hmac hex>`, valid for SESSION_TTL_SECONDS. */
export async function createSession(adminToken: string, nowMs = Date.now()): Promise<string> {
  const expiresAt = Math.floor(nowMs / 1000) + SESSION_TTL_SECONDS;
  return `${expiresAt}.${await sessionMac(adminToken, expiresAt)}`;
}

/** Whether a cookie value is a live session made with this admin token. */
export async function sessionIsValid(
  adminToken: string,
  value: string | undefined,
  nowMs = Date.now(),
): Promise<boolean> {
  if (!adminToken || !value) return false;
  const match = /^(\d{1,12})\.([0-9a-f]{64})$/.exec(value);
  if (!match) return false;
  const expiresAt = Number(match[1]);
  if (expiresAt * 1000 <= nowMs) return false;
  return timingSafeEqual(await sessionMac(adminToken, expiresAt), match[2] as string);
}
