/**
 * `npm run bench`: every benchmark, then docs/benchmarks.md. Each figure is a median over
 * repeated runs with its baseline measured in the same run (interleaved), so ratios are the
 * headline and absolute numbers are context.
 *   npm run bench                      full sizes (about 5 to 10 minutes on 2 cores)
 *   npm run bench -- --quick           small sizes, written to the OS temp dir unless --out is given
 *   npm run bench -- --only=ingest,collision,memory,sweep,expiry,paging,reconcile,bundle,read   --out=path/to/report.md
 */
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type BundleResult, runBundleBench } from "./bundle.js";
import { type ExpiryBenchResult, runExpiryBench } from "./expiry.js";
import { type IngestResult, runIngest, summarise } from "./ingest.js";
import { type CollisionResult, collisionMedians, runCollisionBench } from "./ingest-collision.js";
import { type MemoryResult, runMemoryBench } from "./ingest-memory.js";
import { ROOT } from "./lib/worker.js";
import { type PagingResult, pagingMedians, runPagingBench } from "./paging.js";
import { type ReadResult, readRatio, runReadBench } from "./read.js";
import { type ReconcileResult, runReconcileBench } from "./reconcile.js";
import { type Environment, renderReport } from "./report.js";
import { runSweepBench, type SweepBenchResult } from "./sweep.js";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const only = args
  .find((a) => a.startsWith("--only="))
  ?.slice("--only=".length)
  .split(",");
const out =
  args.find((a) => a.startsWith("--out="))?.slice("--out=".length) ??
  (quick ? path.join(os.tmpdir(), "parkbridge-benchmarks-quick.md") : path.join(ROOT, "docs/benchmarks.md"));
const wanted = (name: string) => !only || only.includes(name);
const started = Date.now();
const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);

const version = (pkg: string) => {
  try {
    return (
      JSON.parse(readFileSync(path.join(ROOT, "node_modules", pkg, "package.json"), "utf8")) as { version: string }
    ).version;
  } catch {
    return "?";
  }
};

function environment(): Environment {
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT }).toString().trim();
  } catch {}
  return {
    date: new Date().toISOString().slice(0, 16).replace("T", " "),
    commit,
    cpu: os.cpus()[0]?.model.trim() ?? "unknown",
    cores: os.cpus().length,
    memoryGB: Math.round(os.totalmem() / 1024 ** 3),
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    versions: {
      node: process.version,
      wrangler: version("wrangler"),
      miniflare: version("miniflare"),
      workerd: version("workerd"),
      vitest: version("vitest"),
      esbuild: version("esbuild"),
      hono: version("hono"),
      zod: version("zod"),
    },
    quick,
    loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
}

const env = environment();
log(
  `parkbridge benchmarks (${quick ? "quick" : "full"}), ${env.cpu}, ${env.cores} cores, load ${env.loadAverage.join(" ")}`,
);

let ingest: IngestResult | undefined;
let collision: CollisionResult | undefined;
let memory: MemoryResult | undefined;
let sweep: SweepBenchResult | undefined;
let paging: PagingResult | undefined;
let bundle: BundleResult | undefined;
let expiry: ExpiryBenchResult | undefined;
let reconcile: ReconcileResult | undefined;
let read: ReadResult | undefined;

