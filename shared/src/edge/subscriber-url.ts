/**
 * Which URLs may receive deliveries. Events leave the edge signed for whoever subscribed, so a
 * subscription must not turn the Worker into a probe of networks it can reach: only `https` to a
 * public host; plain `http` only to loopback, and loopback only when the deployment says it is a
 * local development (ALLOW_LOOPBACK_SUBSCRIBERS). The WHATWG URL parser (the same in workerd,
 * Node and n8n) first turns every spelling of an address into one form: decimal (2130706433),
 * hex (0x7f.1), octal (0177.0.0.1), short (127.1), percent-encoded and full-width digits become a
 * dotted quad; IPv4-mapped IPv6 is mapped back here. The Worker checks at subscription and again
 * before each delivery; the n8n trigger checks its own webhook URL before subscribing.
 */
import { inRange, parseAddress, type Range } from "../util/ip-address.js";

export const MAX_SUBSCRIBER_URL_LENGTH = 2048;

export type SubscriberUrlCheck =
  | { ok: true; url: URL /** The host is a loopback address or name (local development only). */; loopback: boolean }
  | { ok: false; reason: string };

export interface SubscriberUrlOptions {
  /** Whether loopback hosts (127.0.0.0/8, ::1, localhost), over http or https, are accepted. */
  allowLoopback: boolean;
}

const range = (cidr: string): Range => {
  const [address, prefix] = cidr.split("/") as [string, string];
  return { bytes: parseAddress(address) as Uint8Array, prefix: Number(prefix) };
};

const LOOPBACK_V4 = range("127.0.0.0/8");
const LOOPBACK_V6 = range("::1/128");

/** Addresses no public subscriber has, each with what it is (the refusal says so). */
const NON_PUBLIC: ReadonlyArray<readonly [Range, string]> = (
  [
    ["0.0.0.0/8", "a 'this network' address"],
    ["10.0.0.0/8", "a private address"],
    ["100.64.0.0/10", "a shared (carrier-grade NAT) address, where some clouds keep their metadata service"],
    ["169.254.0.0/16", "a link-local address, where cloud metadata services answer"],
    ["172.16.0.0/12", "a private address"],
    ["192.0.0.0/24", "an IETF protocol address"],
    ["192.0.2.0/24", "a documentation address"],
    ["192.88.99.0/24", "a 6to4 relay address"],
    ["192.168.0.0/16", "a private address"],
    ["198.18.0.0/15", "a benchmarking address"],
    ["198.51.100.0/24", "a documentation address"],
    ["203.0.113.0/24", "a documentation address"],
    ["224.0.0.0/4", "a multicast address"],
    ["240.0.0.0/4", "a reserved address"],
    ["64:ff9b:1::/48", "a local NAT64 address"],
    ["100::/64", "a discard address"],
    ["2001::/23", "an IETF protocol address (Teredo and others)"],
    ["2001:db8::/32", "a documentation address"],
    ["3fff::/20", "a documentation address"],
    ["fc00::/7", "a unique-local address"],
    ["fe80::/10", "a link-local address"],
    ["fec0::/10", "a site-local address"],
    ["ff00::/8", "a multicast address"],
  ] as const
).map(([cidr, what]) => [range(cidr), what] as const);

const GLOBAL_UNICAST_V6 = range("2000::/3");
const NAT64 = range("64:ff9b::/96");
const SIX_TO_FOUR = range("2002::/16");

/** Name suffixes that never resolve on the public internet (or only inside a network). */
const PRIVATE_SUFFIXES = [
  "local",
  "internal",
  "intranet",
  "lan",
  "home",
  "corp",
  "private",
  "localdomain",
  "home.arpa",
  "arpa",
  "test",
  "example",
  "invalid",
  "onion",
];
/** Public names made to point at any address they spell (127.0.0.1.nip.io), and metadata names. */
const ADDRESS_NAMES = ["nip.io", "sslip.io", "xip.io", "localtest.me", "lvh.me", "vcap.me", "lacolhost.com"];
const METADATA_NAMES = ["metadata.tencentyun.com", "metadata.google.internal", "metadata.azure.internal"];

const endsWith = (name: string, suffix: string) => name === suffix || name.endsWith(`.${suffix}`);

