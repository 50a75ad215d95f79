/**
 * Where a platform's history of entries and exits is read from, to recover the accesses whose
 * callback or report never came. A platform plugs in with a RecordSource: how to list an
 * account's lots, how to read one page of a lot's records in a window, and what a record says as
 * the same vocabulary's event a callback of that access would have given (its kind's normalised
 * event row), or why it cannot be one. The natural key the history matches on (lot, plate,
 * direction, the platform's time, lane: callbacks/store.ts `accessKeyOf`) is then the same
 * whichever platform reported the access and whether its callback or its record came first.
 *
 * The open platform's is open-platform.ts (listAccessRecords). Ebopark's is to read
 * `carParkSession` (an unpaged list of sessions for a range: each session one entry and,
 * when it has left, one exit, so two accesses from one record).
 */
import type { NormalisedCallback } from "../callbacks/normalise.js";
import type { RecordsInvocation } from "./invocation.js";
import { openPlatformRecords } from "./open-platform.js";

/** One access a record reports, ready to be planned as an event of the history. */
export interface RecoveredAccess {
  /** The platform's id of the access, unique in its lot (an Ebopark session's id and direction). */
  recordId: string;
  /** The name of the callback (or report) this access stands for (the event's callbackType). */
  callbackType: string;
  /** What the access means for the history, as its callback would have given it. */
  callback: NormalisedCallback;
  /** The record as read (the raw row's body). */
  body: string;
}

/** A record that cannot be an access of the history, and why (named field, English). */
export interface UnusableRecord {
  unusable: string;
}

export type RecordReading = RecoveredAccess | UnusableRecord;

export const isUnusable = (reading: RecordReading): reading is UnusableRecord => "unusable" in reading;

/** A window of a lot's history: [from, to], epoch ms, whole seconds, `to` included. */
export interface RecordWindow {
  appKey: string;
  parkingId: string;
  from: number;
  to: number;
}

export interface RecordSource<Item = unknown> {
  readonly platform: string;
  /** The longest window one query may span (the open platform: 24 h). */
  readonly maxWindowMs: number;
  /** The lots of an account (each reconciled with it). */
  listLots(inv: RecordsInvocation, appKey: string): Promise<Array<{ parkingId: string; name: string | null }>>;
  /** One page of a lot's records in a window, from 1; `hasMore` when a later page has more. */
  readPage(
    inv: RecordsInvocation,
    window: RecordWindow,
    page: { pageNo: number; pageSize: number },
  ): Promise<{ items: Item[]; hasMore: boolean }>;
  /** What one record says: the accesses it reports, or why it cannot be one. */
  accessesOf(item: Item, context: { parkingId: string; receivedAt: Date }): RecordReading[];
}

const sources: Record<string, RecordSource> = {
  open: openPlatformRecords as RecordSource,
};

/** The record source of a platform; throws for one that has none (yet). */
export function recordSourceOf(platform: string): RecordSource {
  const source = sources[platform];
  if (!source) throw new Error(`no record source for the platform ${JSON.stringify(platform)}`);
  return source;
}
