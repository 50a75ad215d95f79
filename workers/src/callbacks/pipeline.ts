/**
 * The one ingestion path, whatever platform calls back: verify → plan → store → answer.
 *
 * 1. The source checks what needs no body (its headers or query string: who, when, a sign that
 *    does not cover the body), so an unsigned request is refused before a byte of its body is read.
 * 2. The body is read with a byte cap (413 beyond it) and the source checks its bytes: a sign over
 *    them first, then its text and catalogue. What it means, in the one event vocabulary, is
 *    planned as rows, its time checked (normalise.ts).
 * 3. It is stored in a D1 batch shared with the callbacks arriving meanwhile (group commit,
 *    store.ts). A body under a (timestamp, sign) pair already bound to another body is held
 *    (held.ts) unless its sender is on the allow-list.
 * 4. The source answers in its platform's envelope; live state and deliveries follow in the
 *    background.
 *
 * A source (open-platform.ts, ebopark.ts) supplies the platform-specific parts only.
 */
import { sha256Hex } from "@parkbridge/shared";
import type { Context } from "hono";
import { enqueueDeliveries } from "../delivery/outbox.js";
import type { Env } from "../env.js";
import {
  accountsOf,
  ConfigError,
  callbackMaxSkewMs,
  callbackWindowMs,
  visitorBookingHorizonMs,
} from "../lib/config.js";
import { withD1Retry } from "../lib/d1-retry.js";
import { ApiError } from "../lib/errors.js";
import { createGroupCommit, RUN_ALONE } from "../lib/group-commit.js";
import { newId } from "../lib/ids.js";
import type { AppEnv } from "../lib/openapi-app.js";
import { type AllowList, callbackAllowList } from "./allow-list.js";
import { readBodyCapped } from "./body.js";
import { getHeld, type HeldRow, holdCallback, notHeld, resolveStatements } from "./held.js";
import { refreshLane, refreshLot } from "./live-state.js";
import type { NormalisedCallback } from "./normalise.js";
import { committedOutcome, planStore, type StoreOutcome, type StorePlan, storeCallbacks } from "./store.js";

/** Why a callback is not accepted: the answer's status, a machine reason, an English message, the field at fault. */
export interface Refusal {
  ok: false;
  status: 400 | 401 | 404 | 409 | 413 | 500 | 503;
  reason: string;
  message: string;
  field?: string;
  /** Seconds, for answers the sender should retry (Retry-After). */
  retryAfterSeconds?: number;
}

/** Whether a source's answer is a refusal (a sender or an interpretation otherwise). */
export const isRefusal = (value: object): value is Refusal => (value as Partial<Refusal>).ok === false;

export const refusal = (
  status: Refusal["status"],
  reason: string,
  message: string,
  field?: string,
  retryAfterSeconds?: number,
): Refusal => ({
  ok: false,
  status,
  reason,
  message,
  ...(field ? { field } : {}),
  ...(retryAfterSeconds ? { retryAfterSeconds } : {}),
});

/** The Worker's settings every source reads: parsed once per isolate where parsing costs. */
export interface IngestSettings {
  /** appKey → secret of every account whose callbacks land here. */
  accounts: Map<string, string>;
  windowMs: number;
  maxSkewMs: number;
  allowList: AllowList;
  bookingHorizonMs: number;
}

/** Throws ConfigError on a malformed setting. */
export function ingestSettings(env: Env): IngestSettings {
  return {
    accounts: accountsOf(env),
    windowMs: callbackWindowMs(env),
    maxSkewMs: callbackMaxSkewMs(env),
    allowList: callbackAllowList(env),
    bookingHorizonMs: visitorBookingHorizonMs(env),
  };
}

/** Who sent a callback, as far as the checks before its body can tell. */
export interface Sender {
  /** The account: the open platform's appKey, Ebopark's partnerid. */
  appKey: string;
  /** The (timestamp, sign) pair, where the sign does not cover the body: bound to its first body. */
  pair?: { timestamp: number; sign: string };
}

/** What a callback means, once its body is checked. */
export interface Interpreted {
  /** The platform's own name for what it sent (callbackType, Ebopark's report id). */
  callbackType: string;
  /** The body as stored: its text (decoded as the source reads it). */
  body: string;
  /** The query string to keep with it, where it carries the signature. */
  query?: string;
  callback: NormalisedCallback;
  /** Statements of other modules stored atomically with it (e.g. a visitor grant). */
  extra?: D1PreparedStatement[];
}

/** What a source's checks may read: the Worker's bindings, its parsed settings, the received instant. */
export interface SourceContext {
  env: Env;
  settings: IngestSettings;
  receivedAt: Date;
}

export interface InterpretContext extends SourceContext {
  /** The id the event will have (statements of other modules may refer to it). */
  eventId: string;
}

