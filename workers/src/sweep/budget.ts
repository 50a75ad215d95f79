/**
 * A cap on the platform requests of one sweep run. Every request goes through `fetch` here,
 * token fetches, list pages and retries included, so the cap holds whatever the client does
 * (Workers limit subrequests per invocation: 50 on the free plan).
 */
import { TransportError } from "@parkbridge/shared";

export class BudgetExhausted extends Error {
  override name = "BudgetExhausted";
}

export class CallBudget {
  used = 0;
  constructor(
    readonly limit: number,
    private readonly inner: typeof fetch = (input, init) => fetch(input, init),
  ) {}

  get remaining(): number {
    return this.limit - this.used;
  }

  readonly fetch: typeof fetch = (input, init) => {
    if (this.used >= this.limit)
      return Promise.reject(new BudgetExhausted(`the run's ${this.limit} platform calls are spent`));
    this.used++;
    return this.inner(input, init);
  };
}

/** True when `error` is (or was caused by) the budget running out, rather than the platform failing. */
export function isBudgetExhausted(error: unknown): boolean {
  return (
    error instanceof BudgetExhausted || (error instanceof TransportError && error.cause instanceof BudgetExhausted)
  );
}
