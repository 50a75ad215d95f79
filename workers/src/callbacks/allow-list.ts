/**
 * CALLBACK_ALLOWED_IPS: the platform's egress addresses, where a deployment knows them. CIDRs
 * (IPv4 `203.0.113.0/24`, IPv6 `2001:db8::/32`; a bare address is one host), separated by commas
 * or spaces, matched on CF-Connecting-IP (set by Cloudflare on every request, so a client cannot
 * choose it). A malformed entry is a ConfigError, never ignored.
 */
import { inRange, parseAddress, type AddressRange as Range } from "@parkbridge/shared";
import { ConfigError } from "../lib/config.js";

export interface AllowList {
  /** Whether the list has any range (an empty list allows nobody). */
  readonly size: number;
  /** Whether `address` (as CF-Connecting-IP gives it) is in the list. */
  allows(address: string | undefined | null): boolean;
}

function parseRange(entry: string): Range {
  const [address, prefixText, extra] = entry.split("/");
  const bytes = address === undefined ? undefined : parseAddress(address);
  const max = bytes ? bytes.length * 8 : 0;
  // An IPv4-mapped IPv6 range (::ffff:198.51.100.0/120) is the IPv4 range it maps.
  const mapped = bytes?.length === 4 && address?.includes(":") ? 96 : 0;
  const prefix =
    prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) - mapped : Number.NaN;
  if (!bytes || extra !== undefined || !(prefix >= 0 && prefix <= max)) {
    throw new ConfigError(
      `CALLBACK_ALLOWED_IPS: ${JSON.stringify(entry)} is not an IPv4 or IPv6 address or CIDR (e.g. 203.0.113.0/24, 2001:db8::/32)`,
    );
  }
  return { bytes, prefix };
}

export function parseAllowList(text: string | undefined): AllowList {
  const ranges = (text ?? "")
    .split(/[\s,]+/)
    .filter(Boolean)
    .map(parseRange);
  return {
    size: ranges.length,
    allows(address) {
      if (!address || ranges.length === 0) return false;
      const bytes = parseAddress(address);
      return bytes !== undefined && ranges.some((range) => inRange(bytes, range));
    },
  };
}

// Parsed once per isolate, keyed by the raw text.
let cached: { text: string; list: AllowList } | undefined;

/** The Worker's allow-list (CALLBACK_ALLOWED_IPS), parsed once per isolate. */
export function callbackAllowList(env: { CALLBACK_ALLOWED_IPS?: string }): AllowList {
  const text = env.CALLBACK_ALLOWED_IPS ?? "";
  if (cached?.text !== text) cached = { text, list: parseAllowList(text) };
  return cached.list;
}
