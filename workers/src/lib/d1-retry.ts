/**
 * Retries a D1 call on transient errors only (the list the D1 docs and the
 * d1-starter-sessions template give), with exponential backoff and jitter. Only wrap work that
 * is safe to repeat: reads, and writes made idempotent by a key (ON CONFLICT DO NOTHING).
 */
const TRANSIENT = [
  "Network connection lost",
  "storage caused object to be reset",
  "reset because its code was updated",
];

const messageOf = (error: unknown) => String(error instanceof Error ? error.message : error);

export function isTransientD1Error(error: unknown): boolean {
  const message = messageOf(error);
  return TRANSIENT.some((fragment) => message.includes(fragment));
}

/** Any error D1 raised, transient or not: its messages name D1_ERROR (or another D1_ kind) and SQLite's codes. */
export function isD1Error(error: unknown): boolean {
  return /\bD1_[A-Z_]+|\bSQLITE_[A-Z]+/.test(messageOf(error)) || isTransientD1Error(error);
}

export interface RetryOptions {
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

/** Runs `work(attempt)` (attempt counts from 1) and retries it on transient errors. */
export async function withD1Retry<T>(work: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 3;
  const base = options.baseDelayMs ?? 50;
  const max = options.maxDelayMs ?? 1000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work(attempt);
    } catch (error) {
      if (attempt >= attempts || !isTransientD1Error(error)) throw error;
      const delay = Math.min(max, base * 2 ** (attempt - 1));
      await new Promise((resolve) => setTimeout(resolve, delay / 2 + Math.random() * (delay / 2)));
    }
  }
}
