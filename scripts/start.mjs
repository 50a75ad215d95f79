#!/usr/bin/env node
// `npm start`: the whole product on this machine, offline. Installs if needed, creates
// .dev.vars from the example, applies the D1 migrations locally, starts the platform
// simulator (8788) and the edge Worker under `wrangler dev` (8787, embedded D1/KV, cron
// triggerable), lets the simulator drive signed callbacks into it, and stops all of it on
// Ctrl-C, SIGTERM or SIGHUP, and when its parent goes: npm does not pass SIGTERM on, so a
// process manager stopping `npm start` ends npm alone. Its children run in process groups of
// their own (stopping one stops what it started); should this script be killed outright,
// scripts/reaper.mjs stops them. Plain JavaScript that runs on Node 20 too: it may be what
// installs Node 24.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => path.join(root, "node_modules", ".bin", name);
const env = { ...process.env, PATH: `${path.join(root, "node_modules", ".bin")}${path.delimiter}${process.env.PATH}` };

const WORKER_PORT = Number(process.env.PARKBRIDGE_WORKER_PORT ?? 8787);
const SIMULATOR_PORT = Number(process.env.PARKBRIDGE_SIMULATOR_PORT ?? 8788);
const TRAFFIC_PER_SECOND = process.env.PARKBRIDGE_TRAFFIC_PER_SECOND ?? "0.5";
const workerUrl = `http://127.0.0.1:${WORKER_PORT}`;
const simulatorUrl = `http://127.0.0.1:${SIMULATOR_PORT}`;
// Ebopark's reports: the simulator appends the report id (…/vehicleEntry) and signs as demo-partner.
const eboparkReportUrl = `${workerUrl}/callbacks/ebopark`;

const children = [];
let stopping = false;
/** The reaper's stdin (scripts/reaper.mjs), once started. */
let reaper;
/** When this process handed over to the project's Node 24: the process doing the work. */
let handedOver;

function log(message) {
  process.stdout.write(`[parkbridge] ${message}\n`);
}

function fail(message) {
  process.stderr.write(`[parkbridge] ${message}\n`);
  void stop(1);
}

function run(command, args, label) {
  log(`${label}: ${command} ${args.join(" ")}`);
  const result = spawnSync(command, args, { cwd: root, env, stdio: ["ignore", "inherit", "inherit"] });
  if (result.status !== 0) {
    process.stderr.write(`[parkbridge] ${label} failed (exit ${result.status})\n`);
    process.exit(result.status ?? 1);
  }
}

/** The D1 migrations, applied locally. wrangler prints its table again after each one: only the last is shown. */
function applyMigrations() {
  const args = ["d1", "migrations", "apply", "parkbridge", "--local"];
  log(`applying D1 migrations (local): wrangler ${args.join(" ")}`);
  // No stdin: `wrangler d1 migrations apply` would otherwise stop at a "continue? (Y/n)" prompt.
  const result = spawnSync(bin("wrangler"), args, {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
  });
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;
  if (result.status !== 0) {
    process.stderr.write(output);
    process.stderr.write(`[parkbridge] applying D1 migrations failed (exit ${result.status})\n`);
    process.exit(result.status ?? 1);
  }
  const tables = output.match(/┌[\s\S]*?┘/g);
  if (/No migrations to apply/i.test(output)) log("D1 migrations: all applied already");
  else if (tables) process.stdout.write(`${tables.at(-1)}\n`);
  else process.stdout.write(output);
}

/** The reaper (scripts/reaper.mjs): in a group of its own, so nothing sent to this one's group ends it. */
function startReaper() {
  const child = spawn(process.execPath, [path.join(root, "scripts", "reaper.mjs")], {
    cwd: root,
    stdio: ["pipe", "ignore", "inherit"],
    detached: true,
  });
  child.unref();
  child.stdin.on("error", () => {}); // it may be gone first
  reaper = child.stdin;
  reaper.unref?.();
}

/** Starts a long-running child in its own process group, so stopping it stops its children too. */
function startChild(label, command, args, extraEnv = {}) {
  const child = spawn(command, args, {
    cwd: root,
    env: { ...env, ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  reaper?.write(`group ${child.pid}\n`);
  const prefix = (stream, out) => {
    let buffered = "";
    stream.on("data", (chunk) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) out.write(`[${label}] ${line}\n`);
    });
  };
  prefix(child.stdout, process.stdout);
  prefix(child.stderr, process.stderr);
  child.on("exit", (code, signal) => {
    if (!stopping) fail(`${label} exited unexpectedly (${signal ?? `exit ${code}`})`);
  });
  children.push({ label, child });
  return child;
}

function portFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.once("listening", () => server.close(() => resolve(true)));
    server.listen(port, "127.0.0.1");
  });
}

async function waitFor(url, label, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (stopping) return;
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  fail(`${label} did not answer at ${url} within ${timeoutMs / 1000} s`);
}

async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  log("stopping…");
  for (const { child } of children.reverse()) {
    if (child.exitCode === null && child.pid) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
  }
  const deadline = Date.now() + 5000;
  while (children.some(({ child }) => child.exitCode === null && child.signalCode === null) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  for (const { child } of children) {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  reaper?.end("done\n");
  log("stopped; ports freed.");
  process.exit(code);
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    if (handedOver) handedOver.kill(signal);
    else void stop(0);
  });
}

// npm (or whoever started this) gone: this process was re-parented. Stop, as for SIGTERM.
const parentAtStart = process.ppid;
setInterval(() => {
  if (process.ppid === parentAtStart) return;
  if (handedOver) handedOver.kill("SIGTERM");
  else if (!stopping) {
    log("the process that started npm start is gone: stopping");
    void stop(0);
  }
}, 500).unref();

