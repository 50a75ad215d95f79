// Temporary: old (644d8fb) vs new ingestion, interleaved, with the D1 floor. Not committed.
import path from "node:path";
import { readD1Migrations } from "@cloudflare/vitest-plugin";
import { signCallback } from "@parkbridge/shared";
import { build } from "esbuild";
import { ACCOUNT, BINDINGS, nextCallback } from "./ingest.js";
import { median } from "./lib/stats.js";
import { bundleWorker, ROOT, startWorker, WORKER_BUILD } from "./lib/worker.js";

const OUT = "/tmp/i13-probe/cmp";
const oldScript = path.join(OUT, "old.mjs");
const OLD = process.env.OLD_DIR ?? "/tmp/i13-base";
await build({
  ...WORKER_BUILD,
  entryPoints: [`${OLD}/workers/src/index.ts`],
  outfile: oldScript,
  minify: true,
  alias: { "@parkbridge/shared": `${OLD}/shared/src/index.ts` },
  nodePaths: [path.join(ROOT, "node_modules")],
});
const newScript = await bundleWorker(path.join(ROOT, "workers/src/index.ts"), OUT, "new");
const floorScript = await bundleWorker(path.join(ROOT, "bench/d1-floor-worker.ts"), OUT, "floor");

import { readdirSync, readFileSync } from "node:fs";

function kids(): Set<number> {
  const s = new Set<number>();
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const st = readFileSync(`/proc/${e}/stat`, "utf8").trim();
      const m = /^\d+ \((.*)\) (.*)$/.exec(st);
      if (m?.[1]?.startsWith("workerd") && Number(m[2]!.split(" ")[1]) === process.pid) s.add(Number(e));
    } catch {}
  }
  return s;
}
function cpuMs(pid: number): number {
  const st = readFileSync(`/proc/${pid}/stat`, "utf8").trim();
  const f = /\) (.*)$/.exec(st)![1]!.split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}
async function start(o: Parameters<typeof startWorker>[0]) {
  const before = kids();
  const w = await startWorker(o);
  const pid = [...kids()].find((p) => !before.has(p))!;
  return { ...w, pid };
}
const old = await start({ scriptPath: oldScript, bindings: BINDINGS, migrate: false });
for (const m of await readD1Migrations(`${OLD}/migrations`))
  await old.db.batch(m.queries.map((q) => old.db.prepare(q)));
if (process.env.OLD_SQL) await old.db.exec(process.env.OLD_SQL);
const neu = await start({ scriptPath: newScript, bindings: BINDINGS });
const floor = await start({ scriptPath: floorScript, bindings: BINDINGS });
const pids = { old: old.pid, new: neu.pid, floor: floor.pid };
await floor.db.exec("CREATE TABLE floor_callbacks (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
let lastTs = 0;
const ts = () => String((lastTs = Math.max(lastTs + 1, Date.now() - 60_000)));
async function load(url: string, c: number, total: number) {
  let next = 0;
  let ok = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: c }, async () => {
      while (next < total) {
        next++;
        const timestamp = ts();
        const r = await fetch(url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            appKey: ACCOUNT.appKey,
            timestamp,
            sign: signCallback(ACCOUNT.appKey, timestamp, ACCOUNT.appSecret),
          },
          body: nextCallback(),
        });
        if ((await r.text()).includes('"code":0')) ok++;
      }
    }),
  );
  return { rps: total / ((performance.now() - t0) / 1000), ok };
}
const urls = {
  old: new URL("/callbacks", old.url).href,
  new: new URL("/callbacks", neu.url).href,
  floor: new URL("/callbacks", floor.url).href,
};
const levels = (process.env.LEVELS ?? "1,10,50").split(",").map(Number);
const reps = Number(process.env.REPS ?? 5);
const N = Number(process.env.N ?? 400);
for (const u of Object.values(urls)) await load(u, 4, 150);
for (const c of levels) {
  const r: Record<string, number[]> = { old: [], new: [], floor: [] };
  const cpu: Record<string, number[]> = { old: [], new: [], floor: [] };
  for (let rep = 0; rep < reps; rep++) {
    const order = ["old", "new", "floor"] as const;
    const o = [...order];
    for (let i = 0; i < rep % 3; i++) o.push(o.shift()!);
    for (const w of o) {
      const c0 = cpuMs(pids[w]);
      const x = await load(urls[w], c, N);
      await new Promise((res) => setTimeout(res, 300));
      cpu[w].push((cpuMs(pids[w]) - c0) / N);
      if (x.ok !== N) console.log("FAILED", w, N - x.ok);
      r[w].push(x.rps);
    }
  }
  const m = (k: string) => median(r[k]!);
  console.log(
    `c=${c}: old ${m("old").toFixed(0)}/s new ${m("new").toFixed(0)}/s floor ${m("floor").toFixed(0)}/s | old/floor ${(m("old") / m("floor")).toFixed(2)} new/floor ${(m("new") / m("floor")).toFixed(2)} new/old ${(m("new") / m("old")).toFixed(2)} | workerd CPU ms/callback: old ${median(cpu.old!).toFixed(3)} new ${median(cpu.new!).toFixed(3)} floor ${median(cpu.floor!).toFixed(3)}`,
  );
}
await old.close();
await neu.close();
await floor.close();
