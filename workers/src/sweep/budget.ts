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

/**
 * A cap on the D1 statements of one invocation (D1 allows 50 queries per invocation on the free
 * plan): a statement past the cap is refused before it is sent, with BudgetExhausted. A batch
 * counts as its statements.
 */
export class D1Budget {
  used = 0;
  readonly db: D1Database;

  constructor(
    readonly limit: number,
    inner: D1Database,
  ) {
    const take = (count: number) => {
      if (this.used + count > this.limit) {
        throw new BudgetExhausted(`the invocation's ${this.limit} D1 statements are spent`);
      }
      this.used += count;
    };
    type Counted = D1PreparedStatement & { readonly inner: D1PreparedStatement };
    const wrap = (statement: D1PreparedStatement): Counted =>
      ({
        inner: statement,
        bind: (...values: unknown[]) => wrap(statement.bind(...values)),
        first: async (column?: string) => {
          take(1);
          return column === undefined ? statement.first() : statement.first(column);
        },
        all: async () => {
          take(1);
          return statement.all();
        },
        run: async () => {
          take(1);
          return statement.run();
        },
        raw: async (options?: { columnNames?: boolean }) => {
          take(1);
          return statement.raw(options as { columnNames: true });
        },
      }) as unknown as Counted;
    this.db = {
      prepare: (sql: string) => wrap(inner.prepare(sql)),
      batch: async <T>(statements: D1PreparedStatement[]) => {
        take(statements.length);
        return inner.batch<T>(statements.map((s) => (s as Partial<Counted>).inner ?? s));
      },
      exec: () => {
        throw new Error("exec is not counted: use prepare/batch");
      },
      withSession: () => {
        throw new Error("sessions are not counted: use prepare/batch");
      },
      dump: () => inner.dump(),
    } as unknown as D1Database;
  }

  get remaining(): number {
    return this.limit - this.used;
  }
}
