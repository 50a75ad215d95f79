/**
 * Ingestion: signed callbacks per second and latency at 1, 10 and 50 concurrent senders,
 * parkbridge's Worker against the bare Hono baseline, both bundled with esbuild and run in
 * Miniflare (workerd) with the same options, driven by the same client over real HTTP on
 * loopback. Every callback is unique (its own plate, time and timestamp) so deduplication never
 * short-circuits; after each run the D1 rows are counted against the accepted answers.
 */
import os from "node:os";
import path from "node:path";
import { formatPlatformTime, signCallback } from "@parkbridge/shared";
import { median, percentile } from "./lib/stats.js";
import { bundleWorker, ROOT, type RunningWorker, startWorker } from "./lib/worker.js";

const ACCOUNT = { appKey: "bench-app-key", appSecret: "bench-app-secret" };
const BINDINGS = {
  PLATFORM_BASE_URL: "http://127.0.0.1:9",
  PLATFORM_APP_KEY: ACCOUNT.appKey,
  PLATFORM_APP_SECRET: ACCOUNT.appSecret,
  ADMIN_TOKEN: "bench-admin-token",
};

export interface IngestOptions {
  concurrencies: number[];
  requestsPerRun: number;
  repetitions: number;
  warmup: number;
  /** Also run, at this concurrency, callbacks without lot counts (no lot_state upsert, no KV refresh). */
  diagnosticConcurrency?: number;
}

export interface RunFigures {
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  failed: number;
}

export interface IngestResult {
  options: IngestOptions;
  /** The diagnostic: the same Worker fed callbacks without counts, at diagnosticConcurrency. */
  withoutCounts?: { concurrency: number; runs: RunFigures[]; withCounts: RunFigures[] };
  rows: Array<{
    concurrency: number;
    worker: RunFigures[];
    baseline: RunFigures[];
    /** Per parkbridge run: accepted answers vs new raw_callbacks and events rows. */
    stored: Array<{ accepted: number; rawRows: number; eventRows: number }>;
  }>;
}

// Unique plates: province + letter + 5 characters from a counter (PLATE_PATTERN-valid).
let sequence = 0;
const PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";
let withCounts = true;
function nextCallback(): string {
  const n = sequence++;
  const counts = withCounts ? { tempLot: 50 + (n % 7), inParkNum: 120 + (n % 11), totalLot: 200 } : {};
  const plate = `${PROVINCES[n % PROVINCES.length]}${"ABCDEFGHJK"[Math.floor(n / 31) % 10]}${String(Math.floor(n / 310)).padStart(5, "0")}`;
  return JSON.stringify({
    callbackType: "PARKING_VEHICLE_ACCESS",
    data: {
      vehicleCode: plate,
      vehicleType: "2",
      accessType: String(n % 2),
      time: formatPlatformTime(Date.UTC(2026, 10, 22) + n * 1000, "second"),
      laneNo: String(1 + (n % 4)),
      laneName: "入口车道1",
      parkingId: `park${1 + (n % 3)}`,
      ...counts,
    },
  });
}

// Timestamps: unique and increasing (a pair is bound to its first body), close to now.
let lastTimestamp = 0;
function nextTimestamp(): string {
  lastTimestamp = Math.max(lastTimestamp + 1, Date.now() - 60_000);
  return String(lastTimestamp);
}

async function send(url: string): Promise<{ ms: number; ok: boolean }> {
  const body = nextCallback();
  const timestamp = nextTimestamp();
  const started = performance.now();
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      appKey: ACCOUNT.appKey,
      timestamp,
      sign: signCallback(ACCOUNT.appKey, timestamp, ACCOUNT.appSecret),
    },
    body,
  });
  const text = await response.text();
  const ms = performance.now() - started;
  return { ms, ok: response.status === 200 && text.includes('"code":0') };
}

/** `total` requests from `concurrency` senders, each waiting for its answer before the next. */
async function load(url: string, concurrency: number, total: number): Promise<RunFigures> {
  const latencies: number[] = [];
  let next = 0;
  let ok = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        const result = await send(url);
        latencies.push(result.ms);
        if (result.ok) ok++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    rps: total / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    ok,
    failed: total - ok,
  };
}

