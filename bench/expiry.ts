/**
 * Burst expiry: N visitor grants end at the same instant in 3 lots that each hold 50,000
 * authorisations. The Worker's real scheduled() and queue() handlers run in workerd against the
 * real simulator, through bench/harness/worker.ts, which gives every invocation its own env and
 * fails it at the plan's per-invocation limits (free: the 51st subrequest or D1 query throws; the
 * bench then reports the violation and exits non-zero).
 *
 * Time is a virtual clock shared by the harness (the Worker's Date.now()) and the simulator: real
 * time while anything runs, and idle time skipped (waiting for the next cron tick or a queue
 * delay). The cron fires every minute on the minute; queue messages are delivered as Cloudflare
 * would with wrangler.toml's consumer settings (max_batch_size, max_concurrency, max_retries),
 * each after DELIVERY_LATENCY_MS; the platform answers each request after a modelled latency and
 * each D1 call costs a modelled round trip (local D1 has none).
 * Lateness is measured from the grants' end to the simulator answering deleteVehicle.
 */
import os from "node:os";
import path from "node:path";
import { formatPlatformTime } from "@parkbridge/shared";
import { startSimulator } from "@parkbridge/simulator";
import { percentile } from "./lib/stats.js";
import { bundleWorker, queueConsumerSettings, ROOT, startWorker, wranglerVars } from "./lib/worker.js";

/** free: wrangler.toml's defaults; free+wake: the same with EXPIRY_WAKE_UP on; paid: PAID_VARS; before: no queue. */
export type Profile = "free" | "free+wake" | "paid" | "before";

export interface ExpiryScenario {
  due: number;
  profile: Profile;
  /** The lots' sizes are known from an earlier round (production's usual case), or not (a first round). */
  warm: boolean;
}

export interface ExpiryBenchOptions {
  authorisationsPerLot: number;
  scenarios: ExpiryScenario[];
  platformLatencyMs: number;
  d1LatencyMs: number;
  deliveryLatencyMs: number;
  /** Virtual minutes a scenario may take before it is called unfinished. */
  deadlineMinutes: number;
}

/** The plans' per-invocation limits the harness enforces. */
export const LIMITS = {
  free: { subrequests: 50, d1Queries: 50, services: 1000 },
  paid: { subrequests: 10_000, d1Queries: 1000, services: 1000 },
} as const;

/** The documented paid profile (docs/visitor-expiry.md): wrangler.toml vars on top of the defaults. */
export const PAID_VARS: Record<string, string> = {
  SWEEP_MAX_PLATFORM_CALLS: "1000",
  SWEEP_MAX_D1_QUERIES: "500",
  EXPIRY_MAX_PLATFORM_CALLS: "1000",
  EXPIRY_MAX_D1_QUERIES: "500",
  EXPIRY_SCAN_PAGES: "60",
  EXPIRY_PARALLEL_CALLS: "6",
  EXPIRY_WAKE_UP: "on",
};

const EXPIRY_VARS = [
  "SWEEP_MAX_PLATFORM_CALLS",
  "SWEEP_MAX_D1_QUERIES",
  "EXPIRY_MAX_PLATFORM_CALLS",
  "EXPIRY_MAX_D1_QUERIES",
  "EXPIRY_SCAN_PAGES",
  "EXPIRY_PARALLEL_CALLS",
  "EXPIRY_WAKE_UP",
];

