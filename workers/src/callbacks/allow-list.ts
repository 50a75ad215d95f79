/**
 * CALLBACK_ALLOWED_IPS: the platform's egress addresses, where a deployment knows them. CIDRs
 * (IPv4 `203.0.113.0/24`, IPv6 `2001:db8::/32`; a bare address is one host), separated by commas
 * or spaces, matched on CF-Connecting-IP (set by Cloudflare on every request, so a client cannot
 * choose it). A malformed entry is a ConfigError, never ignored.
 */
import { ConfigError } from "../lib/config.js";

interface Range {
  /** 4 or 16 bytes. */
  bytes: Uint8Array;
  prefix: number;
}

export interface AllowList {
  /** Whether the list has any range (an empty list allows nobody). */
  readonly size: number;
  /** Whether `address` (as CF-Connecting-IP gives it) is in the list. */
  allows(address: string | undefined | null): boolean;
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (const [i, part] of parts.entries()) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    bytes[i] = Number(part);
  }
  return bytes;
}

function parseIpv6(text: string): Uint8Array | undefined {
  let groupsText = text;
  if (text.includes(".")) {
    // An embedded IPv4 tail (::ffff:192.0.2.1) is two groups.
    const colon = text.lastIndexOf(":");
    const v4 = parseIpv4(text.slice(colon + 1));
    if (!v4) return undefined;
    const word = (hi: number, lo: number) => ((hi << 8) | lo).toString(16);
    groupsText = `${text.slice(0, colon + 1)}${word(v4[0] as number, v4[1] as number)}:${word(v4[2] as number, v4[3] as number)}`;
  }
  const halves = groupsText.split("::");
  if (halves.length > 2) return undefined;
  const groups = (part: string) => (part === "" ? [] : part.split(":"));
  const left = groups(halves[0] as string);
  const right = halves.length === 2 ? groups(halves[1] as string) : [];
  if ([...left, ...right].some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const given = left.length + right.length;
  if (halves.length === 1 ? given !== 8 : given > 7) return undefined;
  const words = [
    ...left.map((g) => Number.parseInt(g, 16)),
    ...Array.from({ length: 8 - given }, () => 0),
    ...right.map((g) => Number.parseInt(g, 16)),
  ];
  const bytes = new Uint8Array(16);
  words.forEach((word, i) => {
    bytes[2 * i] = word >> 8;
    bytes[2 * i + 1] = word & 0xff;
  });
  return bytes;
}

/** An address as bytes (IPv4-mapped IPv6 addresses as their IPv4), or undefined. */
export function parseAddress(text: string): Uint8Array | undefined {
  const trimmed = text.trim().replace(/^\[|\]$/g, "");
  if (!trimmed.includes(":")) return parseIpv4(trimmed);
  const v6 = parseIpv6(trimmed.replace(/%.*$/, ""));
  if (v6?.slice(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff) return v6.slice(12);
  return v6;
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

function inRange(address: Uint8Array, range: Range): boolean {
  if (address.length !== range.bytes.length) return false;
  const whole = range.prefix >> 3;
  for (let i = 0; i < whole; i++) if (address[i] !== range.bytes[i]) return false;
  const rest = range.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((address[whole] as number) & mask) === ((range.bytes[whole] as number) & mask);
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
