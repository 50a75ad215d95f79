/**
 * n8n date-times to the platform's wall-clock strings. A value with an offset (or `Z`) is an
 * instant and is converted to China Standard Time (UTC+8); a value without one is read as the
 * parking lot's own local time, which is what a person typing a time for a Chinese lot means.
 */
import { formatPlatformTime, type PlatformTimeFormat, parsePlatformTime } from "@parkbridge/shared";

const LOCAL = /^(\d{4}-\d{1,2}-\d{1,2})(?:[ T](\d{1,2}:\d{1,2}(?::\d{1,2})?)(?:\.\d+)?)?$/;

/** Returns the platform string, or throws a RangeError saying what was expected. */
export function toPlatformTime(value: unknown, format: PlatformTimeFormat): string {
  if (value instanceof Date) return formatPlatformTime(value, format);
  if (typeof value === "number") return formatPlatformTime(value, format);
  if (value && typeof value === "object" && typeof (value as { toISO?: unknown }).toISO === "function") {
    return formatPlatformTime(String((value as { toISO: () => string }).toISO()), format);
  }
  const text = String(value ?? "").trim();
  const local = LOCAL.exec(text);
  if (local) {
    const wallClock = local[2] ? `${local[1]} ${local[2]}` : (local[1] as string);
    return formatPlatformTime(parsePlatformTime(wallClock), format);
  }
  if (/(?:Z|[+-]\d{2}:?\d{2})$/i.test(text) && Number.isFinite(Date.parse(text))) {
    return formatPlatformTime(text, format);
  }
  throw new RangeError(
    `must be a date-time, e.g. 2026-11-22T18:00:00+08:00 or 2026-11-22 18:00 (lot time, UTC+8); got ${JSON.stringify(text)}`,
  );
}
