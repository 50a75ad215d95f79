/**
 * Reads that do not slow down as history grows (issue 16). Two copies of the Worker in Miniflare
 * (workerd, local D1), one holding `small` events, the other 100 times as many, both spread over
 * the same 90 days across the same lots, with deliveries and visitor grants for every tenth event.
 * Each read route (first pages, lot, plate and event filters, cursor pages 45 days back) and the
 * status page is asked of both in turn over HTTP; the headline is the ratio large / small (target
 * ≤ 1.2×). In the same run, the cursor condition the routes used before (`t < ? OR (t = ? AND id < ?)`)
 * is timed against the row value they use now, straight on the large database: the baseline the
 * fix is measured against. Every statement's query plan is read with EXPLAIN QUERY PLAN.
 */
import os from "node:os";
import path from "node:path";
import { encodeCursor } from "../workers/src/lib/cursor.js";
import { insertDeliveriesAndGrants, insertHistory, lotOf, plateOf } from "./lib/history.js";
import { median } from "./lib/stats.js";
import { bundleWorker, type D1Database, ROOT, type RunningWorker, startWorker } from "./lib/worker.js";

export interface ReadOptions {
  small: number;
  /** Times as many events in the large history (100 for the 10,000 against 1,000,000). */
  factor: number;
  repetitions: number;
  /** Requests per route per repetition (their median is the repetition's figure). */
  requests: number;
}

export interface RouteFigures {
  name: string;
  path: string;
  smallMs: number[];
  largeMs: number[];
}

export interface PlanFigure {
  name: string;
  plan: string[];
  /** Every table is read through an index (a SEARCH), never a SCAN. */
  indexed: boolean;
  /** Rows SQLite read for the statement (D1's meta.rows_read) on the small and the large history. */
  rowsRead: { small: number; large: number };
}

/** One way of reading the deep page, as D1 reports it (meta.duration and meta.rows_read). */
export interface FormFigures {
  sqlMs: number[];
  rowsRead: number;
}

export interface ReadResult {
  options: ReadOptions;
  seedSeconds: { small: number; large: number };
  routes: RouteFigures[];
  /** The deep cursor page on the large history: the old OR condition against the row value. */
  cursorForms: { or: FormFigures; rowValue: FormFigures; rows: number };
  plans: PlanFigure[];
}

const TOKEN = "bench-read-token";
const SPAN_DAYS = 90;
const LOTS = 50;
const DAY = 86_400_000;

interface History {
  worker: RunningWorker;
  tag: string;
  endMs: number;
}

/** Passes in the last hours, the same in both histories: today's traffic does not depend on how long history is. */
const RECENT = { count: 3_000, hours: 6.5 };

async function seed(worker: RunningWorker, tag: string, count: number, endMs: number): Promise<number> {
  const started = performance.now();
  const recentFrom = endMs - RECENT.hours * 3_600_000;
  await insertHistory(worker.db, {
    tag,
    count,
    lots: LOTS,
    spanDays: SPAN_DAYS,
    endIso: new Date(recentFrom - 60_000).toISOString(),
    // Each plate passes 100 times in either history: a plate's first page is as full in both.
    plates: Math.max(1, Math.floor(count / 100)),
  });
  await insertHistory(worker.db, {
    tag: `${tag}-now`,
    lotTag: tag,
    count: RECENT.count,
    lots: LOTS,
    spanDays: RECENT.hours / 24,
    endIso: new Date(endMs).toISOString(),
    plates: 1_000,
  });
  await insertDeliveriesAndGrants(worker.db, tag, count, 10);
  return (performance.now() - started) / 1000;
}

