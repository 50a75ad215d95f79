/**
 * Signed callback delivery, as the platform does it: POST `{callbackType, data}` with headers
 * appKey / timestamp / sign = md5(appKey + timestamp + appSecret). A non-2xx answer (or no
 * answer) is retried with the same body and a fresh timestamp and sign per attempt, after a
 * delay that doubles, with ±25 % jitter: callbacks that failed together (two signed in the same
 * millisecond, held by the receiver until resent) do not come back together. Retry-After is not
 * read: the platform's documents say nothing of it.
 */
import { type CallbackType, signCallback } from "@parkbridge/shared";
import type { FaultBook } from "./faults.js";

export interface CallbackBody {
  callbackType: CallbackType;
  data: Record<string, unknown>;
}

/** One delivery attempt. */
export interface SentCallback {
  /** Same for every attempt of one delivery; a duplicate delivery gets its own. */
  deliveryId: string;
  /** 1 for the first attempt. */
  attempt: number;
  callbackType: CallbackType;
  /** The exact body string sent (the same string on every attempt). */
  body: string;
  /** The body, parsed. */
  event: CallbackBody;
  headers: { appKey: string; timestamp: string; sign: string };
  /** HTTP status, or 0 when no answer came. */
  status: number;
  ok: boolean;
  /** Why there was no answer. */
  error?: string;
  /** Set on a deliberately duplicated delivery: the deliveryId it repeats. */
  duplicateOf?: string;
}

export interface DeliveryOptions {
  url?: string;
  appKey: string;
  appSecret: string;
  retries: number;
  retryDelayMs: number;
  /** Per-attempt timeout, ms. */
  timeoutMs?: number;
  /** How requests are sent (default: the global fetch); a test may deliver into a Worker directly. */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
}

export class CallbackDelivery {
  readonly sent: SentCallback[] = [];
  private nextId = 1;
  private readonly closing = new AbortController();
  private readonly timers = new Map<NodeJS.Timeout, () => void>();

  constructor(
    private readonly options: DeliveryOptions,
    private readonly faults: FaultBook,
  ) {}

  get configured(): boolean {
    return Boolean(this.options.url);
  }

  /** Delivers one callback (twice under a duplicateCallback fault); resolves when every attempt is over. */
  async deliver(body: CallbackBody): Promise<SentCallback[]> {
    if (!this.options.url) return [];
    const decision = this.faults.decide("callback");
    if (decision.latencyMs > 0) await this.sleep(decision.latencyMs);
    const text = JSON.stringify(body);
    const attempts = await this.deliverOnce(body, text, undefined, decision.timestamp);
    if (decision.duplicate) attempts.push(...(await this.deliverOnce(body, text, attempts[0]?.deliveryId)));
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

  private async deliverOnce(
    body: CallbackBody,
    text: string,
    duplicateOf?: string,
    firstTimestamp?: number,
  ): Promise<SentCallback[]> {
    const deliveryId = `cb-${this.nextId++}`;
    const attempts: SentCallback[] = [];
    for (let attempt = 1; attempt <= this.options.retries + 1; attempt++) {
      if (this.closing.signal.aborted) break;
      const timestamp = attempt === 1 && firstTimestamp !== undefined ? firstTimestamp : Date.now();
      const result = await this.attempt(body, text, deliveryId, attempt, timestamp, duplicateOf);
      attempts.push(result);
      this.sent.push(result);
      if (result.ok || attempt > this.options.retries) break;
      const delay = this.options.retryDelayMs * 2 ** (attempt - 1);
      await this.sleep(delay * (0.75 + Math.random() * 0.5));
    }
    return attempts;
  }

  private async attempt(
    body: CallbackBody,
    text: string,
    deliveryId: string,
    attempt: number,
    at: number,
    duplicateOf?: string,
  ): Promise<SentCallback> {
    const { appKey, appSecret } = this.options;
    const timestamp = String(at);
    const headers = { appKey, timestamp, sign: signCallback(appKey, timestamp, appSecret) };
    const base = { deliveryId, attempt, callbackType: body.callbackType, body: text, event: body, headers };
    const extra = duplicateOf ? { duplicateOf } : {};
    try {
      const response = await (this.options.fetch ?? fetch)(this.options.url as string, {
        method: "POST",
        headers: { "content-type": "application/json; charset=utf-8", ...headers },
        body: text,
        signal: AbortSignal.any([this.closing.signal, AbortSignal.timeout(this.options.timeoutMs ?? 10_000)]),
      });
      await response.arrayBuffer().catch(() => undefined);
      return { ...base, ...extra, status: response.status, ok: response.ok };
    } catch (error) {
      return { ...base, ...extra, status: 0, ok: false, error: (error as Error).message };
    }
  }

  private sleep(ms: number): Promise<void> {
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
