/**
 * Ingestion under colliding timestamps: 20 concurrent senders whose timestamps collide (each
 * attempt is stamped with a coarse clock, so the senders of one tick share a (timestamp, sign)
 * pair), retrying as the platform does: a non-2xx answer is sent again, same body, fresh
 * timestamp and sign, after a doubling delay with jitter (simulator/src/delivery.ts). The Worker
 * stores the first body of a pair and holds the others (409) until they come back; every event
 * must end up stored once (lost = 0, duplicates = 0). Measured against the same senders from an
 * address on CALLBACK_ALLOWED_IPS (shared pairs stored at once), the same parkbridge without
 * collisions (every timestamp unique) and the D1 floor, interleaved, each in its own Miniflare
 * instance with the same options.
 */
import os from "node:os";
import path from "node:path";
import { signCallback } from "@parkbridge/shared";
import { ACCOUNT, BINDINGS, nextCallback } from "./ingest.js";
import { median, percentile } from "./lib/stats.js";
import { bundleWorker, ROOT, type RunningWorker, startWorker } from "./lib/worker.js";

export interface CollisionOptions {
  senders: number;
  callbacksPerRun: number;
  repetitions: number;
  /** Width of the senders' clock tick, ms: every attempt within one tick has the same timestamp. */
  tickMs: number;
  retryDelayMs: number;
  maxRetries: number;
}

export interface CollisionRun {
  /** Events stored per second of the run (each event counted once, however many attempts it took). */
  eventsPerSecond: number;
  /** Milliseconds from an event's first attempt to its 200, median and 99th percentile. */
  p50: number;
  p99: number;
  attempts: number;
  /** 409 held_unconfirmed answers (a shared pair). */
  held: number;
  /** Any other non-2xx answer. */
  failed: number;
  /** Events never answered 200 within the retries, or not found in D1 once. */
  lost: number;
  /** Events stored more than once. */
  duplicates: number;
  /** Attempts whose (timestamp, sign) another attempt with another body also carried. */
  sharedPairs: number;
  /** Held copies left waiting for an operator at the end (every one should have been confirmed). */
  heldLeft: number;
}

export interface CollisionResult {
  options: CollisionOptions;
  colliding: CollisionRun[];
  /** The same colliding senders from an address on CALLBACK_ALLOWED_IPS: shared pairs stored at once. */
  allowed: CollisionRun[];
  unique: CollisionRun[];
  floor: CollisionRun[];
}

/** The address the allowed senders come from (as Cloudflare sets CF-Connecting-IP; Miniflare does not). */
const ALLOWED_IP = "198.51.100.7";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Clock = () => number;

/** `senders` senders send `callbacksPerRun` callbacks, each retried as the platform retries. */
async function run(
  url: string,
  options: CollisionOptions,
  clock: Clock,
  worker?: RunningWorker,
  extraHeaders: Record<string, string> = {},
): Promise<CollisionRun> {
  const bodies = Array.from({ length: options.callbacksPerRun }, nextCallback);
  const latencies: number[] = [];
  const pairs = new Map<string, Set<string>>();
  let next = 0;
  let attempts = 0;
  let held = 0;
  let failed = 0;
  let lost = 0;
  const rawBefore = worker ? await count(worker, "raw_callbacks") : 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.senders }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++] as string;
        const first = performance.now();
        let ok = false;
        for (let attempt = 0; attempt <= options.maxRetries && !ok; attempt++) {
          if (attempt > 0) await sleep(options.retryDelayMs * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5));
          const timestamp = String(clock());
          const sign = signCallback(ACCOUNT.appKey, timestamp, ACCOUNT.appSecret);
          const key = `${timestamp}:${sign}`;
          pairs.set(key, (pairs.get(key) ?? new Set()).add(body));
          attempts++;
          const response = await fetch(url, {
            method: "POST",
            headers: { "content-type": "application/json", appKey: ACCOUNT.appKey, timestamp, sign, ...extraHeaders },
            body,
          });
          const text = await response.text();
          ok = response.status === 200 && text.includes('"code":0');
          if (response.status === 409) held++;
          else if (!ok) failed++;
        }
        if (ok) latencies.push(performance.now() - first);
        else lost++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  let duplicates = 0;
  let heldLeft = 0;
  if (worker) {
    // Every event in D1 once: as many new rows as bodies, none twice.
    const stored = (await count(worker, "raw_callbacks")) - rawBefore;
    const twice = await worker.db
      .prepare("SELECT count(*) AS n FROM (SELECT body FROM raw_callbacks GROUP BY body HAVING count(*) > 1)")
      .first<{ n: number }>();
    duplicates = twice?.n ?? 0;
    lost = Math.max(lost, bodies.length - stored);
    heldLeft = await count(worker, "held_callbacks WHERE status = 'held'");
  }
  const shared = [...pairs.values()].filter((set) => set.size > 1);
  return {
    eventsPerSecond: (bodies.length - lost) / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    attempts,
    held,
    failed,
    lost,
    duplicates,
    sharedPairs: shared.reduce((sum, set) => sum + set.size, 0),
    heldLeft,
  };
}