/** The routes, as paths for one history (a lot, a plate and cursors 45 days back that exist in both). */
function routesOf(history: History): Array<{ name: string; path: string }> {
  const deepMs = history.endMs - 45 * DAY;
  const deepIso = new Date(deepMs).toISOString();
  // The cursor of a row that sorts just after every row of that instant: a page starting 45 days back.
  const eventsCursor = encodeCursor({ at: deepIso, id: "~" });
  const grantsCursor = encodeCursor({ at: deepMs, id: "~" });
  const lot = encodeURIComponent(lotOf(history.tag, 7));
  const plate = encodeURIComponent(plateOf(42));
  return [
    { name: "events, first page", path: "/api/events?limit=50" },
    { name: "events of a lot, first page", path: `/api/events?parkingId=${lot}&limit=50` },
    { name: "events of a plate, first page", path: `/api/events?vehicleCode=${plate}&limit=50` },
    { name: "events of a type, first page", path: "/api/events?type=vehicleAccess&limit=50" },
    { name: "events, cursor page 45 days back", path: `/api/events?limit=50&cursor=${eventsCursor}` },
    {
      name: "events of a lot, cursor page 45 days back",
      path: `/api/events?parkingId=${lot}&limit=50&cursor=${eventsCursor}`,
    },
    { name: "deliveries, first page", path: "/api/deliveries?limit=50" },
    { name: "deliveries, cursor page 45 days back", path: `/api/deliveries?limit=50&cursor=${eventsCursor}` },
    { name: "visitor grants, first page", path: "/api/visitor-grants?status=expired&limit=50" },
    {
      name: "visitor grants, cursor page 45 days back",
      path: `/api/visitor-grants?status=expired&limit=50&cursor=${grantsCursor}`,
    },
    {
      name: "visitor grants of a lot, cursor page 45 days back",
      path: `/api/visitor-grants?parkingId=${lot}&limit=50&cursor=${grantsCursor}`,
    },
    { name: "status page (6 h window, every lot's chart)", path: "/?hours=6&refresh=0" },
  ];
}

async function timeRequest(base: URL, route: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(new URL(route, base), { headers: { authorization: `Bearer ${TOKEN}` } });
  const body = await response.text();
  const ms = performance.now() - started;
  if (response.status !== 200)
    throw new Error(`read bench: ${route} answered ${response.status}: ${body.slice(0, 200)}`);
  return ms;
}

/** `count` requests of a route to each history, interleaved one by one (who goes first alternates): medians. */
async function timeBoth(
  small: URL,
  large: URL,
  route: string,
  count: number,
): Promise<{ small: number; large: number }> {
  const times = { small: [] as number[], large: [] as number[] };
  for (let i = 0; i < count; i++) {
    for (const which of i % 2 ? (["large", "small"] as const) : (["small", "large"] as const)) {
      times[which].push(await timeRequest(which === "small" ? small : large, route));
    }
  }
  return { small: median(times.small), large: median(times.large) };
}

/** The same deep page two ways, straight on D1: the condition before (OR) and the row value (now). */
async function cursorForms(db: D1Database, endMs: number, repetitions: number): Promise<ReadResult["cursorForms"]> {
  const at = new Date(endMs - 45 * DAY).toISOString();
  const statements = {
    or: db.prepare(
      "SELECT * FROM events WHERE (received_at < ?1 OR (received_at = ?1 AND id < ?2)) ORDER BY received_at DESC, id DESC LIMIT 51",
    ),
    rowValue: db.prepare(
      "SELECT * FROM events WHERE (received_at, id) < (?1, ?2) ORDER BY received_at DESC, id DESC LIMIT 51",
    ),
  };
  const result: ReadResult["cursorForms"] = {
    or: { sqlMs: [], rowsRead: 0 },
    rowValue: { sqlMs: [], rowsRead: 0 },
    rows: 0,
  };
  for (let rep = 0; rep < repetitions; rep++) {
    for (const form of rep % 2 ? (["rowValue", "or"] as const) : (["or", "rowValue"] as const)) {
      const { results, meta } = await statements[form].bind(at, "~").all();
      result.rows = results.length;
      result[form].sqlMs.push(meta.duration);
      result[form].rowsRead = (meta as { rows_read?: number }).rows_read ?? Number.NaN;
    }
  }
  return result;
}

/**
 * The statements the list routes build (api/events.ts, delivery/deliveries.ts,
 * visitors/repository.ts), with a cursor and each filter, as EXPLAIN QUERY PLAN reads them.
 */
