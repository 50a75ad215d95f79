/**
 * Platform time. Both platforms speak wall-clock strings in the parking lot's local time,
 * China Standard Time (UTC+8, no daylight saving), while Workers and cron run in UTC.
 * Every conversion between an instant and a platform string goes through here, with the
 * offset explicit.
 */
export const CHINA_STANDARD_OFFSET_MINUTES = 8 * 60;

/** The three string shapes the platform uses, named by their precision. */
export type PlatformTimeFormat = "date" | "minute" | "second";

export const platformTimePatterns: Record<PlatformTimeFormat, string> = {
  date: "yyyy-MM-dd",
  minute: "yyyy-MM-dd HH:mm",
  second: "yyyy-MM-dd HH:mm:ss",
};

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** Formats an instant as the platform's local wall-clock string. */
export function formatPlatformTime(
  instant: Date | number | string,
  format: PlatformTimeFormat,
  offsetMinutes = CHINA_STANDARD_OFFSET_MINUTES,
): string {
  const ms = instant instanceof Date ? instant.getTime() : typeof instant === "string" ? Date.parse(instant) : instant;
  if (!Number.isFinite(ms)) throw new RangeError(`not a valid instant: ${String(instant)}`);
  const local = new Date(ms + offsetMinutes * 60_000);
  const date = `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`;
  if (format === "date") return date;
  const minute = `${date} ${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}`;
  if (format === "minute") return minute;
  return `${minute}:${pad(local.getUTCSeconds())}`;
}

// Lenient on purpose: the platform sends unpadded parts (`2021-10-2 15:30:49`).
const LOCAL_TIME = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?$/;

/** Parts of a local wall-clock string, or undefined when it is not one (or not a real calendar time). */
export function parseLocalParts(
  value: string,
): { year: number; month: number; day: number; hour: number; minute: number; second: number } | undefined {
  const m = LOCAL_TIME.exec(value.trim());
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m
    .slice(1)
    .map((part) => (part === undefined ? 0 : Number(part))) as [number, number, number, number, number, number];
  const check = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    return undefined;
  }
  return { year, month, day, hour, minute, second };
}

/** The instant a local wall-clock string denotes (UTC+8 by default). Throws on a malformed string. */
export function parsePlatformTime(value: string, offsetMinutes = CHINA_STANDARD_OFFSET_MINUTES): Date {
  const parts = parseLocalParts(value);
  if (!parts) throw new RangeError(`not a platform time (yyyy-MM-dd[ HH:mm[:ss]]): ${JSON.stringify(value)}`);
  const utc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return new Date(utc - offsetMinutes * 60_000);
}

/** The last second of a local day (`yyyy-MM-dd` → 23:59:59 local) as an instant. */
export function endOfPlatformDay(date: string, offsetMinutes = CHINA_STANDARD_OFFSET_MINUTES): Date {
  const start = parsePlatformTime(date.slice(0, 10), offsetMinutes);
  return new Date(start.getTime() + 86_400_000 - 1000);
}

/** Re-pads a lenient platform string to its canonical shape (`2021-10-2 5:3:9` → `2021-10-02 05:03:09`). */
// Already padded: the common case on the hot paths (paging, callbacks) needs no date arithmetic.
const CANONICAL = /^\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}(?::\d{2})?)?$/;

export function normalisePlatformTime(value: string): string {
  if (CANONICAL.test(value)) return value;
  const parts = parseLocalParts(value);
  if (!parts) return value;
  const date = `${pad(parts.year, 4)}-${pad(parts.month)}-${pad(parts.day)}`;
  if (!/[ T]/.test(value.trim())) return date;
  const hasSeconds = value.trim().split(/[ T]/)[1]?.split(":").length === 3;
  const minute = `${date} ${pad(parts.hour)}:${pad(parts.minute)}`;
  return hasSeconds ? `${minute}:${pad(parts.second)}` : minute;
}
