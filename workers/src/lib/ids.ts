import { toHex } from "@parkbridge/shared";

/**
 * Identifiers: a prefix, then time (ms, base36, fixed width) and randomness, so ids sort by
 * creation time and say what they name (`evt_…`, `sub_…`).
 */
export function newId(prefix: string, now = Date.now()): string {
  const time = now.toString(36).padStart(9, "0");
  const random = toHex(crypto.getRandomValues(new Uint8Array(8)));
  return `${prefix}_${time}${random}`;
}