if (wanted("bundle")) bundle = await runBundleBench(log);
if (wanted("paging")) {
  paging = await runPagingBench(
    { vehicles: quick ? 10_000 : 100_000, pageSize: 1000, repetitions: quick ? 3 : 9 },
    log,
  );
  const m = pagingMedians(paging);
  log(`paging: client ${m.client.toFixed(0)} ms vs bare ${m.bare.toFixed(0)} ms`);
}
if (wanted("ingest")) {
  ingest = await runIngest(
    {
      concurrencies: [1, 10, 50],
      requestsPerRun: quick ? 100 : 1000,
      repetitions: quick ? 3 : 5,
      warmup: quick ? 50 : 200,
    },
    log,
  );
  for (const row of ingest.rows) {
    log(
      `ingest c=${row.concurrency}: ${(summarise(row.worker).rps / summarise(row.baseline).rps).toFixed(2)}× of the baseline`,
    );
  }
}
if (wanted("collision")) {
  collision = await runCollisionBench(
    {
      senders: 20,
      callbacksPerRun: quick ? 200 : 1000,
      repetitions: quick ? 3 : 5,
      tickMs: 1,
      retryDelayMs: 20,
      maxRetries: 10,
    },
    log,
  );
  const c = collisionMedians(collision.colliding);
  log(`collision: ${c.eventsPerSecond.toFixed(0)} events/s, lost ${c.lost}, duplicates ${c.duplicates}`);
}
if (wanted("memory")) memory = await runMemoryBench({ requests: 20, bodyMB: 50 }, log);
if (wanted("sweep")) {
  sweep = await runSweepBench(
    quick
      ? { due: 50, ledgers: [50, 5_000], notYetDue: 500, repetitions: 3 }
      : { due: 1_000, ledgers: [1_000, 100_000], notYetDue: 5_000, repetitions: 5 },
    log,
  );
}

if (wanted("expiry")) {
  expiry = await runExpiryBench(
    {
      authorisationsPerLot: quick ? 5_000 : 50_000,
      scenarios: [
        { due: quick ? 100 : 1_000, profile: "before", warm: true },
        { due: quick ? 100 : 1_000, profile: "free", warm: false },
        { due: quick ? 100 : 1_000, profile: "free", warm: true },
        { due: quick ? 1_000 : 10_000, profile: "free", warm: true },
        { due: quick ? 100 : 1_000, profile: "free+wake", warm: true },
        { due: quick ? 100 : 1_000, profile: "paid", warm: true },
        { due: quick ? 1_000 : 10_000, profile: "paid", warm: true },
      ],
      platformLatencyMs: quick ? 20 : 100,
      d1LatencyMs: quick ? 2 : 10,
      deliveryLatencyMs: 1000,
      deadlineMinutes: quick ? 5 : 15,
    },
    log,
  );
}

if (wanted("reconcile")) {
  reconcile = await runReconcileBench(
    { steps: quick ? 1_000 : 10_000, dropRate: 0.2, duplicateRate: 0.05, timeoutMs: quick ? 120_000 : 600_000 },
    log,
  );
}
if (wanted("read")) {
  read = await runReadBench(
    { small: quick ? 1_000 : 10_000, factor: quick ? 10 : 100, repetitions: quick ? 3 : 5, requests: quick ? 5 : 15 },
    log,
  );
  log(
    `read: worst route ${Math.max(...read.routes.map(readRatio)).toFixed(2)}× at ${read.options.factor}× the history`,
  );
}

const env2 = {
  ...env,
  loadAverageAfter: os.loadavg().map((l) => Number(l.toFixed(2))),
  seconds: Math.round((Date.now() - started) / 1000),
};
writeFileSync(
  out,
  renderReport({ env: env2, ingest, collision, memory, sweep, expiry, paging, bundle, reconcile, read }),
);
rmSync(path.join(os.tmpdir(), `parkbridge-bench-${process.pid}`), { recursive: true, force: true });
log(`wrote ${path.relative(process.cwd(), out) || out}`);
// An invocation past the plan's limits fails the benchmark, as production would fail the invocation.
const violations = expiry?.scenarios.flatMap((s) => s.violations) ?? [];
if (reconcile && (reconcile.missing || reconcile.duplicates || reconcile.mismatched)) {
  console.error(
    `reconcile: the history is not the platform's records (${reconcile.missing} missing, ${reconcile.duplicates} duplicates)`,
  );
  process.exitCode = 1;
}
if (violations.length > 0) {
  console.error(`expiry: ${violations.length} invocations went past their plan's limits, e.g. ${violations[0]}`);
  process.exitCode = 1;
}