async function count(worker: RunningWorker, table: string): Promise<number> {
  return ((await worker.db.prepare(`SELECT count(*) AS n FROM ${table}`).first<{ n: number }>())?.n ?? 0) as number;
}

export async function runIngest(options: IngestOptions, log: (line: string) => void): Promise<IngestResult> {
  const outdir = path.join(os.tmpdir(), `parkbridge-bench-${process.pid}`);
  const [workerScript, baselineScript] = await Promise.all([
    bundleWorker(path.join(ROOT, "workers/src/index.ts"), outdir, "parkbridge"),
    bundleWorker(path.join(ROOT, "bench/baseline-worker.ts"), outdir, "baseline"),
  ]);
  // Identical Miniflare options; the baseline simply ignores its bindings.
  const worker = await startWorker({ scriptPath: workerScript, bindings: BINDINGS });
  const baseline = await startWorker({ scriptPath: baselineScript, bindings: BINDINGS });
  const workerUrl = new URL("/callbacks", worker.url).href;
  const baselineUrl = new URL("/callbacks", baseline.url).href;
  const result: IngestResult = { options, rows: [] };
  try {
    await load(workerUrl, 4, options.warmup);
    await load(baselineUrl, 4, options.warmup);
    for (const concurrency of options.concurrencies) {
      const row: IngestResult["rows"][number] = { concurrency, worker: [], baseline: [], stored: [] };
      for (let rep = 0; rep < options.repetitions; rep++) {
        // Alternate which goes first, so drift in the machine's load favours neither.
        const order = rep % 2 === 0 ? ["baseline", "worker"] : ["worker", "baseline"];
        for (const which of order) {
          if (which === "baseline") {
            row.baseline.push(await load(baselineUrl, concurrency, options.requestsPerRun));
            continue;
          }
          const [rawBefore, eventsBefore] = [await count(worker, "raw_callbacks"), await count(worker, "events")];
          const figures = await load(workerUrl, concurrency, options.requestsPerRun);
          row.worker.push(figures);
          row.stored.push({
            accepted: figures.ok,
            rawRows: (await count(worker, "raw_callbacks")) - rawBefore,
            eventRows: (await count(worker, "events")) - eventsBefore,
          });
        }
        const w = row.worker.at(-1) as RunFigures;
        const b = row.baseline.at(-1) as RunFigures;
        log(`ingest c=${concurrency} run ${rep + 1}: worker ${w.rps.toFixed(0)}/s, baseline ${b.rps.toFixed(0)}/s`);
      }
      result.rows.push(row);
    }
    if (options.diagnosticConcurrency) {
      const diagnostic = {
        concurrency: options.diagnosticConcurrency,
        runs: [] as RunFigures[],
        withCounts: [] as RunFigures[],
      };
      for (let rep = 0; rep < options.repetitions; rep++) {
        for (const counts of rep % 2 === 0 ? [false, true] : [true, false]) {
          withCounts = counts;
          const figures = await load(workerUrl, options.diagnosticConcurrency, options.requestsPerRun);
          (counts ? diagnostic.withCounts : diagnostic.runs).push(figures);
        }
        withCounts = true;
        log(
          `ingest diagnostic run ${rep + 1}: without counts ${diagnostic.runs.at(-1)?.rps.toFixed(0)}/s, with ${diagnostic.withCounts.at(-1)?.rps.toFixed(0)}/s`,
        );
      }
      result.withoutCounts = diagnostic;
    }
  } finally {
    await worker.close();
    await baseline.close();
  }
  return result;
}

export const summarise = (runs: RunFigures[]) => ({
  rps: median(runs.map((r) => r.rps)),
  p50: median(runs.map((r) => r.p50)),
  p99: median(runs.map((r) => r.p99)),
  failed: runs.reduce((sum, r) => sum + r.failed, 0),
});
