/**
 * `npm start` as a newcomer runs it: in a fresh clone of the committed tree (node_modules
 * hard-linked from this checkout instead of downloaded), on free ports. It must come up, take
 * a signed callback, answer the API with the token it put in .dev.vars, run the cron sweep,
 * and on Ctrl-C (SIGINT) stop everything it started and free its ports. Started again, it must
 * also stop everything when a process manager sends SIGTERM to npm alone (npm does not pass it
 * on), and when the start script itself is killed outright.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { formatPlatformTime } from "@parkbridge/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postCallback } from "./helpers/callbacks.js";
import { freePort, portIsFree, waitUntil } from "./helpers/ports.js";
import { type ProcessInfo, processTree, survivors } from "./helpers/processes.js";
import { exited, quietWranglerEnv, repoRoot, stopGroup } from "./helpers/wrangler-dev.js";

// The repository to clone: this checkout (in CI, itself a fresh clone). Only committed files
// are in a clone; PARKBRIDGE_START_TEST_REPO points elsewhere to try uncommitted work.
const source = process.env.PARKBRIDGE_START_TEST_REPO ?? repoRoot;

let workdir: string;
let clone: string;
let workerPort: number;
let simulatorPort: number;
let child: ChildProcess;
let output = "";
let adminToken: string;
let treeBeforeStop: ProcessInfo[] = [];
/** Every process any `npm start` of this file had, for the final clean-up after a failure. */
const seen: ProcessInfo[] = [];