/** The platform-specific parts of the ingestion. */
export interface CallbackSource<S extends Sender = Sender> {
  /** Names the source in held rows and logs. */
  readonly id: string;
  /** The largest body it accepts, bytes. */
  readonly maxBodyBytes: number;
  /** The checks that need no body (headers, query string), run before the body is read. */
  authenticate(request: Request, context: SourceContext): Promise<S | Refusal>;
  /** The checks of the body's bytes (a sign over them, then their text and the catalogue) and what it means. */
  interpret(
    body: Uint8Array,
    sender: S,
    context: InterpretContext,
  ): Interpreted | Refusal | Promise<Interpreted | Refusal>;
  /** The answer its platform expects, for an accepted callback or a refusal. */
  answer(c: Context<AppEnv>, result: { ok: true } | Refusal): Response;
}

/** Callbacks one D1 batch may carry (its statements stay the same few whatever the count). */
export const MAX_GROUP_CALLBACKS = 50;
// Headers not worth keeping with the raw callback (credentials, if any proxy adds them).
const UNSTORED_HEADERS = new Set(["authorization", "cookie"]);

// Callbacks arriving together share one D1 batch: one round trip and the same few statements
// for all (store.ts). A group that fails for any reason is stored again callback by callback,
// so one bad callback cannot fail the others. Per isolate: every request of this Worker has the
// same D1 binding, and each group runs on its leader's.
const ingestGroup = createGroupCommit<{ plan: StorePlan; db: D1Database }, StoreOutcome | typeof RUN_ALONE>({
  run: async (members) => {
    try {
      return await storeCallbacks(
        (members[0] as { db: D1Database }).db,
        members.map((member) => member.plan),
      );
    } catch (error) {
      if (members.length > 1) console.warn("callbacks: a grouped batch failed, storing one by one", String(error));
      return members.map(() => RUN_ALONE);
    }
  },
  // The batch's JSON parameter carries every body: bound it well under D1's 2 MB per value.
  weight: ({ plan: { content } }) =>
    content.body.length + content.headers.length + content.data.length + content.details.length,
  maxWeight: 512 * 1024,
  maxInputs: MAX_GROUP_CALLBACKS,
  maxWaitMs: 5_000,
});

/** How callbacks were grouped in this isolate so far (diagnostics, tests). */
export const ingestStats = () => ({ ...ingestGroup.stats });

/**
 * Stores a callback alone, retrying transient errors. Before a retry (or when a group it was in
 * failed) it asks whether this very event is stored: a transient error can arrive after the
 * batch committed, and then the callback is answered as stored, with its deliveries sent at
 * once, so a committed callback is never answered 503 nor run twice.
 */
function storeAlone(db: D1Database, plan: StorePlan, checkFirst: boolean): Promise<StoreOutcome> {
  return withD1Retry(async (attempt) => {
    const committed = attempt > 1 || checkFirst ? await committedOutcome(db, plan) : null;
    return committed ?? ((await storeCallbacks(db, [plan]))[0] as StoreOutcome);
  });
}

/** Stores a planned callback: in a group, or alone when it carries guarded statements or a group failed. */
async function store(c: Context<AppEnv>, plan: StorePlan): Promise<StoreOutcome> {
  // Statements with a guard (extra, prelude) abort their whole transaction when the callback is
  // not new, so they never share one.
  if (plan.input.extra || plan.input.prelude) return storeAlone(c.env.DB, plan, false);
  const grouped = await ingestGroup.submit({ plan, db: c.env.DB }, (promise) => c.executionCtx.waitUntil(promise));
  return grouped === RUN_ALONE ? storeAlone(c.env.DB, plan, true) : grouped;
}

export function headersToRecord(headers: Headers): Record<string, string> {
  const record: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (!UNSTORED_HEADERS.has(name.toLowerCase())) record[name] = value;
  });
  return record;
}

/** The background work after an answer: live state and delivery hand-off. Never rejects. */
export async function afterStored(env: Env, outcome: Extract<StoreOutcome, { kind: "stored" }>): Promise<void> {
  const work: Promise<void>[] = [];
  const { platform, parkingId, laneNo } = outcome.row;
  if (outcome.lotChanged) work.push(refreshLot(env, platform, parkingId));
  if (outcome.laneChanged && laneNo) work.push(refreshLane(env, platform, parkingId, laneNo));
  if (outcome.deliveryIds.length) {
    work.push(
      enqueueDeliveries(env.DELIVERIES, outcome.deliveryIds).catch((error) =>
        console.warn("delivery: enqueue failed, the reconciliation will re-enqueue", String(error)),
      ),
    );
  }
  await Promise.all(work);
}

const storageRefusal = () =>
  refusal(503, "storage_unavailable", "storage is unavailable; nothing was stored, retry later", undefined, 5);