async function plans(db: D1Database, history: History, smallDb: D1Database): Promise<PlanFigure[]> {
  const at = new Date(history.endMs - 45 * DAY).toISOString();
  const atMs = history.endMs - 45 * DAY;
  const statements: Array<[string, string, unknown[]]> = [
    [
      "baseline: events, cursor, the OR form used before",
      "SELECT * FROM events WHERE (received_at < ?1 OR (received_at = ?1 AND id < ?2)) ORDER BY received_at DESC, id DESC LIMIT 51",
      [at, "~"],
    ],
    [
      "events, cursor",
      "SELECT * FROM events WHERE (received_at, id) < (?, ?) ORDER BY received_at DESC, id DESC LIMIT 51",
      [at, "~"],
    ],
    [
      "events of a lot, cursor",
      "SELECT * FROM events WHERE parking_id = ? AND (received_at, id) < (?, ?) ORDER BY received_at DESC, id DESC LIMIT 51",
      [lotOf(history.tag, 7), at, "~"],
    ],
    [
      "events of a plate, cursor",
      "SELECT * FROM events WHERE vehicle_code = ? AND (received_at, id) < (?, ?) ORDER BY received_at DESC, id DESC LIMIT 51",
      [plateOf(42), at, "~"],
    ],
    [
      "events of a type, cursor",
      "SELECT * FROM events WHERE event = ? AND (received_at, id) < (?, ?) ORDER BY received_at DESC, id DESC LIMIT 51",
      ["vehicleAccess", at, "~"],
    ],
    [
      "deliveries, cursor",
      "SELECT d.*, e.event FROM deliveries d JOIN events e ON e.id = d.event_id WHERE (d.created_at, d.id) < (?, ?) ORDER BY d.created_at DESC, d.id DESC LIMIT 51",
      [at, "~"],
    ],
    [
      "visitor grants by status, cursor",
      "SELECT * FROM visitor_grants WHERE status = ?1 AND (created_at, id) < (?2, ?3) ORDER BY created_at DESC, id DESC LIMIT ?4",
      ["expired", atMs, "~", 51],
    ],
    [
      "visitor grants of a lot, cursor",
      "SELECT * FROM visitor_grants WHERE parking_id = ?1 AND (created_at, id) < (?2, ?3) ORDER BY created_at DESC, id DESC LIMIT ?4",
      [lotOf(history.tag, 7), atMs, "~", 51],
    ],
    [
      "held callbacks, every status, cursor",
      "SELECT * FROM held_callbacks WHERE (received_at, id) < (?, ?) ORDER BY received_at DESC, id DESC LIMIT 51",
      [at, "~"],
    ],
  ];
  const figures: PlanFigure[] = [];
  for (const [name, sql, binds] of statements) {
    const { results } = await db
      .prepare(`EXPLAIN QUERY PLAN ${sql}`)
      .bind(...binds)
      .all<{ detail: string }>();
    const plan = results.map((row) => row.detail);
    const rowsRead = async (on: D1Database) =>
      (
        (
          await on
            .prepare(sql)
            .bind(...binds)
            .all()
        ).meta as { rows_read?: number }
      ).rows_read ?? Number.NaN;
    figures.push({
      name,
      plan,
      rowsRead: { small: await rowsRead(smallDb), large: await rowsRead(db) },
      indexed:
        plan.every((step) => !/^SCAN /.test(step) || /USING (COVERING )?INDEX/.test(step)) &&
        plan.some((step) => /^SEARCH .* USING (COVERING )?INDEX/.test(step)),
    });
  }
  return figures;
}

export async function runReadBench(options: ReadOptions, log: (line: string) => void): Promise<ReadResult> {
  const outdir = path.join(os.tmpdir(), `parkbridge-bench-${process.pid}`);
  const script = await bundleWorker(path.join(ROOT, "workers/src/index.ts"), outdir, "parkbridge-read");
  const bindings = {
    PLATFORM_BASE_URL: "http://127.0.0.1:9",
    PLATFORM_APP_KEY: "k",
    PLATFORM_APP_SECRET: "s",
    ADMIN_TOKEN: TOKEN,
  };
  const endMs = Date.now() - 60_000;
  const small: History = { worker: await startWorker({ scriptPath: script, bindings }), tag: "read", endMs };
  const large: History = { worker: await startWorker({ scriptPath: script, bindings }), tag: "read", endMs };
  try {
    const seedSeconds = {
      small: await seed(small.worker, small.tag, options.small, endMs),
      large: await seed(large.worker, large.tag, options.small * options.factor, endMs),
    };
    log(
      `read: seeded ${options.small} and ${options.small * options.factor} events in ${seedSeconds.small.toFixed(0)} s and ${seedSeconds.large.toFixed(0)} s`,
    );
    const routes: RouteFigures[] = routesOf(small).map((r) => ({ ...r, smallMs: [], largeMs: [] }));
    // Warm both (the isolate, D1's page cache) before timing.
    for (const route of routes) await timeBoth(small.worker.url, large.worker.url, route.path, 3);
    for (let rep = 0; rep < options.repetitions; rep++) {
      for (const route of routes) {
        const figures = await timeBoth(small.worker.url, large.worker.url, route.path, options.requests);
        route.smallMs.push(figures.small);
        route.largeMs.push(figures.large);
      }
      log(`read: repetition ${rep + 1} of ${options.repetitions}`);
    }
    const forms = await cursorForms(large.worker.db, endMs, options.repetitions * 3);
    const planFigures = await plans(large.worker.db, large, small.worker.db);
    return { options, seedSeconds, routes, cursorForms: forms, plans: planFigures };
  } finally {
    await small.worker.close();
    await large.worker.close();
  }
}

