/**
 * IP addresses as bytes, for the allow-list of callback senders (workers/src/callbacks/allow-list.ts)
 * and the refusal of non-public subscriber addresses (edge/subscriber-url.ts). Literal forms only:
 * the WHATWG URL parser has already turned decimal, hex, octal and short IPv4 forms into dotted quads.
 */

/** An address range: `prefix` leading bits of `bytes` (4 or 16 of them). */
export interface Range {
  bytes: Uint8Array;
  prefix: number;
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

/** Whether `address` lies in `range` (both of the same family). */
export function inRange(address: Uint8Array, range: Range): boolean {
  if (address.length !== range.bytes.length) return false;
  const whole = range.prefix >> 3;
  for (let i = 0; i < whole; i++) if (address[i] !== range.bytes[i]) return false;
  const rest = range.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((address[whole] as number) & mask) === ((range.bytes[whole] as number) & mask);
}