type HostKind = { loopback: true } | { loopback: false; refusal?: string };

/** What an IP address is, from the subscriber's point of view. */
function addressKind(bytes: Uint8Array): HostKind {
  if (bytes.length === 4) {
    if (inRange(bytes, LOOPBACK_V4)) return { loopback: true };
  } else {
    if (inRange(bytes, LOOPBACK_V6)) return { loopback: true };
    // Forms that carry an IPv4 address inside: judged by that address.
    const embedded = inRange(bytes, NAT64) ? bytes.slice(12) : inRange(bytes, SIX_TO_FOUR) ? bytes.slice(2, 6) : null;
    if (embedded) {
      const inner = addressKind(embedded);
      return inner.loopback ? { loopback: false, refusal: "carries a loopback address (NAT64 or 6to4 form)" } : inner;
    }
  }
  for (const [reserved, what] of NON_PUBLIC) {
    if (inRange(bytes, reserved)) return { loopback: false, refusal: `is ${what}` };
  }
  if (bytes.length === 16 && !inRange(bytes, GLOBAL_UNICAST_V6)) {
    return { loopback: false, refusal: "is not a public IPv6 address (unspecified, IPv4-compatible or reserved)" };
  }
  return { loopback: false };
}

function hostKind(hostname: string): HostKind {
  if (hostname.startsWith("[")) {
    const bytes = parseAddress(hostname);
    return bytes ? addressKind(bytes) : { loopback: false, refusal: "is not a valid IPv6 address" };
  }
  // A dotted quad is all the URL parser leaves of an IPv4 address in any spelling.
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(hostname)) {
    const bytes = parseAddress(hostname);
    return bytes ? addressKind(bytes) : { loopback: false, refusal: "is not a valid IPv4 address" };
  }
  // "localhost." is "localhost": a trailing dot only marks the name as fully qualified.
  const name = hostname.replace(/\.+$/, "");
  if (endsWith(name, "localhost")) return { loopback: true };
  if (!name.includes(".")) return { loopback: false, refusal: "is a single-label name, not a public host" };
  if (METADATA_NAMES.some((meta) => endsWith(name, meta))) {
    return { loopback: false, refusal: "is a cloud metadata service" };
  }
  const suffix = PRIVATE_SUFFIXES.find((s) => endsWith(name, s));
  if (suffix) return { loopback: false, refusal: `is in .${suffix}, which is not a public domain` };
  const spelled = ADDRESS_NAMES.find((s) => endsWith(name, s));
  if (spelled) return { loopback: false, refusal: `is under ${spelled}, whose names point at any address they spell` };
  return { loopback: false };
}

/**
 * Whether `text` may receive deliveries, and if not, why (a reason that reads after "url ...").
 * The reasons describe the URL given, never what lies behind it.
 */
export function checkSubscriberUrl(text: string, options: SubscriberUrlOptions): SubscriberUrlCheck {
  if (text.length > MAX_SUBSCRIBER_URL_LENGTH) {
    return { ok: false, reason: `must be at most ${MAX_SUBSCRIBER_URL_LENGTH} characters (got ${text.length})` };
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: "must be an absolute https URL" };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return { ok: false, reason: `must be an https URL (got ${url.protocol.slice(0, -1)})` };
  }
  // Also catches https://trusted.example@127.0.0.1/: the host is what follows the @.
  if (url.username || url.password) {
    return { ok: false, reason: "must not carry credentials (user:password@); the deliveries are signed instead" };
  }
  const kind = hostKind(url.hostname);
  if (kind.loopback) {
    if (!options.allowLoopback) {
      return {
        ok: false,
        reason: `host ${url.hostname} is a loopback address, accepted only in local development (ALLOW_LOOPBACK_SUBSCRIBERS=on on the Worker)`,
      };
    }
    return { ok: true, url, loopback: true };
  }
  if (kind.refusal) return { ok: false, reason: `host ${url.hostname} ${kind.refusal}` };
  if (url.protocol !== "https:") {
    return { ok: false, reason: "must use https (plain http is accepted only to loopback, in local development)" };
  }
  return { ok: true, url, loopback: false };
}