export interface ScenarioResult {
  scenario: ExpiryScenario;
  settings: Record<string, string>;
  consumer: Record<string, number>;
  /** Grants whose authorisation deleteVehicle removed, and their lateness (ms). */
  revoked: number;
  lateness: { p50: number; p99: number; max: number };
  /** Grants left alone (their plate given a monthly pass since) and found gone, as they should be. */
  superseded: number;
  alreadyGone: number;
  /** Grants still open when the scenario stopped. */
  open: number;
  /** From the grants' end until the last one closed (virtual ms), when all did. */
  allClosedAfterMs: number | undefined;
  /** The wait from the grants' end to the first cron tick that could end them (part of every lateness; 0 with wake-ups). */
  tickWaitMs: number;
  platformCalls: Record<string, number>;
  invocations: { cron: number; queue: number };
  peaks: { subrequests: number; d1Queries: number; services: number };
  violations: string[];
  errors: string[];
  wrongRevocations: number;
  secondDeletes: number;
  droppedMessages: number;
  /** Real seconds the scenario took. */
  wallSeconds: number;
}

export interface ExpiryBenchResult {
  options: ExpiryBenchOptions;
  scenarios: ScenarioResult[];
}

const LOTS = ["park1", "park2", "park3"];
const QUEUE = "parkbridge-expiry";
const TICK_MS = 60_000;
const plateOf = (i: number) => `浙D${String(i).padStart(5, "0")}`;
const idOf = (i: number) => `due-${String(i).padStart(5, "0")}`;
/** Every 100th grant's plate was given a monthly pass since (left alone); every 100th + 50 was removed by hand. */
const isSuperseded = (i: number) => i % 100 === 0;
const isGone = (i: number) => i % 100 === 50;

interface Pending {
  id: string;
  body: unknown;
  attempts: number;
  availableAt: number;
}

interface InvocationAnswer {
  subrequests: number;
  d1Queries: number;
  services: number;
  violation?: string;
  error?: string;
  sent: Array<{ body: unknown; delaySeconds?: number }>;
  acks: string[];
  retries: Array<{ id: string; delaySeconds?: number }>;
}

