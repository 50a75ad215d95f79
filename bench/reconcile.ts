/**
 * Gap-free history under a lossy platform: the simulator drives thousands of entries and exits
 * over its 3 lots and sends their callbacks to the real Worker (bundled, in workerd through
 * Miniflare, real D1 and Queues) with a share dropped (never sent) and a share duplicated; then
 * a backfill per lot over its whole history is worked off by the Worker's own queue consumer
 * (`parkbridge-records`), each run within its budgets. At the end the stored vehicle accesses
 * are compared with the platform's records: recovered, duplicates, missing; and every recovered
 * event must have reached a subscriber (a loopback sink) at least once.
 *
 * Baseline, in the same run: reading the same windows' pages with the shared client alone (no
 * matching, no storing): what the platform's paging costs, which reconciliation cannot beat.
 * Used by `npm run bench -- --only=reconcile` and by the soak test (test/e2e/records-soak.test.ts).
 */
import { rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createPlatformClient, formatPlatformTime } from "@parkbridge/shared";
import { type RunningSimulator, startSimulator } from "@parkbridge/simulator";
import { median } from "./lib/stats.js";
import { bundleWorker, ROOT, type RunningWorker, startWorker, wranglerVars } from "./lib/worker.js";

export interface ReconcileOptions {
  /** Simulator traffic steps (each an event: mostly entries and exits, some camera and visitor events). */
  steps: number;
  dropRate: number;
  duplicateRate: number;
  /** Give up waiting for the backfills after this long (real ms). */
  timeoutMs: number;
}

interface RunReport {
  job: string;
  pagesRead: number;
  recordsRead: number;
  recovered: number;
  attached: number;
  platformCalls: number;
  queueSends: number;
  d1Queries: number;
  readFailures: number;
  durationMs: number;
}

export interface ReconcileResult {
  options: ReconcileOptions;
  /** The platform's access records of the 3 lots (the truth). */
  records: number;
  /** Callbacks the platform sent (first attempts), dropped (never sent) and duplicated. */
  callbacksSent: number;
  callbacksDropped: number;
  callbacksDuplicated: number;
  /** Accesses stored from callbacks, and from the records. */
  storedByCallback: number;
  recovered: number;
  /** Records stored more than once, and records not stored at all. */
  duplicates: number;
  missing: number;
  /** A few of the missing records, and why records could not be read as accesses (the runs' counts). */
  missingExamples: unknown[];
  unusable: number;
  /** Stored accesses that differ from their record (plate, direction, time or lane) or have none. */
  mismatched: number;
  /** Recovered events that reached the subscriber (at least once). */
  recoveredDelivered: number;
  runs: number;
  pagesRead: number;
  platformCalls: number;
  d1Queries: number;
  peakPlatformCallsPerRun: number;
  peakD1QueriesPerRun: number;
  /**
   * CPU of one default page (500 records) in Node, warm, median of 15: the page's result schema,
   * each record checked and normalised as its callback (accessesOf) and planned (planStore). The
   * SHA-256 digests are left out: native in workerd, a thread-pool round trip each in Node.
   */
  pageCpuMs: number;
  /** Median wall time of a run that read pages, ms, and per page read. */
  runMs: number;
  pageMs: number;
  /** Real ms from the backfills' start until every job was done. */
  reconcileMs: number;
  /** The baseline: the same pages read with the client alone (ms). */
  baselineMs: number;
  baselinePages: number;
}

const ADMIN_TOKEN = "reconcile-bench-token";
const ACCOUNT = { appKey: "reconcile-app-key", appSecret: "reconcile-app-secret" };
const LOTS = ["park1", "park2", "park3"];
/** The Worker's default page size (wrangler.toml), for the baseline's pages to be the same. */
const PAGE_SIZE = Number(wranglerVars().RECONCILE_PAGE_SIZE ?? 500);

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });

/** A subscriber that records which events reached it. */
async function startSink(): Promise<{ server: Server; url: string; events: Map<string, number> }> {
  const events = new Map<string, number>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const { eventId } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { eventId: string };
      events.set(eventId, (events.get(eventId) ?? 0) + 1);
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, events };
}

