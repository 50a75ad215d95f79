/**
 * Runs a Worker the way workerd runs it in production, from Node: bundled with esbuild, loaded
 * into Miniflare with real (in-memory) D1, KV and a queue producer, migrations applied. Shared
 * by the benchmarks and the end-to-end soak test, so both measure the same thing.
 */
import { readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { readD1Migrations } from "@cloudflare/vitest-plugin";
import { build, type Plugin } from "esbuild";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare, type V4MiniflareOptions } from "miniflare";

/** Miniflare's D1 binding type (workers-types), as seen from Node. */
export type D1Database = Awaited<ReturnType<Miniflare["getD1Database"]>>;

export const ROOT = path.resolve(import.meta.dirname, "../..");

const wranglerToml = readFileSync(path.join(ROOT, "wrangler.toml"), "utf8");

/**
 * wrangler.toml's `[alias]` table ("import path" = "replacement", one a line), applied the way
 * wrangler applies it: an import whose path is exactly a key resolves to the replacement, resolved
 * from the project root. It keeps zod's locales to English (shared/src/util/zod-locales-en.ts).
 */
function wranglerAliases(): Plugin {
  const aliases = new Map<string, string>();
  let inAlias = false;
  for (const line of wranglerToml.split("\n")) {
    if (/^\s*\[/.test(line)) inAlias = /^\s*\[alias\]\s*(#.*)?$/.test(line);
    const entry = inAlias ? /^\s*"([^"]+)"\s*=\s*"([^"]+)"/.exec(line) : null;
    if (entry) aliases.set(entry[1] as string, entry[2] as string);
  }
  const resolveFromRoot = createRequire(path.join(ROOT, "package.json")).resolve;
  const escaped = [...aliases.keys()].map((key) => `^${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);
  return {
    name: "wrangler-alias",
    setup(b) {
      if (aliases.size === 0) return;
      b.onResolve({ filter: new RegExp(escaped.join("|")) }, (args) => {
        const to = aliases.get(args.path);
        return to ? { path: resolveFromRoot(to) } : undefined;
      });
    },
  };
}

/** How a Worker is bundled for workerd (as wrangler does): shared by the harness and the bundle benchmark. */
export const WORKER_BUILD = {
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  conditions: ["workerd", "worker", "browser", "import"],
  mainFields: ["module", "main"],
  external: ["cloudflare:*", "node:*"],
  plugins: [wranglerAliases()],
  logLevel: "error",
} as const satisfies import("esbuild").BuildOptions;
/** The Worker's compatibility date and flags, as the root wrangler.toml sets them (the lines are simple). */
export const COMPATIBILITY_DATE = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(wranglerToml)?.[1] ?? "2026-08-22";
export const COMPATIBILITY_FLAGS = [
  ...(/^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(wranglerToml)?.[1] ?? "").matchAll(/"([^"]+)"/g),
].map((m) => m[1] as string);
/** Bundles are minified when wrangler.toml says so (as `wrangler deploy` would). */
const MINIFY = /^minify\s*=\s*true/m.test(wranglerToml);

/** Bundles a Worker entry (TypeScript) to one ES module; returns its path. */
export async function bundleWorker(entry: string, outdir: string, name = "worker"): Promise<string> {
  await mkdir(outdir, { recursive: true });
  const outfile = path.join(outdir, `${name}.mjs`);
  await build({
    entryPoints: [entry],
    outfile,
    ...WORKER_BUILD,
    minify: MINIFY,
  });
  return outfile;
}

export interface WorkerOptions {
  scriptPath: string;
  bindings?: Record<string, string>;
  /** Listen on loopback (port 0 = ephemeral) for real HTTP clients; otherwise dispatchFetch only. */
  port?: number;
  /** Run the Worker's own queue consumer (event delivery). */
  queueConsumer?: boolean;
  /** Bind the reconciliation's queue (`RECORDS`) with the Worker's own consumer of it. */
  recordsQueue?: boolean;
  /** Every line the Worker logs (console.*), for tests that inspect logs. */
  onLog?: (line: string) => void;
  /** Apply migrations/ to the D1 database (default true). */
  migrate?: boolean;
  /** Flags on top of wrangler.toml's (a harness around the Worker may need one the Worker does not). */
  extraCompatibilityFlags?: string[];
}

export interface RunningWorker {
  mf: Miniflare;
  url: URL;
  db: D1Database;
  close(): Promise<void>;
}

/** Miniflare options shared by every Worker in the benchmarks: the Worker's and the baseline's are the same. */
export function miniflareOptions(options: WorkerOptions): V4MiniflareOptions {
  const queue = "parkbridge-deliveries";
  return {
    modules: true,
    scriptPath: options.scriptPath,
    modulesRoot: path.dirname(options.scriptPath),
    // No network: never fetch the `cf` object from Cloudflare.
    cf: false,
    compatibilityDate: COMPATIBILITY_DATE,
    compatibilityFlags: [...COMPATIBILITY_FLAGS, ...(options.extraCompatibilityFlags ?? [])],
    host: "127.0.0.1",
    port: options.port ?? 0,
    d1Databases: { DB: "parkbridge-db" },
    kvNamespaces: { LIVE: "parkbridge-live" },
    queueProducers: {
      DELIVERIES: { queueName: queue },
      ...(options.recordsQueue ? { RECORDS: { queueName: "parkbridge-records" } } : {}),
    },
    queueConsumers: {
      ...(options.queueConsumer ? { [queue]: { maxBatchSize: 10, maxBatchTimeout: 0.05, maxRetries: 20 } } : {}),
      ...(options.recordsQueue
        ? { "parkbridge-records": { maxBatchSize: 1, maxBatchTimeout: 0.05, maxRetries: 3, retryDelay: 0 } }
        : {}),
    },
    // The cron does not read the platform's records unless a run asks (RECONCILE: "on"): the
    // benchmarks of other parts count every platform call and D1 statement of a cron invocation.
    bindings: { RECONCILE: "off", ...options.bindings },
    log: new Log(LogLevel.WARN),
    ...(options.onLog ? { handleStructuredLogs: (log: { message: string }) => options.onLog?.(log.message) } : {}),
  };
}

export async function applyMigrations(db: D1Database): Promise<void> {
  for (const migration of await readD1Migrations(path.join(ROOT, "migrations"))) {
    await db.batch(migration.queries.map((query) => db.prepare(query)));
  }
}

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  // Miniflare 5 takes the v4 option shape through its converter.
  const mf = new Miniflare(convertV4MiniflareOptions(miniflareOptions(options)));
  const url = await mf.ready;
  const db = await mf.getD1Database("DB");
  if (options.migrate !== false) await applyMigrations(db);
  return { mf, url, db, close: () => mf.dispose() };
}

/** A `[[queues.consumers]]` block of wrangler.toml (its simple `key = number` lines), by queue name. */
export function queueConsumerSettings(queue: string): Record<string, number> {
  const blocks = wranglerToml.split(/^\[\[queues\.consumers\]\]\s*$/m).slice(1);
  for (const block of blocks) {
    const body = block.split(/^\[/m)[0] ?? "";
    if (!new RegExp(`^queue\\s*=\\s*"${queue}"`, "m").test(body)) continue;
    const settings: Record<string, number> = {};
    for (const [, key, value] of body.matchAll(/^(\w+)\s*=\s*(\d+)\s*$/gm)) settings[key as string] = Number(value);
    return settings;
  }
  throw new Error(`wrangler.toml has no consumer of ${queue}`);
}

/** wrangler.toml's `[vars]` (the defaults a deployment starts from). */
export function wranglerVars(): Record<string, string> {
  const body = wranglerToml.split(/^\[vars\]\s*$/m)[1]?.split(/^\[/m)[0] ?? "";
  return Object.fromEntries(
    [...body.matchAll(/^(\w+)\s*=\s*"([^"]*)"/gm)].map((m) => [m[1] as string, m[2] as string]),
  );
}
