/** Small display helpers for the status page: local (UTC+8) times, durations, safe URLs. */
import { formatPlatformTime } from "@parkbridge/shared";

/** An ISO instant as the lots' wall-clock time (UTC+8), or the input when it is not one. */
export function localTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? formatPlatformTime(ms, "second") : iso;
}

/** "3 min ago", "in 2 h 5 min": how far an instant is from now, coarsely. */
export function relative(iso: string | null | undefined, nowMs: number): string {
  if (!iso) return "";
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return "";
  const diff = ms - nowMs;
  const minutes = Math.round(Math.abs(diff) / 60_000);
  let span: string;
  if (minutes < 1) span = "less than a minute";
  else if (minutes < 60) span = `${minutes} min`;
  else if (minutes < 48 * 60) span = `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ""}`;
  else span = `${Math.round(minutes / 1440)} days`;
  return diff >= 0 ? `in ${span}` : `${span} ago`;
}

/** A subscriber URL without credentials, query or fragment: those may carry secrets. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const hidden = parsed.search || parsed.hash || parsed.username || parsed.password ? " (…)" : "";
    return `${parsed.origin}${parsed.pathname}${hidden}`;
  } catch {
    return "(invalid URL)";
  }
}