export async function runReconcileBench(
  options: ReconcileOptions,
  log: (line: string) => void,
): Promise<ReconcileResult> {
  const outdir = path.join(os.tmpdir(), `parkbridge-reconcile-${process.pid}`);
  const script = await bundleWorker(path.join(ROOT, "workers/src/index.ts"), outdir, "reconcile-worker");
  const sink = await startSink();
  const port = await freePort();
  const runs: RunReport[] = [];
  let simulator: RunningSimulator | undefined;
  let worker: RunningWorker | undefined;
  try {
    simulator = await startSimulator({
      port: 0,
      seed: 14,
      accounts: [ACCOUNT],
      callbackUrl: `http://127.0.0.1:${port}/callbacks`,
      callbackRetries: 3,
      callbackRetryDelayMs: 20,
    });
    worker = await startWorker({
      scriptPath: script,
      port,
      queueConsumer: true,
      recordsQueue: true,
      onLog: (line) => {
        if (line.includes('"job":"platform-records"')) runs.push(JSON.parse(line) as RunReport);
      },
      bindings: {
        PLATFORM_BASE_URL: simulator.url,
        PLATFORM_APP_KEY: ACCOUNT.appKey,
        PLATFORM_APP_SECRET: ACCOUNT.appSecret,
        ADMIN_TOKEN,
        // The subscriber sink listens on loopback, as a local n8n does.
        ALLOW_LOOPBACK_SUBSCRIBERS: "on",
        DELIVERY_RETRY_BASE_SECONDS: "1",
        RECONCILE: "on",
        // Backfills alone: the cron's passes would read the last 48 h a second time.
        RECONCILE_TRAILING_HOURS: "0",
      },
    });
    const api = async <T>(route: string, init: { method?: string; body?: unknown } = {}): Promise<T> => {
      const response = await fetch(new URL(route, (worker as RunningWorker).url), {
        method: init.method ?? (init.body ? "POST" : "GET"),
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        ...(init.body ? { body: JSON.stringify(init.body) } : {}),
      });
      if (!response.ok) throw new Error(`${route}: HTTP ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    };
    await api("/api/subscriptions", { body: { url: sink.url, events: ["vehicleAccess"] } });

    // The platform loses a share of its callbacks and sends another share twice.
    simulator.faults.add({ operation: "callback", kind: "dropCallback", rate: options.dropRate });
    simulator.faults.add({ operation: "callback", kind: "duplicateCallback", rate: options.duplicateRate });
    const trafficStarted = performance.now();
    for (let done = 0; done < options.steps; done += 50) {
      await Promise.all(Array.from({ length: 5 }, () => simulator?.traffic.step(10)));
    }
    log(
      `reconcile: ${options.steps} events in ${((performance.now() - trafficStarted) / 1000).toFixed(1)} s, ${simulator.callbacks.dropped.length} callbacks dropped`,
    );

    // A backfill per lot over its whole history (the seeded days before the traffic too).
    const records = LOTS.flatMap((lot) => simulator?.state.records(lot) ?? []);
    const earliest = Math.min(...records.map((r) => Date.parse(`${r.time.replace(" ", "T")}+08:00`)));
    const from = formatPlatformTime(earliest - 60_000, "second");
    const started = performance.now();
    const jobs = await Promise.all(
      LOTS.map((parkingId) => api<{ id: string }>("/api/backfill", { body: { parkingId, from } })),
    );
    for (;;) {
      const states = await Promise.all(jobs.map((job) => api<{ status: string }>(`/api/backfill/${job.id}`)));
      if (states.every((s) => s.status !== "open")) break;
      if (performance.now() - started > options.timeoutMs) throw new Error("reconcile: backfills not done in time");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const reconcileMs = performance.now() - started;

    // The history against the records.
    const stored = (
      await worker.db
        .prepare(
          `SELECT id, parking_id, vehicle_code, data ->> '$.direction' AS direction, occurred_at_local, lane_no, source,
             record_id FROM events WHERE event = 'vehicleAccess'`,
        )
        .all<{
          id: string;
          parking_id: string;
          vehicle_code: string;
          direction: string;
          occurred_at_local: string;
          lane_no: string;
          source: string;
          record_id: string | null;
        }>()
    ).results;
    const byRecord = new Map<string, typeof stored>();
    for (const row of stored) {
      const key = `${row.parking_id}:${row.record_id}`;
      byRecord.set(key, [...(byRecord.get(key) ?? []), row]);
    }
    let missing = 0;
    const missingExamples: unknown[] = [];
    let duplicates = 0;
    let mismatched = stored.filter((row) => row.record_id === null).length;
    for (const record of records) {
      const rows = byRecord.get(`${record.parkingId}:${record.recordId}`) ?? [];
      if (rows.length === 0) {
        missing++;
        if (missingExamples.length < 3)
          missingExamples.push({
            record,
            stored: stored.filter(
              (row) => row.vehicle_code === record.vehicleCode && row.parking_id === record.parkingId,
            ),
          });
      }
      if (rows.length > 1) duplicates += rows.length - 1;
      const row = rows[0];
      if (
        row &&
        (row.vehicle_code !== record.vehicleCode ||
          row.direction !== (record.accessType === "1" ? "in" : "out") ||
          row.occurred_at_local !== record.time ||
          row.lane_no !== record.laneNo)
      )
        mismatched++;
    }
    const recoveredIds = stored.filter((row) => row.source === "platform-records").map((row) => row.id);
    // Deliveries of the recovered events: the queue delivers within seconds.
    const deliveredBy = performance.now() + 30_000;
    while (recoveredIds.some((id) => !sink.events.has(id)) && performance.now() < deliveredBy) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    // The baseline: the same windows, paged by the client alone.
    const client = createPlatformClient({ baseUrl: simulator.url, ...ACCOUNT });
    const baselineStarted = performance.now();
    let baselinePages = 0;
    const to = formatPlatformTime(Date.now(), "second");
    for (const parkingId of LOTS) {
      for (let at = Date.parse(`${from.replace(" ", "T")}+08:00`); at <= Date.now(); at += 86_401_000) {
        const end = Math.min(at + 86_400_000, Date.parse(`${to.replace(" ", "T")}+08:00`));
        for (let pageNo = 1; ; pageNo++) {
          baselinePages++;
          const page = await client.listAccessRecords({
            parkingId,
            startTime: formatPlatformTime(at, "second"),
            endTime: formatPlatformTime(end, "second"),
            pageNo,
            pageSize: PAGE_SIZE,
          });
          if (!page.hasMore) break;
        }
      }
    }
    const baselineMs = performance.now() - baselineStarted;

    const sent = simulator.callbacks.sent;
    const result: ReconcileResult = {
      options,
      records: records.length,
      callbacksSent: sent.filter((s) => s.attempt === 1 && !s.duplicateOf).length,
      callbacksDropped: simulator.callbacks.dropped.length,
      callbacksDuplicated: sent.filter((s) => s.duplicateOf).length,
      storedByCallback: stored.filter((row) => row.source === "callback").length,
      recovered: recoveredIds.length,
      duplicates,
      missing,
      missingExamples,
      unusable: runs.reduce((n, r) => n + (r as RunReport & { unusable: number }).unusable, 0),
      mismatched,
      recoveredDelivered: recoveredIds.filter((id) => sink.events.has(id)).length,
      runs: runs.length,
      pagesRead: runs.reduce((n, r) => n + r.pagesRead, 0),
      platformCalls: runs.reduce((n, r) => n + r.platformCalls, 0),
      d1Queries: runs.reduce((n, r) => n + r.d1Queries, 0),
      peakPlatformCallsPerRun: Math.max(0, ...runs.map((r) => r.platformCalls + r.queueSends)),
      peakD1QueriesPerRun: Math.max(0, ...runs.map((r) => r.d1Queries)),
      pageCpuMs: await pageCpuOf(PAGE_SIZE),
      runMs: median(runs.filter((r) => r.pagesRead > 0).map((r) => r.durationMs)),
      pageMs: median(runs.filter((r) => r.pagesRead > 0).map((r) => r.durationMs / r.pagesRead)),
      reconcileMs,
      baselineMs,
      baselinePages,
    };
    if (missing)
      log(`reconcile: missing, e.g. ${JSON.stringify(missingExamples)}; ${result.unusable} records unusable`);
    log(
      `reconcile: ${result.records} records, ${result.recovered} recovered, ${result.duplicates} duplicates, ${result.missing} missing, ${result.runs} runs, ${result.platformCalls} platform calls, ${result.d1Queries} D1 statements, ${(reconcileMs / 1000).toFixed(1)} s (baseline ${(baselineMs / 1000).toFixed(1)} s)`,
    );
    return result;
  } finally {
    await worker?.close();
    await simulator?.close();
    await new Promise((resolve) => sink.server.close(resolve));
    await rm(outdir, { recursive: true, force: true });
  }
}

/** The Worker's own code, typechecked with workerd's types (bench/harness/records-cpu.ts), loaded at run time. */
async function pageCpuOf(size: number): Promise<number> {
  const module = "./harness/records-cpu.js";
  const { pageCpu } = (await import(module)) as { pageCpu: (size: number) => number };
  return pageCpu(size);
}