/**
 * The answer to a body held unconfirmed: a failure the platform retries, under a fresh signature.
 * 409 (not 5xx: nothing is wrong with the Worker): the request conflicts with the pair's first
 * body, and resending it under a new timestamp and sign resolves that (RFC 9110, 15.5.10).
 */
export const heldRefusal = () =>
  refusal(
    409,
    "held_unconfirmed",
    "another callback already came with this timestamp and sign, so this one is held unconfirmed: send it again with a new timestamp and sign",
    "sign",
    1,
  );

/** POST of a callback, start to end. */
export async function ingest<S extends Sender>(c: Context<AppEnv>, source: CallbackSource<S>): Promise<Response> {
  const answer = (result: { ok: true } | Refusal) => source.answer(c, result);
  const receivedAt = new Date();
  let settings: IngestSettings;
  try {
    settings = ingestSettings(c.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error("callbacks: configuration error", error.message);
    return answer(refusal(500, "misconfigured", error.message));
  }

  const sender = await source.authenticate(c.req.raw, { env: c.env, settings, receivedAt });
  if (isRefusal(sender)) return answer(sender);
  const body = await readBodyCapped(c.req.raw, source.maxBodyBytes);
  if (!body.ok) return answer(refusal(body.status, body.reason, body.message, "(body)"));
  const eventId = newId("evt", receivedAt.getTime());
  const meaning = await source.interpret(body.bytes, sender, { env: c.env, settings, receivedAt, eventId });
  if (isRefusal(meaning)) return answer(meaning);
  const { callbackType, callback, extra } = meaning;

  const clientIp = c.req.header("cf-connecting-ip") ?? null;
  const plan = planStore({
    appKey: sender.appKey,
    callbackType,
    bodyDigest: await sha256Hex(body.bytes),
    ...(sender.pair ? { pair: sender.pair } : {}),
    trusted: settings.allowList.allows(clientIp),
    callback,
    body: meaning.body,
    headers: headersToRecord(c.req.raw.headers),
    ...(meaning.query ? { query: meaning.query } : {}),
    receivedAt,
    eventId,
    maxSkewMs: settings.maxSkewMs,
    ...(extra ? { extra } : {}),
  });

  let outcome: StoreOutcome;
  try {
    outcome = await store(c, plan);
    if (outcome.kind === "conflict") {
      const held = await holdCallback(c.env.DB, plan, { source: source.id, clientIp });
      if (held.kind === "over_limit") {
        console.warn(`callbacks: pair ${plan.row.timestamp} of ${plan.row.app_key} holds too many bodies; not kept`);
      }
      if (held.kind !== "stored") return answer(heldRefusal());
    }
  } catch (error) {
    console.error("callbacks: storage failed, nothing stored", String(error));
    return answer(storageRefusal());
  }
  if (outcome.kind === "stored") c.executionCtx.waitUntil(afterStored(c.env, outcome));
  return answer({ ok: true });
}

/**
 * An operator's release of a held callback: stored as verified history through the same path
 * (its source reads the body again; received now, so readers of the history by receipt see it),
 * atomically with the row's new status and its audit. 409 unless it is still held.
 */
export async function releaseHeld(
  env: Env,
  waitUntil: (promise: Promise<unknown>) => void,
  source: CallbackSource,
  id: string,
  actor: string,
  note: string | null,
): Promise<HeldRow> {
  const row = await getHeld(env.DB, id);
  if (row.status !== "held") throw notHeld(row);
  const receivedAt = new Date();
  const eventId = newId("evt", receivedAt.getTime());
  const settings = ingestSettings(env);
  const meaning = await source.interpret(
    new TextEncoder().encode(row.body),
    { appKey: row.app_key },
    { env, settings, receivedAt, eventId },
  );
  if (isRefusal(meaning)) {
    throw new ApiError(409, "not_storable", `held callback ${id} cannot be stored: ${meaning.message}`, {
      field: meaning.field,
    });
  }
  const { callbackType, callback, extra } = meaning;
  const { guard, mark, audit } = resolveStatements(env.DB, id, {
    status: "released",
    at: receivedAt.toISOString(),
    actor,
    note,
    eventId,
  });
  const plan = planStore({
    appKey: row.app_key,
    callbackType,
    bodyDigest: row.body_digest,
    trusted: true,
    callback,
    body: row.body,
    headers: JSON.parse(row.headers) as Record<string, string>,
    receivedAt,
    eventId,
    maxSkewMs: settings.maxSkewMs,
    prelude: [guard, mark],
    extra: [...(extra ?? []), audit],
  });
  const outcome = (await storeCallbacks(env.DB, [plan]))[0] as StoreOutcome;
  if (outcome.kind !== "stored") throw notHeld(await getHeld(env.DB, id));
  waitUntil(afterStored(env, outcome));
  return getHeld(env.DB, id);
}
