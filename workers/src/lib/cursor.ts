/**
 * Opaque keyset cursors over (time, id), newest first: base64url of JSON. A tampered or foreign
 * cursor is refused as bad input, never trusted.
 */
import { badInput } from "./errors.js";

/** A row's place in a newest-first list: its time (an ISO string or epoch ms, as the table keeps it) and id. */
export interface Cursor<At extends string | number = string> {
  at: At;
  id: string;
}

export function encodeCursor(cursor: Cursor<string | number>): string {
  const bytes = new TextEncoder().encode(JSON.stringify([cursor.at, cursor.id]));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

/** The cursor `text` stands for, its time of the kind the list keeps (an ISO string unless told). */
export function decodeCursor(text: string): Cursor<string>;
export function decodeCursor(text: string, at: "number"): Cursor<number>;
export function decodeCursor(text: string, kind: "string" | "number" = "string"): Cursor<string | number> {
  try {
    const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
    const parsed: unknown = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (ch) => ch.charCodeAt(0))));
    if (Array.isArray(parsed) && parsed.length === 2) {
      const [at, id] = parsed as unknown[];
      if (typeof at === kind && typeof id === "string") return { at: at as string | number, id };
    }
  } catch {
    // fall through
  }
  throw badInput("cursor", "is not a cursor this API returned");
}

/**
 * The keyset condition "after this cursor" in a newest-first list ordered by (time, id): a row
 * value, which SQLite reads as one range of the (time DESC, id DESC) index. The equivalent
 * `time < ? OR (time = ? AND id < ?)` is not a range: SQLite reads and filters every newer row,
 * as an OFFSET would (51 ms against 0.1 ms 45 days deep in a million events, docs/benchmarks.md).
 */
export function olderThan(
  cursor: Cursor<string | number>,
  timeColumn: string,
  idColumn: string,
): { sql: string; params: [string | number, string] } {
  return { sql: `(${timeColumn}, ${idColumn}) < (?, ?)`, params: [cursor.at, cursor.id] };
}

/** Takes `limit + 1` rows and returns the page plus the cursor of the next one, if any. */
export function pageOf<T>(
  rows: T[],
  limit: number,
  keyOf: (row: T) => Cursor<string | number>,
): { page: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { page, nextCursor: rows.length > limit && last ? encodeCursor(keyOf(last)) : null };
}