async function count(worker: RunningWorker, from: string): Promise<number> {
  return ((await worker.db.prepare(`SELECT count(*) AS n FROM ${from}`).first<{ n: number }>())?.n ?? 0) as number;
}

export async function runCollisionBench(
  options: CollisionOptions,
  log: (line: string) => void,
): Promise<CollisionResult> {
  const outdir = path.join(os.tmpdir(), `parkbridge-bench-${process.pid}`);
  const [workerScript, floorScript] = await Promise.all([
    bundleWorker(path.join(ROOT, "workers/src/index.ts"), outdir, "parkbridge"),
    bundleWorker(path.join(ROOT, "bench/d1-floor-worker.ts"), outdir, "d1-floor"),
  ]);
  const colliding = await startWorker({ scriptPath: workerScript, bindings: BINDINGS });
  const allowed = await startWorker({
    scriptPath: workerScript,
    bindings: { ...BINDINGS, CALLBACK_ALLOWED_IPS: `${ALLOWED_IP}/32` },
  });
  const unique = await startWorker({ scriptPath: workerScript, bindings: BINDINGS });
  const floor = await startWorker({ scriptPath: floorScript, bindings: BINDINGS });
  await floor.db.exec("CREATE TABLE floor_callbacks (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
  // The platform's clock: the senders of one tick share its timestamp (with 1 ms, those a batch
  // answered together and that send their next callback at once). Unique: strictly increasing.
  const coarse: Clock = () => Math.floor(Date.now() / options.tickMs) * options.tickMs;
  let last = 0;
  const increasing: Clock = () => {
    last = Math.max(last + 1, Date.now() - 60_000);
    return last;
  };
  const result: CollisionResult = { options, colliding: [], allowed: [], unique: [], floor: [] };
  const fromAllowed = { "cf-connecting-ip": ALLOWED_IP };
  const contenders = {
    colliding: () => run(new URL("/callbacks", colliding.url).href, options, coarse, colliding),
    allowed: () => run(new URL("/callbacks", allowed.url).href, options, coarse, allowed, fromAllowed),
    unique: () => run(new URL("/callbacks", unique.url).href, options, increasing, unique),
    floor: () => run(new URL("/callbacks", floor.url).href, options, increasing),
  } as const;
  type Contender = keyof typeof contenders;
  try {
    const warmup = { ...options, callbacksPerRun: Math.min(100, options.callbacksPerRun) };
    await run(new URL("/callbacks", colliding.url).href, warmup, increasing, colliding);
    await run(new URL("/callbacks", allowed.url).href, warmup, increasing, allowed, fromAllowed);
    await run(new URL("/callbacks", unique.url).href, warmup, increasing, unique);
    await run(new URL("/callbacks", floor.url).href, warmup, increasing);
    for (let rep = 0; rep < options.repetitions; rep++) {
      const order: Contender[] = ["floor", "unique", "colliding", "allowed"];
      for (let i = 0; i < rep % 4; i++) order.push(order.shift() as Contender);
      for (const which of order) result[which].push(await contenders[which]());
      const [c, a, u, f] = [
        result.colliding.at(-1),
        result.allowed.at(-1),
        result.unique.at(-1),
        result.floor.at(-1),
      ] as [CollisionRun, CollisionRun, CollisionRun, CollisionRun];
      log(
        `collision run ${rep + 1}: colliding ${c.eventsPerSecond.toFixed(0)} events/s (${c.held} held answers, lost ${c.lost}, duplicates ${c.duplicates}), allowed address ${a.eventsPerSecond.toFixed(0)}/s (lost ${a.lost}), unique ${u.eventsPerSecond.toFixed(0)}/s, D1 floor ${f.eventsPerSecond.toFixed(0)}/s`,
      );
    }
  } finally {
    await colliding.close();
    await allowed.close();
    await unique.close();
    await floor.close();
  }
  return result;
}

export const collisionMedians = (runs: CollisionRun[]) => ({
  eventsPerSecond: median(runs.map((r) => r.eventsPerSecond)),
  p50: median(runs.map((r) => r.p50)),
  p99: median(runs.map((r) => r.p99)),
  attempts: runs.reduce((s, r) => s + r.attempts, 0),
  held: runs.reduce((s, r) => s + r.held, 0),
  failed: runs.reduce((s, r) => s + r.failed, 0),
  lost: runs.reduce((s, r) => s + r.lost, 0),
  duplicates: runs.reduce((s, r) => s + r.duplicates, 0),
  sharedPairs: runs.reduce((s, r) => s + r.sharedPairs, 0),
  heldLeft: Math.max(0, ...runs.map((r) => r.heldLeft)),
});