export async function runExpiryBench(
  options: ExpiryBenchOptions,
  log: (line: string) => void,
): Promise<ExpiryBenchResult> {
  const outdir = path.join(os.tmpdir(), `parkbridge-bench-${process.pid}`);
  const script = await bundleWorker(path.join(ROOT, "bench/harness/worker.ts"), outdir, "expiry-harness");
  let offset = 0;
  const virtualNow = () => Date.now() + offset;
  const simulator = await startSimulator({ port: 0, seed: 5, clock: virtualNow });
  const consumer = queueConsumerSettings(QUEUE);
  const defaults = wranglerVars();
  const loadStarted = performance.now();
  for (const lot of LOTS) {
    simulator.state.addAuthorisations(lot, options.authorisationsPerLot - simulator.state.authorisations(lot).length);
  }
  log(
    `expiry: ${LOTS.length} lots of ${options.authorisationsPerLot} authorisations loaded in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s`,
  );
  // Every request is answered after the modelled latency (a latency rule adds it, and nothing else).
  simulator.faults.add({ operation: "*", kind: "latency", latencyMs: options.platformLatencyMs });
  const worker = await startWorker({
    scriptPath: script,
    extraCompatibilityFlags: ["nodejs_als"],
    // The Worker logs a line per invocation: kept out of the bench's output.
    onLog: process.env.EXPIRY_BENCH_LOGS ? (line) => console.log(line) : () => {},
    bindings: {
      PLATFORM_BASE_URL: simulator.url,
      PLATFORM_APP_KEY: "demo-app-key",
      PLATFORM_APP_SECRET: "demo-app-secret",
      ADMIN_TOKEN: "bench-admin-token",
    },
  });
  const results: ScenarioResult[] = [];
  try {
    for (const scenario of options.scenarios) {
      const result = await runScenario(scenario);
      results.push(result);
      log(
        `expiry ${scenario.profile} due=${scenario.due}${scenario.warm ? "" : " (cold)"}: ${result.revoked} revoked, p50 ${(result.lateness.p50 / 1000).toFixed(1)} s, p99 ${(result.lateness.p99 / 1000).toFixed(1)} s, max ${(result.lateness.max / 1000).toFixed(1)} s, ${result.open} open, peaks ${result.peaks.subrequests} subrequests / ${result.peaks.d1Queries} D1, ${result.violations.length} violations, ${result.wallSeconds.toFixed(0)} s`,
      );
    }
  } finally {
    await worker.close();
    await simulator.close();
  }
  return { options, scenarios: results };

  async function runScenario(scenario: ExpiryScenario): Promise<ScenarioResult> {
    const wallStarted = performance.now();
    const settings: Record<string, string> = Object.fromEntries(
      EXPIRY_VARS.map((name) => [
        name,
        (scenario.profile === "paid" ? PAID_VARS[name] : undefined) ??
          (scenario.profile === "free+wake" && name === "EXPIRY_WAKE_UP" ? "on" : undefined) ??
          defaults[name] ??
          "",
      ]),
    );
    const limits = scenario.profile === "paid" ? LIMITS.paid : LIMITS.free;
    const tick0 = Math.ceil(virtualNow() / TICK_MS) * TICK_MS;
    // The grants end a second after a cron tick: the next tick is 59 s later (the worst case of a minute's cron).
    const endsAt = tick0 + 1000;
    await prepare(scenario, endsAt);
    const callsBefore = simulator.calls.length;

    const queue: Pending[] = [];
    const running = new Set<Promise<void>>();
    const stats: InvocationAnswer[] = [];
    const via = { cron: 0, queue: 0 };
    let dropped = 0;
    let nextId = 0;
    let nextTick = tick0;
    // The sweep alone never gets through these lots: ten minutes show it.
    const deadline = endsAt + (scenario.profile === "before" ? 10 : options.deadlineMinutes) * 60_000;
    const enqueue = (sent: InvocationAnswer["sent"], at: number) => {
      for (const message of sent) {
        queue.push({
          id: `m${nextId++}`,
          body: message.body,
          attempts: 1,
          availableAt: at + (message.delaySeconds ?? 0) * 1000 + options.deliveryLatencyMs,
        });
      }
    };
    const invoke = async (command: Record<string, unknown>): Promise<InvocationAnswer> => {
      const response = await worker.mf.dispatchFetch("http://harness/invoke", {
        method: "POST",
        body: JSON.stringify({
          ...command,
          clockOffset: offset,
          limits,
          vars: settings,
          withoutQueue: scenario.profile === "before",
          d1LatencyMs: options.d1LatencyMs,
        }),
      });
      const answer = (await response.json()) as InvocationAnswer;
      stats.push(answer);
      return answer;
    };
    const start = (work: Promise<void>) => {
      const tracked = work.finally(() => running.delete(tracked));
      running.add(tracked);
    };
    let consumers = 0;
    const open = async () =>
      (
        await worker.db
          .prepare("SELECT count(*) AS n FROM visitor_grants WHERE id LIKE 'due-%' AND status IN ('active', 'pending')")
          .first<{ n: number }>()
      )?.n ?? 0;
    let lastOpenCheck = 0;

    for (;;) {
      const now = virtualNow();
      if (now > deadline) break;
      if (now >= nextTick) {
        const scheduledTime = nextTick;
        nextTick += TICK_MS;
        via.cron++;
        start(
          invoke({ kind: "scheduled", scheduledTime }).then((answer) => {
            enqueue(answer.sent, virtualNow());
          }),
        );
      }
      queue.sort((a, b) => a.availableAt - b.availableAt);
      while (consumers < (consumer.max_concurrency ?? 250) && queue[0] && queue[0].availableAt <= now) {
        const batch = queue.splice(0, Math.max(1, consumer.max_batch_size ?? 10));
        consumers++;
        via.queue++;
        start(
          invoke({
            kind: "queue",
            queue: QUEUE,
            messages: batch.map((m) => ({ id: m.id, timestamp: m.availableAt, attempts: m.attempts, body: m.body })),
          }).then((answer) => {
            consumers--;
            const at = virtualNow();
            enqueue(answer.sent, at);
            for (const { id, delaySeconds } of answer.retries) {
              const message = batch.find((m) => m.id === id) as Pending;
              if (message.attempts > (consumer.max_retries ?? 3)) {
                dropped++; // no dead-letter queue: the round's deadline recovers the work
                continue;
              }
              queue.push({
                ...message,
                attempts: message.attempts + 1,
                availableAt: at + (delaySeconds ?? consumer.retry_delay ?? 0) * 1000 + options.deliveryLatencyMs,
              });
            }
          }),
        );
      }
      if (running.size > 0) {
        await Promise.race([...running, new Promise((resolve) => setTimeout(resolve, 5))]);
        continue;
      }
      // Idle: finished, or skip to the next tick or delivery.
      if (now - lastOpenCheck > 1000 || queue.length === 0) {
        lastOpenCheck = now;
        if (queue.length === 0 && (await open()) === 0) break;
      }
      const next = Math.min(nextTick, queue[0]?.availableAt ?? Number.POSITIVE_INFINITY);
      if (next > virtualNow()) offset += next - virtualNow();
    }
    await Promise.all(running);

    const result = await summarise(
      scenario,
      settings,
      endsAt,
      callsBefore,
      stats,
      via,
      dropped,
      performance.now() - wallStarted,
    );
    // With wake-ups nothing waits for the tick.
    return { ...result, tickWaitMs: settings.EXPIRY_WAKE_UP === "on" ? 0 : tick0 + TICK_MS - endsAt };
  }

  /** A fresh ledger with `due` grants ending at `endsAt`, spread over the lots, their authorisations on the platform. */
  async function prepare(scenario: ExpiryScenario, endsAt: number): Promise<void> {
    await worker.db.batch(
      [
        "DELETE FROM visitor_grants",
        "DELETE FROM grant_audit",
        "DELETE FROM expiry_rounds",
        "DELETE FROM expiry_chunks",
        "DELETE FROM expiry_sightings",
        "DELETE FROM expiry_lots",
      ].map((sql) => worker.db.prepare(sql)),
    );
    const endDate = formatPlatformTime(endsAt, "date");
    const startDate = formatPlatformTime(endsAt - 86_400_000, "date");
    await worker.db
      .prepare(
        `INSERT INTO visitor_grants (id, parking_id, vehicle_code, visitor_name, visitor_phone, reason, lane_nos, starts_at, ends_at,
           starts_at_local, ends_at_local, platform_start_date, platform_end_date, source, source_ref, status, attempts, created_at, updated_at)
         WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?1 - 1)
         SELECT printf('due-%05d', i), 'park' || (1 + i % 3), '浙D' || printf('%05d', i), 'visitor', '13800000000', NULL, NULL,
           ?2 - 86400000, ?2, ?3, ?4, ?5, ?6, 'api', NULL, 'active', 0, ?2 - 86400000, ?2 - 86400000
         FROM n`,
      )
      .bind(
        scenario.due,
        endsAt,
        formatPlatformTime(endsAt - 86_400_000, "second"),
        formatPlatformTime(endsAt, "second"),
        startDate,
        endDate,
      )
      .run();
    for (const lot of LOTS) {
      for (const a of simulator.state.authorisations(lot)) {
        if (a.vehicleCode.startsWith("浙D")) simulator.state.removeAuthorisation(lot, a.vehicleCode);
      }
    }
    for (const [index, lot] of LOTS.entries()) {
      const items = [];
      for (let i = index; i < scenario.due; i += LOTS.length) {
        if (isGone(i)) continue;
        items.push({
          parkingId: lot,
          vehicleCode: plateOf(i),
          vehicleType: isSuperseded(i) ? "1" : "2",
          userName: "visitor",
          userPhoneNumber: "13800000000",
          startTime: startDate,
          endTime: isSuperseded(i) ? formatPlatformTime(endsAt + 300 * 86_400_000, "date") : endDate,
          remark: isSuperseded(i) ? "月租" : `[pb:${idOf(i)}]`,
        });
      }
      simulator.state.putAuthorisations(lot, items);
    }
    if (scenario.warm) {
      // As the lots' last rounds left them (their sizes), so this round plans its scan in full at once.
      await worker.db.batch(
        LOTS.map((lot) =>
          worker.db
            .prepare(
              "INSERT INTO expiry_lots (app_key, parking_id, authorisations, counted_at) VALUES (?1, ?2, ?3, ?4)",
            )
            .bind("demo-app-key", lot, simulator.state.authorisations(lot).length, endsAt - 3_600_000),
        ),
      );
    }
  }

  async function summarise(
    scenario: ExpiryScenario,
    settings: Record<string, string>,
    endsAt: number,
    callsBefore: number,
    stats: InvocationAnswer[],
    via: { cron: number; queue: number },
    dropped: number,
    wallMs: number,
  ): Promise<Omit<ScenarioResult, "tickWaitMs">> {
    const calls = simulator.calls.slice(callsBefore);
    const platformCalls: Record<string, number> = {};
    for (const call of calls) platformCalls[call.operationId] = (platformCalls[call.operationId] ?? 0) + 1;
    const owned = new Set<string>();
    for (let i = 0; i < scenario.due; i++) if (!isSuperseded(i) && !isGone(i)) owned.add(plateOf(i));
    const reached = new Map<string, number>();
    const lateness: number[] = [];
    let wrong = 0;
    for (const call of calls) {
      if (call.operationId !== "deleteVehicle") continue;
      const plate = String((call.body as { vehicleCode?: unknown }).vehicleCode);
      const acted = call.code === 0 || (call.code === 1 && /车辆不存在/.test(call.msg ?? ""));
      if (acted) reached.set(plate, (reached.get(plate) ?? 0) + 1);
      if (call.code !== 0) continue;
      if (!owned.has(plate)) wrong++;
      lateness.push((call.answeredAt ?? call.at) - endsAt);
    }
    const rows = await worker.db
      .prepare(
        `SELECT status, count(*) AS n, max(updated_at) AS last FROM visitor_grants WHERE id LIKE 'due-%' GROUP BY status`,
      )
      .all<{ status: string; n: number; last: number }>();
    const byStatus = Object.fromEntries(rows.results.map((r) => [r.status, r]));
    const gone = await worker.db
      .prepare("SELECT count(*) AS n FROM grant_audit WHERE action = 'expired_already_gone' AND grant_id LIKE 'due-%'")
      .first<{ n: number }>();
    const open = (byStatus.active?.n ?? 0) + (byStatus.pending?.n ?? 0);
    const last = Math.max(...rows.results.map((r) => r.last));
    return {
      scenario,
      settings: scenario.profile === "before" ? { ...settings, EXPIRY: "(not bound)" } : settings,
      consumer,
      revoked: lateness.length,
      lateness: {
        p50: percentile(lateness, 50),
        p99: percentile(lateness, 99),
        max: lateness.length ? Math.max(...lateness) : Number.NaN,
      },
      superseded: byStatus.superseded?.n ?? 0,
      alreadyGone: gone?.n ?? 0,
      open,
      allClosedAfterMs: open === 0 ? last - endsAt : undefined,
      platformCalls,
      invocations: via,
      peaks: {
        subrequests: Math.max(0, ...stats.map((s) => s.subrequests)),
        d1Queries: Math.max(0, ...stats.map((s) => s.d1Queries)),
        services: Math.max(0, ...stats.map((s) => s.services)),
      },
      violations: stats.flatMap((s) => (s.violation ? [s.violation] : [])),
      errors: [...new Set(stats.flatMap((s) => (s.error ? [s.error] : [])))].slice(0, 5),
      wrongRevocations: wrong,
      secondDeletes: [...reached.values()].filter((n) => n > 1).length,
      droppedMessages: dropped,
      wallSeconds: wallMs / 1000,
    };
  }
}