export const readRatio = (route: RouteFigures) => median(route.largeMs) / median(route.smallMs);

/** The read benchmark's section of docs/benchmarks.md, and its headline rows. */
export function renderRead(result: ReadResult, push: (...lines: string[]) => void, headline: string[]): void {
  const n = (value: number, digits = 1) =>
    value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const large = result.options.small * result.options.factor;
  const worst = Math.max(...result.routes.map(readRatio));
  const allIndexed = result.plans.every((p) => p.indexed);
  // Rows read is what D1 bills and what a deep page costs; unlike times it is not noise.
  const rowsRatio = Math.max(...result.plans.map((p) => p.rowsRead.large / Math.max(p.rowsRead.small, 1)));
  headline.push(
    `| Read routes and the status page at ${large.toLocaleString("en-US")} events vs ${result.options.small.toLocaleString("en-US")} (worst route) | ≤ 1.20× | ${worst.toFixed(2)}× | ${worst <= 1.2 ? "met" : "**not met**"} |`,
    `| Rows read by each list statement with a cursor, large / small history (worst) | ≤ 1.20× | ${rowsRatio.toFixed(2)}× | ${rowsRatio <= 1.2 ? "met" : "**not met**"} |`,
    `| Every list statement's plan a SEARCH on an index | all | ${result.plans.filter((p) => p.indexed).length} of ${result.plans.length} | ${allIndexed ? "met" : "**not met**"} |`,
  );
  const { or, rowValue } = result.cursorForms;
  push(
    "## Reads as history grows",
    "",
    `Two Workers in Miniflare, one with ${result.options.small.toLocaleString("en-US")} events and one with ${large.toLocaleString("en-US")}, both over the same ${SPAN_DAYS} days and ${LOTS} lots.`,
    `Both end with the same ${RECENT.count.toLocaleString("en-US")} passes in the last ${RECENT.hours} hours: today's traffic does not grow with the history.`,
    "Each has deliveries and expired visitor grants for every tenth older event. Each route is asked of both in turn, over HTTP.",
    `A figure is the median of ${result.options.requests} requests to each, interleaved one by one; the table gives the median of ${result.options.repetitions} repetitions.`,
    `Seeding took ${n(result.seedSeconds.small, 0)} s and ${n(result.seedSeconds.large, 0)} s (one INSERT … SELECT per table and chunk, through the real triggers).`,
    "",
    "| route | small, ms | large, ms | large / small |",
    "|---|---:|---:|---:|",
    ...result.routes.map(
      (r) => `| ${r.name} | ${n(median(r.smallMs), 2)} | ${n(median(r.largeMs), 2)} | ${readRatio(r).toFixed(2)}× |`,
    ),
    "",
    `The baseline, in the same run: the cursor page 45 days back on the large history, straight on D1 (${result.cursorForms.rows} rows).`,
    "The condition the routes used before reads every newer row and filters it; the row value reads one index range.",
    "",
    "| cursor condition | rows read (D1's meta.rows_read) |",
    "|---|---:|",
    `| \`received_at < ? OR (received_at = ? AND id < ?)\` (before) | ${or.rowsRead.toLocaleString("en-US")} |`,
    `| \`(received_at, id) < (?, ?)\` (now, lib/cursor.ts \`olderThan\`) | ${rowValue.rowsRead.toLocaleString("en-US")} |`,
    "",
    "On this SQLite (workerd's local D1) the planner turns the OR form into an index range too: the 8.7× the issue measured does not reproduce here.",
    "The row value is one range on any SQLite since 3.15, whatever the planner's rewrites; local D1 reports no statement time (meta.duration is 0).",
    "",
    "Query plans (EXPLAIN QUERY PLAN) of the list statements with a cursor, on the large history:",
    "",
    "| statement | plan | index range | rows read, small | rows read, large |",
    "|---|---|---|---:|---:|",
    ...result.plans.map(
      (p) =>
        `| ${p.name} | ${p.plan.join("; ").replaceAll("|", "\\|")} | ${p.indexed ? "yes" : "**no**"} | ${p.rowsRead.small} | ${p.rowsRead.large} |`,
    ),
    "",
  );
}
