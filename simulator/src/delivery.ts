/**
 * Signed deliveries with retries, as the platforms make them. `RetryingDelivery` is the loop both
 * share (faults, retries with doubling delays, duplicates, closing); `CallbackDelivery` is the open
 * platform's: POST `{callbackType, data}` with headers appKey / timestamp / sign = md5(appKey +
 * timestamp + appSecret). A non-2xx answer (or no answer) is retried with the same body and a fresh
 * timestamp and sign per attempt, after a delay that doubles, with ±25 % jitter: callbacks that failed
 * together (two signed in the same millisecond, held by the receiver until resent) do not come back
 * together. Retry-After is not read: the platform's documents say nothing of it. Ebopark's reports
 * are in report-delivery.ts.
 */
import { type CallbackType, signCallback } from "@parkbridge/shared";
import type { FaultBook } from "./faults.js";

export interface CallbackBody {
  callbackType: CallbackType;
  data: Record<string, unknown>;
}

/** What every delivery attempt records. */
export interface DeliveryAttempt {
  /** Same for every attempt of one delivery; a duplicate delivery gets its own. */
  deliveryId: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** The exact body string sent (the same string on every attempt). */
  body: string;
  /** HTTP status, or 0 when no answer came. */
  status: number;
  ok: boolean;
  /** Why there was no answer. */
  error?: string;
  /** Set on a deliberately duplicated delivery: the deliveryId it repeats. */
  duplicateOf?: string;
}

/** One delivery attempt of a callback. */
export interface SentCallback extends DeliveryAttempt {
  callbackType: CallbackType;
  /** The body, parsed. */
  event: CallbackBody;
  headers: { appKey: string; timestamp: string; sign: string };
}

export interface RetryOptions {
  retries: number;
  retryDelayMs: number;
  /** Per-attempt timeout, ms (default 10 s). */
  timeoutMs?: number;
  /** How requests are sent (default: the global fetch); a test may deliver into a Worker directly. */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
}

export interface DeliveryOptions extends RetryOptions {
  url?: string;
  appKey: string;
  appSecret: string;
}

/** The delivery loop: faults, attempts until one succeeds or the retries run out, duplicates on demand. */
export abstract class RetryingDelivery<Item, Sent extends DeliveryAttempt> {
  /** Every attempt, in order. */
  readonly sent: Sent[] = [];
  /** Items a dropCallback fault kept from being sent at all. */
  readonly dropped: Item[] = [];
  private nextId = 1;
  protected readonly closing = new AbortController();
  private readonly timers = new Map<NodeJS.Timeout, () => void>();

  constructor(
    protected readonly retry: RetryOptions,
    protected readonly faults: FaultBook,
    private readonly idPrefix: string,
  ) {}

  abstract get configured(): boolean;
  /** The exact body string an item is sent as (the same on every attempt). */
  protected abstract serialise(item: Item): string;
  /** The fault targets of an item (["callback"], ["report", "vehicleEntry"]…). */
  protected abstract targets(item: Item): readonly string[];
  /** The lot an item is about, for rules scoped to one lot (`parkingId`); none by default. */
  protected lotOf(_item: Item): string | undefined {
    return undefined;
  }
  /** One attempt, signed as of `signedAt` (ms) where the sign covers a time; never throws (no answer is `status: 0`). */
  protected abstract attempt(
    item: Item,
    text: string,
    base: DeliveryAttempt & { ok: false; status: 0 },
    signedAt: number,
  ): Promise<Sent>;

  /** Delivers one item (twice under duplicateCallback, never under dropCallback); resolves when every attempt is over. */
  async deliver(item: Item): Promise<Sent[]> {
    if (!this.configured) return [];
    const text = this.serialise(item);
    const decision = this.faults.decideDelivery(this.targets(item), this.lotOf(item));
    if (decision.latencyMs > 0) await this.sleep(decision.latencyMs);
    if (decision.drop) {
      this.dropped.push(item);
      return [];
    }
    const attempts = await this.deliverOnce(item, text, undefined, decision.timestamp);
    if (decision.duplicate) attempts.push(...(await this.deliverOnce(item, text, attempts[0]?.deliveryId)));
    return attempts;
  }

  /** Stops retries and aborts deliveries in flight. */
  close(): void {
    this.closing.abort();
    // Waiters resolve at once, so nothing awaiting a delivery hangs.
    for (const [timer, resolve] of this.timers) {
      clearTimeout(timer);
      resolve();
    }
    this.timers.clear();
  }

  /** The signal an attempt's fetch takes: the simulator closing, or the attempt's timeout. */
  protected signal(): AbortSignal {
    return AbortSignal.any([this.closing.signal, AbortSignal.timeout(this.retry.timeoutMs ?? 10_000)]);
  }

  private async deliverOnce(item: Item, text: string, duplicateOf?: string, firstTimestamp?: number): Promise<Sent[]> {
    const deliveryId = `${this.idPrefix}-${this.nextId++}`;
    const attempts: Sent[] = [];
    for (let attempt = 1; attempt <= this.retry.retries + 1; attempt++) {
      if (this.closing.signal.aborted) break;
      const base = { deliveryId, attempt, body: text, status: 0 as const, ok: false as const };
      // A sameMillisecond fault signs the first attempt with the shared timestamp; retries get fresh ones.
      const signedAt = attempt === 1 && firstTimestamp !== undefined ? firstTimestamp : Date.now();
      const result = await this.attempt(item, text, duplicateOf ? { ...base, duplicateOf } : base, signedAt);
      attempts.push(result);
      this.sent.push(result);
      if (result.ok || attempt > this.retry.retries) break;
      const delay = this.retry.retryDelayMs * 2 ** (attempt - 1);
      await this.sleep(delay * (0.75 + Math.random() * 0.5));
    }
    return attempts;
  }

  protected sleep(ms: number): Promise<void> {
    if (this.closing.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.set(timer, resolve);
    });
  }
}

export class CallbackDelivery extends RetryingDelivery<CallbackBody, SentCallback> {
  constructor(
    private readonly options: DeliveryOptions,
    faults: FaultBook,
  ) {
    super(options, faults, "cb");
  }

  get configured(): boolean {
    return Boolean(this.options.url);
  }

  protected serialise(body: CallbackBody): string {
    return JSON.stringify(body);
  }

  protected override lotOf(item: CallbackBody): string | undefined {
    const parkingId = (item.data as { parkingId?: unknown } | undefined)?.parkingId;
    return typeof parkingId === "string" ? parkingId : undefined;
  }

  protected targets(): readonly string[] {
    return ["callback"];
  }

  protected async attempt(
    body: CallbackBody,
    text: string,
    base: DeliveryAttempt & { ok: false; status: 0 },
    signedAt: number,
  ): Promise<SentCallback> {
    const { appKey, appSecret } = this.options;
    const timestamp = String(signedAt);
    const headers = { appKey, timestamp, sign: signCallback(appKey, timestamp, appSecret) };
    const sent = { ...base, callbackType: body.callbackType, event: body, headers };
    try {
      const response = await (this.retry.fetch ?? fetch)(this.options.url as string, {
        method: "POST",
        headers: { "content-type": "application/json; charset=utf-8", ...headers },
        body: text,
        signal: this.signal(),
      });
      await response.arrayBuffer().catch(() => undefined);
      return { ...sent, status: response.status, ok: response.ok };
    } catch (error) {
      return { ...sent, error: (error as Error).message };
    }
  }
}