async function main() {
  if (!existsSync(bin("wrangler")) || !existsSync(bin("tsx"))) {
    run("npm", ["install", "--no-audit", "--no-fund"], "installing dependencies");
  }
  // npm runs this script with node_modules/.bin first on PATH; when it ran the install
  // itself under an older system Node, hand over to the project's Node 24.
  if (Number(process.versions.node.split(".")[0]) < 22 && existsSync(bin("node"))) {
    // Not spawnSync: this process keeps passing signals (and its parent's end) on while it waits.
    handedOver = spawn(bin("node"), process.argv.slice(1), { stdio: "inherit", env });
    handedOver.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
    return;
  }

  if (!existsSync(path.join(root, ".dev.vars"))) {
    copyFileSync(path.join(root, ".dev.vars.example"), path.join(root, ".dev.vars"));
    log("created .dev.vars from .dev.vars.example (local demo secrets)");
  }

  for (const [port, what] of [
    [WORKER_PORT, "the Worker"],
    [SIMULATOR_PORT, "the simulator"],
  ]) {
    if (!(await portFree(port))) {
      process.stderr.write(`[parkbridge] port ${port} (for ${what}) is in use: stop what holds it and try again.\n`);
      process.exit(1);
    }
  }

  applyMigrations();

  startReaper();
  startChild("simulator", bin("tsx"), [
    "simulator/src/cli.ts",
    "--port",
    String(SIMULATOR_PORT),
    "--callback-url",
    `${workerUrl}/callbacks`,
    "--ebopark-report-url",
    eboparkReportUrl,
  ]);
  await waitFor(`${simulatorUrl}/__sim/state`, "the simulator");

  startChild("worker", bin("wrangler"), [
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(WORKER_PORT),
    "--test-scheduled",
    "--show-interactive-dev-session=false",
    "--var",
    `PLATFORM_BASE_URL:${simulatorUrl}`,
    "--var",
    `EBOPARK_PARTNER_BASE_URL:${simulatorUrl}`,
    "--var",
    `EBOPARK_UMP_BASE_URL:${simulatorUrl}`,
    // A local n8n (http://localhost:5678) may subscribe: this is a local development.
    "--var",
    "ALLOW_LOOPBACK_SUBSCRIBERS:on",
  ]);
  await waitFor(`${workerUrl}/healthz`, "the Worker");
  if (stopping) return;

  // Only now that the Worker answers does the simulator start sending callbacks
  // (--traffic-rate on its command line would start them at once). A rate of 0: no traffic.
  const rate = Number(TRAFFIC_PER_SECOND);
  // Both platforms' lots: the open platform's callbacks and Ebopark's reports.
  if (rate > 0) {
    for (const traffic of ["traffic", "ebopark/traffic"]) {
      await fetch(`${simulatorUrl}/__sim/${traffic}/start`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ rate }),
      });
    }
  }

  const devVars = readFileSync(path.join(root, ".dev.vars"), "utf8");
  const token = /^ADMIN_TOKEN=(.*)$/m.exec(devVars)?.[1]?.trim() || "(ADMIN_TOKEN in .dev.vars)";
  // A .dev.vars made before Ebopark landed has no partner: its reports would all be refused.
  if (!/^EBOPARK_PARTNERS=/m.test(devVars)) {
    log(
      "note: .dev.vars has no EBOPARK_PARTNERS, so Ebopark's reports are refused (401): copy the line from .dev.vars.example",
    );
  }
  process.stdout.write(`
parkbridge is running (all local: embedded D1 and KV, no account, no network).

  Status page      ${workerUrl}/            (log in with the ADMIN_TOKEN from .dev.vars: ${token})
  Edge Worker      ${workerUrl}             (callbacks land at POST ${workerUrl}/callbacks)
  Ebopark reports  ${eboparkReportUrl}/{report}   (signed as demo-partner: vehicleEntry, vehicleExit, abnormalPass…)
  API docs         ${workerUrl}/openapi.json
  Simulator        ${simulatorUrl}          (state: ${simulatorUrl}/__sim/state)

${
  rate > 0
    ? "The simulator is driving traffic on both platforms: vehicles enter and leave, cameras go offline, visitors register,\nand Ebopark's lots report entries, exits, orders, barrier lifts and device status."
    : "Traffic is off (PARKBRIDGE_TRAFFIC_PER_SECOND=0): start it with POST " +
      simulatorUrl +
      "/__sim/traffic/start (and /__sim/ebopark/traffic/start for Ebopark's lots)."
}
Try:
  curl -s -H 'Authorization: Bearer ${token}' '${workerUrl}/api/events?limit=5'
  curl -s -H 'Authorization: Bearer ${token}' ${workerUrl}/api/lots/park1
  curl -s -H 'Authorization: Bearer ${token}' '${workerUrl}/api/events?platform=ebopark&limit=5'
  curl -s -H 'Authorization: Bearer ${token}' '${workerUrl}/api/lanes?parkingId=park1'
  curl -s -X POST -H 'Authorization: Bearer ${token}' -H 'content-type: application/json' \\
       -d '{"parkingId":"park1","vehicleCode":"鲁A88888","visitorName":"王五","visitorPhone":"13700137000","endsAt":"2026-12-31 18:00"}' \\
       ${workerUrl}/api/visitor-grants
  curl -s '${workerUrl}/__scheduled?cron=*+*+*+*+*'      # run the cron sweep now

Ctrl-C stops everything.
`);
}

main().catch((error) => fail(error?.stack ?? String(error)));
