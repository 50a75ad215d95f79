/**
 * The burst benchmark's harness, bundled with the Worker and run in workerd: it invokes the
 * Worker's own exported `scheduled()` and `queue()` as the runtime would, each call one
 * invocation with an env of its own whose D1 binding, outbound fetch, KV and queues count what
 * the invocation does and refuse past the plan's per-invocation limits (the 51st subrequest or
 * D1 query on the free plan throws, as production would, and is reported as a violation).
 * The clock is the harness's: Date.now() is the bench's virtual time (real time plus the idle
 * time it skipped), so cron ticks and queue delays need not be waited for.
 *
 * POST /invoke {kind: "scheduled" | "queue", ...} answers what the invocation did (counts,
 * messages sent, acks and retries). Typechecked with the Worker (workers/tsconfig.json).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import worker from "../../workers/src/index.js";

interface Limits {
  /** Outbound fetch (the platform): 50 on the free plan. */
  subrequests: number;
  d1Queries: number;
  /** Calls to Cloudflare services (KV, Queues): 1,000 per invocation. */
  services: number;
}

interface Command {
  kind: "scheduled" | "queue";
  /** Added to Date.now(): the bench's virtual clock. */
  clockOffset: number;
  limits: Limits;
  /** Vars for this invocation (a profile's settings). */
  vars: Record<string, string>;
  /** No expiry queue binding (the cron sweeps alone, as before the queue). */
  withoutQueue?: boolean;
  /** Modelled round trip of each D1 call (local D1 has none). */
  d1LatencyMs: number;
  scheduledTime?: number;
  queue?: string;
  messages?: Array<{ id: string; timestamp: number; attempts: number; body: unknown }>;
}

interface Counts {
  subrequests: number;
  d1Queries: number;
  services: number;
  violation?: string;
}

const invocations = new AsyncLocalStorage<{ counts: Counts; limits: Limits }>();

function take(kind: keyof Limits, count = 1): void {
  const current = invocations.getStore();
  if (!current) throw new Error(`harness: a ${kind} call outside any invocation`);
  current.counts[kind] += count;
  if (current.counts[kind] > current.limits[kind]) {
    const message = `harness: ${kind} number ${current.counts[kind]} in one invocation (the limit is ${current.limits[kind]})`;
    current.counts.violation ??= message;
    throw new Error(message);
  }
}

const realFetch = globalThis.fetch.bind(globalThis);
globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
  take("subrequests");
  return realFetch(input, init);
}) as typeof fetch;

let clockOffset = 0;
const realNow = Date.now.bind(Date);
Date.now = () => realNow() + clockOffset;

const pause = (ms: number) => (ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve());

function countedD1(db: D1Database, latencyMs: number): D1Database {
  type Counted = D1PreparedStatement & { readonly inner: D1PreparedStatement };
  const wrap = (statement: D1PreparedStatement): Counted =>
    ({
      inner: statement,
      bind: (...values: unknown[]) => wrap(statement.bind(...values)),
      first: async (column?: string) => {
        take("d1Queries");
        await pause(latencyMs);
        return column === undefined ? statement.first() : statement.first(column);
      },
      all: async () => {
        take("d1Queries");
        await pause(latencyMs);
        return statement.all();
      },
      run: async () => {
        take("d1Queries");
        await pause(latencyMs);
        return statement.run();
      },
      raw: async (options?: { columnNames?: boolean }) => {
        take("d1Queries");
        await pause(latencyMs);
        return statement.raw(options as { columnNames: true });
      },
    }) as unknown as Counted;
  return {
    prepare: (sql: string) => wrap(db.prepare(sql)),
    batch: async (statements: D1PreparedStatement[]) => {
      take("d1Queries", statements.length);
      await pause(latencyMs);
      return db.batch(statements.map((s) => (s as Partial<Counted>).inner ?? s));
    },
  } as unknown as D1Database;
}

function countedKv(kv: KVNamespace): KVNamespace {
  return new Proxy(kv, {
    get(target, property) {
      const value = Reflect.get(target, property);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        take("services");
        return value.apply(target, args);
      };
    },
  });
}

