/**
 * Direct mode's memory of the platform's deliveries: each callback's content (its body digest)
 * and its (timestamp, sign) pair, so a redelivery starts no second run and a pair replayed with
 * another body is refused.
 *
 * Why not n8n's own tools. Static data is loaded from the database for every webhook request and
 * saved, whole, after the answer: two copies arriving together both read "not seen" and the last
 * save overwrites the other's entry. n8n's deduplication helpers (`checkProcessedAndRecord`,
 * the processed_data table) read, compare and write in separate awaited steps (a race just the
 * same, and a second insert of a new row fails on its primary key), and webhook functions do not
 * have them anyway (n8n 2.40's webhook context offers only the HTTP and binary helpers).
 *
 * What this does instead. One store per trigger (workflow, node, mode) lives in the n8n process;
 * checking and recording a delivery is one synchronous step on it, with no `await` in between, so
 * within one process two copies can never both be new (Node runs it to completion). The store is
 * seeded once per process from the node's static data and put back there on every request as the
 * same object, so whichever request's save runs last writes everything the process has seen
 * (a restart keeps it). Across several n8n processes (queue mode with several webhook processes,
 * multi-main) nothing here is shared: route the platform's callbacks to one process, or use edge
 * mode, whose claim is atomic in D1 for every process.
 */
import type { IDataObject, IWebhookFunctions } from "n8n-workflow";

/** Seconds each kind of entry is kept: a pair only matters inside the ±5 min signature window. */
const KEEP_PAIR_SECONDS = 15 * 60;
const KEEP_BODY_SECONDS = 48 * 3600;
/** The most entries kept per trigger (the oldest go first): about 200 KB of static data. */
const MAX_ENTRIES = 5000;
const PRUNE_EVERY_SECONDS = 60;

/** Entry key (`b:` body digest, `p:` timestamp and sign) → when it was first seen, Unix seconds. */
type SeenStore = Record<string, number>;

interface Held {
  store: SeenStore;
  prunedAt: number;
}

const held = new Map<string, Held>();

interface NodeState extends IDataObject {
  seen?: SeenStore;
}

function holdFor(context: IWebhookFunctions): { entry: Held; state: NodeState } {
  const state = context.getWorkflowStaticData("node") as NodeState;
  const key = `${context.getWorkflow().id ?? ""}\u0000${context.getNode().id}\u0000${context.getMode()}`;
  let entry = held.get(key);
  if (!entry) {
    // The first request of this process since it started: what earlier processes saved.
    const saved = state.seen && typeof state.seen === "object" ? state.seen : {};
    entry = {
      store: Object.fromEntries(Object.entries(saved).filter(([, at]) => typeof at === "number")),
      prunedAt: 0,
    };
    held.set(key, entry);
  }
  return { entry, state };
}

function prune(entry: Held, now: number): void {
  if (now - entry.prunedAt < PRUNE_EVERY_SECONDS) return;
  entry.prunedAt = now;
  const keys = Object.keys(entry.store);
  let excess = keys.length - MAX_ENTRIES;
  for (const key of keys) {
    const age = now - (entry.store[key] as number);
    if (excess > 0 || age > (key.startsWith("p:") ? KEEP_PAIR_SECONDS : KEEP_BODY_SECONDS)) {
      delete entry.store[key];
      excess--;
    }
  }
}

export type SeenVerdict =
  /** First time: recorded, run the workflow. */
  | "new"
  /** The same content again (the platform's retry, a copy): acknowledge, run nothing. */
  | "duplicate"
  /** A known (timestamp, sign) with another body: refuse, since the sign does not cover the body. */
  | "reused_signature";

/**
 * Checks and records one verified delivery in one synchronous step (see the module's comment).
 * `bodyDigest` identifies the content; `timestamp` and `sign` the signature.
 */
export function recordDelivery(
  context: IWebhookFunctions,
  delivery: { bodyDigest: string; timestamp: number; sign: string },
  now = Math.floor(Date.now() / 1000),
): SeenVerdict {
  const { entry, state } = holdFor(context);
  prune(entry, now);
  const body = `b:${delivery.bodyDigest.slice(0, 32)}`;
  const pair = `p:${delivery.timestamp}:${delivery.sign}`;
  if (body in entry.store) return "duplicate";
  if (pair in entry.store) return "reused_signature";
  entry.store[body] = now;
  entry.store[pair] = now;
  // The same object each time: serialised when n8n saves, so the last save has every entry.
  state.seen = entry.store;
  return "new";
}
