/**
 * Instants given to the API: ISO 8601 with an offset (`2026-11-22T23:59:00+08:00`,
 * `2026-11-22T15:59:00Z`), or the platform's local wall-clock time read as UTC+8
 * (`2026-11-22 23:59[:ss]`). A bare local date means the start of that day for a start and
 * the end of it (23:59:59 local) for an end.
 */
import { endOfPlatformDay, parsePlatformTime } from "@parkbridge/shared";
import { ApiError } from "../lib/errors.js";

const WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;
const DATE_ONLY = /^\d{4}-\d{1,2}-\d{1,2}$/;

export function parseInstant(value: string, field: string, role: "start" | "end"): number {
  const text = value.trim();
  if (WITH_OFFSET.test(text)) {
    const ms = Date.parse(text);
    if (Number.isFinite(ms)) return ms;
  } else {
    try {
      if (DATE_ONLY.test(text))
        return role === "end" ? endOfPlatformDay(text).getTime() : parsePlatformTime(text).getTime();
      return parsePlatformTime(text).getTime();
    } catch {
      // reported below
    }
  }
  throw new ApiError(
    400,
    "invalid_input",
    `${field} must be an ISO 8601 instant with an offset (e.g. 2026-11-22T23:59:00+08:00) or a local time yyyy-MM-dd HH:mm[:ss] (UTC+8), got ${JSON.stringify(value)}`,
    { field },
  );
}