interface Sent {
  body: unknown;
  delaySeconds?: number;
}

/** The expiry queue as a producer sees it; what is sent goes back to the bench, which delivers it. */
function capturingQueue(sent: Sent[]): Queue<unknown> {
  return {
    send: async (body: unknown, options?: { delaySeconds?: number }) => {
      take("services");
      sent.push({ body, ...(options?.delaySeconds ? { delaySeconds: options.delaySeconds } : {}) });
    },
    sendBatch: async (messages: Iterable<{ body: unknown; delaySeconds?: number }>) => {
      take("services");
      for (const m of messages)
        sent.push({ body: m.body, ...(m.delaySeconds ? { delaySeconds: m.delaySeconds } : {}) });
    },
  } as unknown as Queue<unknown>;
}

function countedQueue(queue: Queue<unknown>): Queue<unknown> {
  return {
    send: async (body: unknown, options?: QueueSendOptions) => {
      take("services");
      return queue.send(body, options);
    },
    sendBatch: async (messages: Iterable<MessageSendRequest<unknown>>, options?: QueueSendBatchOptions) => {
      take("services");
      return queue.sendBatch(messages, options);
    },
  } as unknown as Queue<unknown>;
}

type HarnessEnv = Record<string, unknown> & { DB: D1Database; LIVE: KVNamespace; DELIVERIES: Queue<unknown> };

async function invoke(command: Command, env: HarnessEnv) {
  clockOffset = command.clockOffset;
  const counts: Counts = { subrequests: 0, d1Queries: 0, services: 0 };
  const sent: Sent[] = [];
  const acks = new Set<string>();
  const retries = new Map<string, number | undefined>();
  let error: string | undefined;
  const started = Date.now();
  await invocations.run({ counts, limits: command.limits }, async () => {
    const invocationEnv = {
      ...env,
      ...command.vars,
      DB: countedD1(env.DB, command.d1LatencyMs),
      LIVE: countedKv(env.LIVE),
      DELIVERIES: countedQueue(env.DELIVERIES),
      EXPIRY: command.withoutQueue ? undefined : capturingQueue(sent),
    } as unknown as Parameters<typeof worker.fetch>[1];
    const waits: Promise<unknown>[] = [];
    const ctx = {
      waitUntil: (promise: Promise<unknown>) => waits.push(promise),
      passThroughOnException: () => {},
      props: {},
    } as unknown as ExecutionContext;
    try {
      if (command.kind === "scheduled") {
        const controller = {
          scheduledTime: command.scheduledTime ?? Date.now(),
          cron: "* * * * *",
          noRetry: () => {},
        } as ScheduledController;
        await worker.scheduled(controller, invocationEnv, ctx);
      } else {
        const messages = (command.messages ?? []).map((m) => ({
          id: m.id,
          timestamp: new Date(m.timestamp),
          attempts: m.attempts,
          body: m.body,
          ack: () => acks.add(m.id),
          retry: (options?: { delaySeconds?: number }) => retries.set(m.id, options?.delaySeconds),
        }));
        const batch = {
          queue: command.queue ?? "parkbridge-expiry",
          messages,
          ackAll: () => {
            for (const m of messages) acks.add(m.id);
          },
          retryAll: (options?: { delaySeconds?: number }) => {
            for (const m of messages) retries.set(m.id, options?.delaySeconds);
          },
        } as unknown as Parameters<typeof worker.queue>[0];
        await worker.queue(batch, invocationEnv, ctx);
      }
      await Promise.all(waits);
    } catch (thrown) {
      // As the runtime does: a queue handler that throws has every message not acked retried.
      error = String(thrown);
      for (const m of command.messages ?? []) if (!acks.has(m.id)) retries.set(m.id, undefined);
    }
  });
  return {
    ...counts,
    sent,
    acks: [...acks],
    retries: [...retries].map(([id, delaySeconds]) => ({ id, delaySeconds })),
    error,
    ms: Date.now() - started,
  };
}

export default {
  async fetch(request: Request, env: HarnessEnv): Promise<Response> {
    const command = (await request.json()) as Command;
    return Response.json(await invoke(command, env));
  },
};