/** `npm start` in the clone on this file's ports; resolves once it prints its banner. */
async function startNpm(): Promise<void> {
  output = "";
  child = spawn("npm", ["start"], {
    cwd: clone,
    env: {
      ...process.env,
      ...quietWranglerEnv,
      PARKBRIDGE_WORKER_PORT: String(workerPort),
      PARKBRIDGE_SIMULATOR_PORT: String(simulatorPort),
    },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, as a terminal would run it: SIGINT goes to the whole group.
    detached: true,
  });
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  try {
    await waitUntil(
      "the npm start banner",
      async () => {
        if (child.exitCode !== null) throw new Error(`npm start exited (${child.exitCode})`);
        return output.includes("parkbridge is running");
      },
      240_000,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- npm start output ---\n${output}`);
  }
  treeBeforeStop = processTree(child.pid as number);
  seen.push(...treeBeforeStop);
}

/** Waits until no process of `tree` (nor of its process groups) is left, and both ports are free. */
async function expectAllStopped(tree: ProcessInfo[]): Promise<void> {
  await waitUntil("every started process to end", async () => survivors(tree).length === 0, 15_000).catch(() => {
    throw new Error(
      `still running after npm start stopped:\n${survivors(tree)
        .map((p) => `${p.pid} ${p.command}`)
        .join("\n")}\n--- npm start output ---\n${output}`,
    );
  });
  expect(await portIsFree(workerPort)).toBe(true);
  expect(await portIsFree(simulatorPort)).toBe(true);
}

const workerUrl = () => `http://127.0.0.1:${workerPort}`;
const api = async (pathAndQuery: string, init: RequestInit = {}) => {
  const response = await fetch(`${workerUrl()}${pathAndQuery}`, {
    ...init,
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json", ...init.headers },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

/** node_modules of the root and of each workspace, as hard links: cheap, and offline. */
function linkNodeModules(from: string, to: string) {
  const dirs = ["."].concat(readdirSync(from).filter((d) => existsSync(path.join(from, d, "package.json"))));
  for (const dir of dirs) {
    const modules = path.join(from, dir, "node_modules");
    if (existsSync(modules) && existsSync(path.join(to, dir))) {
      const target = path.join(to, dir, "node_modules");
      try {
        execFileSync("cp", ["-al", modules, target], { stdio: "pipe" });
      } catch {
        // Hard links cannot cross filesystems (a tmpfs /tmp): copy instead.
        rmSync(target, { recursive: true, force: true });
        execFileSync("cp", ["-a", modules, target]);
      }
    }
  }
}

beforeAll(async () => {
  workdir = mkdtempSync(path.join(tmpdir(), "parkbridge-start-"));
  clone = path.join(workdir, "parkbridge");
  execFileSync("git", ["clone", "--quiet", source, clone]);
  linkNodeModules(repoRoot, clone);
  // Workspace packages are relative symlinks: they must lead into the clone, not back here.
  expect(realpathSync(path.join(clone, "node_modules/@parkbridge/shared"))).toBe(
    realpathSync(path.join(clone, "shared")),
  );
  expect(existsSync(path.join(clone, ".dev.vars"))).toBe(false);

  workerPort = await freePort();
  simulatorPort = await freePort();
  await startNpm();
  adminToken = /^ADMIN_TOKEN=(.+)$/m.exec(readFileSync(path.join(clone, ".dev.vars"), "utf8"))?.[1]?.trim() ?? "";
}, 300_000);

afterAll(async () => {
  // After a failure part-way, whatever npm start left running is found the same way.
  const tree = [...seen, ...(child?.pid && child.exitCode === null ? processTree(child.pid) : [])];
  if (child && child.exitCode === null) await stopGroup(child);
  for (const survivor of survivors(tree)) {
    try {
      process.kill(survivor.pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

describe("npm start in a fresh clone", { timeout: 120_000 }, () => {
  it("created .dev.vars with an admin token, and prints where things run", () => {
    expect(adminToken.length).toBeGreaterThan(0);
    expect(output).toContain(`http://127.0.0.1:${workerPort}/`);
    expect(output).toContain(`http://127.0.0.1:${simulatorPort}`);
  });

  it("takes a signed callback and answers it back through /api/events", async () => {
    const plate = `津E${String(Math.floor(Math.random() * 100_000)).padStart(5, "0")}`;
    const sent = await postCallback(workerUrl(), "PARKING_VEHICLE_ACCESS", {
      vehicleCode: plate,
      accessType: "0",
      time: formatPlatformTime(Date.now(), "second"),
      laneNo: "1",
      laneName: "南门入口",
      parkingId: "park1",
      inParkNum: 12,
      totalLot: 88,
    });
    expect(sent).toEqual({ status: 200, body: { code: 0, msg: "操作成功" } });

    const events = await api(`/api/events?type=vehicleAccess&vehicleCode=${encodeURIComponent(plate)}`);
    expect(events.status).toBe(200);
    expect(events.body.items).toEqual([
      expect.objectContaining({ event: "vehicleAccess", parkingId: "park1", vehicleCode: plate, laneNo: "1" }),
    ]);
    // The token is required.
    const refused = await fetch(`${workerUrl()}/api/events`);
    expect(refused.status).toBe(401);
  });

  it("the simulator's Ebopark lots report into the Worker, signed, and are listed as Ebopark's", async () => {
    expect(output).toContain(`http://127.0.0.1:${workerPort}/callbacks/ebopark/{report}`);
    const items = await waitUntil(
      "an Ebopark report in /api/events",
      async () => {
        const events = await api("/api/events?platform=ebopark&limit=5");
        const found = (events.body.items ?? []) as Array<Record<string, unknown>>;
        return found.length > 0 ? found : undefined;
      },
      60_000,
    );
    expect(items[0]).toMatchObject({ platform: "ebopark", appKey: "demo-partner" });
    expect(["510107148", "510185001"]).toContain(items[0]?.parkingId);
  });

  it("runs the cron sweep on demand, which ends a visitor grant that has run out", async () => {
    const plate = `鲁A${String(Math.floor(Math.random() * 100_000)).padStart(5, "0")}`;
    const created = await api("/api/visitor-grants", {
      method: "POST",
      body: JSON.stringify({
        parkingId: "park1",
        vehicleCode: plate,
        visitorName: "赵六",
        visitorPhone: "13900139000",
        endsAt: new Date(Date.now() + 3000).toISOString(),
      }),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.status).toBe("active");
    await new Promise((resolve) => setTimeout(resolve, 3500));

    const scheduled = await fetch(`${workerUrl()}/__scheduled?cron=*+*+*+*+*`);
    expect(scheduled.status).toBe(200);
    await waitUntil(
      "the sweep to expire the grant",
      async () => (await api(`/api/visitor-grants/${created.body.id}`)).body.status === "expired",
      30_000,
    );
  });

  it("printed the migrations it applied once, not a table per migration", () => {
    expect(output.match(/0001_events\.sql/g)).toHaveLength(1);
  });

  it("stops everything on Ctrl-C (SIGINT) and frees both ports", async () => {
    treeBeforeStop = processTree(child.pid as number);
    // npm, the start script, its reaper, the simulator, wrangler and its workerd processes at least.
    expect(treeBeforeStop.length).toBeGreaterThanOrEqual(6);
    expect(treeBeforeStop.some((p) => p.command.includes("workerd"))).toBe(true);
    expect(treeBeforeStop.some((p) => p.command.includes("scripts/reaper.mjs"))).toBe(true);

    process.kill(-(child.pid as number), "SIGINT");
    await exited(child);

    await expectAllStopped(treeBeforeStop);
    expect(output).toContain("stopped; ports freed.");
  });
});

describe("npm start stopped from outside", { timeout: 300_000 }, () => {
  it("stops everything when a process manager sends SIGTERM to npm alone", async () => {
    await startNpm();
    expect(output).toContain("D1 migrations: all applied already");
    expect(await portIsFree(workerPort)).toBe(false);

    // Not the group: npm alone, as systemd (KillMode=process), pm2 or a CI runner's timeout does it.
    process.kill(child.pid as number, "SIGTERM");
    await exited(child);

    await expectAllStopped(treeBeforeStop);
    expect(output).toContain("is gone: stopping");
  });

  it("and when the start script itself is killed outright (SIGKILL): its reaper stops the rest", async () => {
    await startNpm();
    const script = treeBeforeStop.find((p) => /scripts\/start\.mjs/.test(p.command) && !p.command.startsWith("sh "));
    expect(script, treeBeforeStop.map((p) => p.command).join("\n")).toBeDefined();

    process.kill(script?.pid as number, "SIGKILL");

    await expectAllStopped(treeBeforeStop);
    expect(output).toContain("ended without stopping its processes");
    if (child.exitCode === null) await stopGroup(child);
  });
});
