/**
 * Ingestion: signed callbacks per second and latency at 1, 10 and 50 concurrent senders,
 * parkbridge's Worker against the bare Hono baseline and against the D1 floor (the bare Worker
 * plus one D1 insert per callback), all bundled with esbuild and run in Miniflare (workerd)
 * with the same options, driven by the same client over real HTTP on loopback. Every callback
 * is unique (its own plate, time and timestamp) so deduplication never short-circuits; after
 * each run the D1 rows are counted against the accepted answers.
 */
import os from "node:os";
import path from "node:path";
import { formatPlatformTime, signCallback } from "@parkbridge/shared";
import { median, percentile } from "./lib/stats.js";
import { bundleWorker, ROOT, type RunningWorker, startWorker } from "./lib/worker.js";

export const ACCOUNT = { appKey: "bench-app-key", appSecret: "bench-app-secret" };
export const BINDINGS = {
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
  rows: Array<{
    concurrency: number;
    worker: RunFigures[];
    baseline: RunFigures[];
    /** bench/d1-floor-worker.ts: the bare Worker plus one D1 insert per callback. */
    floor: RunFigures[];
    /** Per parkbridge run: accepted answers vs new raw_callbacks and events rows. */
    stored: Array<{ accepted: number; rawRows: number; eventRows: number }>;
  }>;
}

// Unique plates: province + letter + 5 characters from a counter (PLATE_PATTERN-valid).
let sequence = 0;
const PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";
export function nextCallback(): string {
  const n = sequence++;
  const counts = { tempLot: 50 + (n % 7), inParkNum: 120 + (n % 11), totalLot: 200 };
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

type Contender = "worker" | "baseline" | "floor";

export async function runIngest(options: IngestOptions, log: (line: string) => void): Promise<IngestResult> {
  const outdir = path.join(os.tmpdir(), `parkbridge-bench-${process.pid}`);
  const [workerScript, baselineScript, floorScript] = await Promise.all([
    bundleWorker(path.join(ROOT, "workers/src/index.ts"), outdir, "parkbridge"),
    bundleWorker(path.join(ROOT, "bench/baseline-worker.ts"), outdir, "baseline"),
    bundleWorker(path.join(ROOT, "bench/d1-floor-worker.ts"), outdir, "d1-floor"),
  ]);
  // Identical Miniflare options; the baselines simply ignore the bindings they do not use.
  const worker = await startWorker({ scriptPath: workerScript, bindings: BINDINGS });
  const baseline = await startWorker({ scriptPath: baselineScript, bindings: BINDINGS });
  const floor = await startWorker({ scriptPath: floorScript, bindings: BINDINGS });
  await floor.db.exec("CREATE TABLE floor_callbacks (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
  const urls: Record<Contender, string> = {
    worker: new URL("/callbacks", worker.url).href,
    baseline: new URL("/callbacks", baseline.url).href,
    floor: new URL("/callbacks", floor.url).href,
  };
  const result: IngestResult = { options, rows: [] };
  try {
    for (const url of Object.values(urls)) await load(url, 4, options.warmup);
    for (const concurrency of options.concurrencies) {
      const row: IngestResult["rows"][number] = { concurrency, worker: [], baseline: [], floor: [], stored: [] };
      for (let rep = 0; rep < options.repetitions; rep++) {
        // Rotate which goes first, so drift in the machine's load favours none.
        const order: Contender[] = ["baseline", "floor", "worker"];
        for (let i = 0; i < rep % 3; i++) order.push(order.shift() as Contender);
        for (const which of order) {
          if (which !== "worker") {
            row[which].push(await load(urls[which], concurrency, options.requestsPerRun));
            continue;
          }
          const [rawBefore, eventsBefore] = [await count(worker, "raw_callbacks"), await count(worker, "events")];
          const figures = await load(urls.worker, concurrency, options.requestsPerRun);
          row.worker.push(figures);
          row.stored.push({
            accepted: figures.ok,
            rawRows: (await count(worker, "raw_callbacks")) - rawBefore,
            eventRows: (await count(worker, "events")) - eventsBefore,
          });
        }
        const [w, b, f] = [row.worker.at(-1), row.baseline.at(-1), row.floor.at(-1)] as RunFigures[];
        log(
          `ingest c=${concurrency} run ${rep + 1}: worker ${w?.rps.toFixed(0)}/s, baseline ${b?.rps.toFixed(0)}/s, D1 floor ${f?.rps.toFixed(0)}/s`,
        );
      }
      result.rows.push(row);
    }
  } finally {
    await worker.close();
    await baseline.close();
    await floor.close();
  }
  return result;
}

export const summarise = (runs: RunFigures[]) => ({
  rps: median(runs.map((r) => r.rps)),
  p50: median(runs.map((r) => r.p50)),
  p99: median(runs.map((r) => r.p99)),
  failed: runs.reduce((sum, r) => sum + r.failed, 0),
});
