/**
 * Configuration read from the Worker's bindings: which platform accounts may call back here
 * (appKey → appSecret) and the tunables with their defaults. Pure functions of `env`.
 */
import { DEFAULT_CALLBACK_WINDOW_MS } from "@parkbridge/shared";

export class ConfigError extends Error {
  override name = "ConfigError";
}

export interface AccountSources {
  PLATFORM_APP_KEY?: string;
  PLATFORM_APP_SECRET?: string;
  PLATFORM_ACCOUNTS?: string;
}

/**
 * A secret of accounts, JSON `{"<id>": "<secret>", ...}`, as a map. A malformed value is a
 * ConfigError naming the variable, never ignored. `shape` is how the error shows the expected form.
 */
function parseAccountMap(value: string | undefined, name: string, shape: string): Map<string, string> {
  const accounts = new Map<string, string>();
  if (!value?.trim()) return accounts;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new ConfigError(`${name} is not valid JSON (expected ${shape})`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ConfigError(`${name} must be a JSON object ${shape}`);
  }
  for (const [id, secret] of Object.entries(parsed)) {
    if (typeof secret !== "string" || !secret) {
      throw new ConfigError(`${name}: the secret of ${JSON.stringify(id)} must be a non-empty string`);
    }
    accounts.set(id, secret);
  }
  return accounts;
}

/**
 * Every account whose callbacks this Worker accepts: the primary one plus PLATFORM_ACCOUNTS
 * (JSON `{"appKey": "appSecret"}`). A malformed PLATFORM_ACCOUNTS is a ConfigError, never ignored.
 */
export function parseAccounts(env: AccountSources): Map<string, string> {
  const accounts = parseAccountMap(env.PLATFORM_ACCOUNTS, "PLATFORM_ACCOUNTS", '{"appKey": "appSecret", ...}');
  if (env.PLATFORM_APP_KEY && env.PLATFORM_APP_SECRET) accounts.set(env.PLATFORM_APP_KEY, env.PLATFORM_APP_SECRET);
  return accounts;
}

let cachedPartners: { key: string; partners: Map<string, string> } | undefined;

/**
 * Ebopark's partner accounts whose reports land here: EBOPARK_PARTNERS, JSON
 * `{"<partnerid>": "<secretKey>"}` (several per Worker; unset: none). Cached per isolate.
 */
export function eboparkPartnersOf(env: { EBOPARK_PARTNERS?: string }): Map<string, string> {
  const key = env.EBOPARK_PARTNERS ?? "";
  if (cachedPartners?.key !== key) {
    cachedPartners = {
      key,
      partners: parseAccountMap(key, "EBOPARK_PARTNERS", '{"<partnerid>": "<secretKey>", ...}'),
    };
  }
  return cachedPartners.partners;
}

// Parsing JSON on every callback is cheap but pointless: cache per isolate, keyed by the raw text.
let cached: { key: string; accounts: Map<string, string> } | undefined;

export function accountsOf(env: AccountSources): Map<string, string> {
  const key = `${env.PLATFORM_APP_KEY}\u0000${env.PLATFORM_APP_SECRET}\u0000${env.PLATFORM_ACCOUNTS ?? ""}`;
  if (cached?.key !== key) cached = { key, accounts: parseAccounts(env) };
  return cached.accounts;
}

/** A positive number from a string var, or the default when unset; a bad value is a ConfigError. */
export function numberVar(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value.trim() === "") return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0)
    throw new ConfigError(`${name} must be a non-negative number, got ${value}`);
  return parsed;
}

export function callbackWindowMs(env: { CALLBACK_WINDOW_SECONDS?: string }): number {
  return numberVar(env.CALLBACK_WINDOW_SECONDS, "CALLBACK_WINDOW_SECONDS", DEFAULT_CALLBACK_WINDOW_MS / 1000) * 1000;
}

/** How far an event's own time may lead its receipt before it is suspect (default 10 minutes). */
export const DEFAULT_CALLBACK_MAX_SKEW_SECONDS = 600;

export function callbackMaxSkewMs(env: { CALLBACK_MAX_SKEW_SECONDS?: string }): number {
  return (
    numberVar(env.CALLBACK_MAX_SKEW_SECONDS, "CALLBACK_MAX_SKEW_SECONDS", DEFAULT_CALLBACK_MAX_SKEW_SECONDS) * 1000
  );
}

/** How far ahead a visitor booking made on the platform may end (default 366 days). */
export const DEFAULT_VISITOR_BOOKING_HORIZON_DAYS = 366;

export function visitorBookingHorizonMs(env: { VISITOR_BOOKING_HORIZON_DAYS?: string }): number {
  return (
    numberVar(env.VISITOR_BOOKING_HORIZON_DAYS, "VISITOR_BOOKING_HORIZON_DAYS", DEFAULT_VISITOR_BOOKING_HORIZON_DAYS) *
    86_400_000
  );
}

/** A whole number from a string var, at least `min`, or the default when unset; anything else is a ConfigError. */
export function wholeNumberVar(value: string | undefined, name: string, fallback: number, min = 1): number {
  if (value === undefined || value.trim() === "") return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min) {
    throw new ConfigError(`${name} must be a whole number of at least ${min}, got ${JSON.stringify(value)}`);
  }
  return parsed;
}
