/**
 * The real Worker for end-to-end tests: `wrangler dev` (workerd, local D1/KV/Queues) on a free
 * loopback port, with its own temporary storage and the migrations applied, in its own process
 * group so that stopping it stops workerd too.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort, waitUntil } from "./ports.js";

export const repoRoot = path.resolve(import.meta.dirname, "../../..");
const wrangler = path.join(repoRoot, "node_modules", ".bin", "wrangler");

/** wrangler without telemetry or prompts. */
export const quietWranglerEnv = {
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  CI: "1",
  NO_COLOR: "1",
};

export interface RunningWorker {
  url: string;
  port: number;
  /** Everything wrangler printed so far (for failure messages). */
  output: () => string;
  stop: () => Promise<void>;
}

export interface StartWorkerOptions {
  /** `--var NAME:value` each; these override wrangler.toml and any .dev.vars. */
  vars: Record<string, string>;
  timeoutMs?: number;
}

/** Resolves when the process has exited (immediately if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** SIGTERM to the child's whole process group, SIGKILL after `graceMs`. */
export async function stopGroup(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (!child.pid) return;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-(child.pid as number), signal);
    } catch {
      // the group is gone
    }
  };
  signalGroup("SIGTERM");
  const timer = setTimeout(() => signalGroup("SIGKILL"), graceMs);
  await exited(child);
  clearTimeout(timer);
  // workerd may outlive wrangler for a moment: make sure nothing of the group survives.
  signalGroup("SIGKILL");
}

export async function startWorker(options: StartWorkerOptions): Promise<RunningWorker> {
  const persistTo = mkdtempSync(path.join(tmpdir(), "parkbridge-e2e-"));
  const env = { ...process.env, ...quietWranglerEnv };
  const migrate = spawnSync(
    wrangler,
    ["d1", "migrations", "apply", "parkbridge", "--local", "--persist-to", persistTo],
    {
      cwd: repoRoot,
      env,
      encoding: "utf8",
    },
  );
  if (migrate.status !== 0) {
    throw new Error(
      `wrangler d1 migrations apply failed (exit ${migrate.status}):\n${migrate.stdout}\n${migrate.stderr}`,
    );
  }

  const port = await freePort();
  const args = [
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--persist-to",
    persistTo,
    "--show-interactive-dev-session=false",
    "--test-scheduled",
    // Local development: the tests' subscribers (and a local n8n) listen on loopback.
    ...Object.entries({ ALLOW_LOOPBACK_SUBSCRIBERS: "on", ...options.vars }).flatMap(([name, value]) => [
      "--var",
      `${name}:${value}`,
    ]),
  ];
  const child = spawn(wrangler, args, { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });

  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopGroup(child);
    rmSync(persistTo, { recursive: true, force: true });
  };
  try {
    await waitUntil(
      "the Worker's /healthz",
      async () => {
        if (child.exitCode !== null) throw new Error(`wrangler dev exited (${child.exitCode}):\n${output}`);
        return (await fetch(`${url}/healthz`)).ok;
      },
      options.timeoutMs ?? 90_000,
    );
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n--- wrangler output ---\n${output}`);
  }
  return { url, port, output: () => output, stop };
}
