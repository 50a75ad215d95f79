/**
 * Sizes: the Worker as `wrangler deploy --dry-run` bundles it (scripts/deploy-dry-run.sh, the
 * size Workers' limits apply to), the same entry minified by esbuild with what dominates it,
 * the bare Hono baseline bundled the same way (context: Hono's tiny preset is ~14 kB), and the
 * n8n package as `npm pack` would publish it, built first (a fresh clone has no dist/).
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { ROOT, WORKER_BUILD } from "./lib/worker.js";

const run = promisify(execFile);

export interface BundleResult {
  wrangler: { raw: number; gzip: number; line: string } | { error: string };
  minified: {
    raw: number;
    gzip: number;
    topPackages: Array<{ name: string; bytes: number }>;
    /** Packages bundled from more than one node_modules folder (duplicate copies). */
    duplicates: Array<{ name: string; copies: string[] }>;
  };
  baseline: { raw: number; gzip: number };
  n8n: { packed: number; unpacked: number; files: number } | { error: string };
}

async function minify(
  entry: string,
): Promise<{ raw: number; gzip: number; inputs: Record<string, number>; copies: Record<string, Set<string>> }> {
  const result = await build({
    entryPoints: [entry],
    ...WORKER_BUILD,
    write: false,
    minify: true,
    metafile: true,
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  const output = Object.values(result.metafile.outputs)[0];
  const inputs: Record<string, number> = {};
  const copies: Record<string, Set<string>> = {};
  for (const [file, info] of Object.entries(output?.inputs ?? {})) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
    if (match) {
      const where = copies[match[1] as string] ?? new Set<string>();
      where.add(file.slice(0, match.index + match[0].length));
      copies[match[1] as string] = where;
    }
    // zod's error-message translations get their own line: English only since wrangler.toml's
    // [alias] (shared/src/util/zod-locales-en.ts); the others would show here if they came back.
    const name = /node_modules\/zod\/.*\/locales\//.test(file)
      ? "zod (locales: error messages)"
      : match
        ? (match[1] as string)
        : file.startsWith("workers/")
          ? "workers/src (ours)"
          : file.startsWith("shared/")
            ? "shared/src (ours)"
            : file;
    inputs[name] = (inputs[name] ?? 0) + info.bytesInOutput;
  }
  return { raw: code.byteLength, gzip: gzipSync(code, { level: 9 }).byteLength, inputs, copies };
}

export async function runBundleBench(log: (line: string) => void): Promise<BundleResult> {
  let wrangler: BundleResult["wrangler"];
  try {
    const { stdout } = await run("bash", [path.join(ROOT, "scripts/deploy-dry-run.sh")], {
      cwd: ROOT,
      maxBuffer: 1 << 24,
    });
    const raw = Number(/raw (\d+) bytes/.exec(stdout)?.[1]);
    const gzip = Number(/gzipped (\d+) bytes/.exec(stdout)?.[1]);
    wrangler = {
      raw,
      gzip,
      line:
        stdout
          .split("\n")
          .find((l) => l.startsWith("wrangler:"))
          ?.replace(/^wrangler: /, "") ?? "",
    };
  } catch (error) {
    wrangler = { error: String((error as Error).message).slice(0, 300) };
  }
  log("bundle: wrangler dry run done");
  const worker = await minify(path.join(ROOT, "workers/src/index.ts"));
  const baseline = await minify(path.join(ROOT, "bench/baseline-worker.ts"));
  let n8n: BundleResult["n8n"];
  try {
    // What would be published is dist/: build it from this checkout, never measure a stale or missing one.
    await run("npm", ["run", "build", "-w", "n8n-nodes-parkbridge"], { cwd: ROOT, maxBuffer: 1 << 24 });
    log("bundle: n8n package built");
    const { stdout } = await run("npm", ["pack", "--dry-run", "--json", "-w", "n8n-nodes-parkbridge"], {
      cwd: ROOT,
      maxBuffer: 1 << 24,
    });
    const info = (JSON.parse(stdout) as Array<{ size: number; unpackedSize: number; entryCount: number }>)[0];
    if (!info?.entryCount) throw new Error("npm pack listed no files");
    n8n = { packed: info.size, unpacked: info.unpackedSize, files: info.entryCount };
  } catch (error) {
    n8n = { error: String((error as Error).message).slice(0, 300) };
  }
  log("bundle: sizes measured");
  return {
    wrangler,
    minified: {
      raw: worker.raw,
      gzip: worker.gzip,
      topPackages: Object.entries(worker.inputs)
        .map(([name, bytes]) => ({ name, bytes }))
        .sort((a, b) => b.bytes - a.bytes)
        .slice(0, 6),
      duplicates: Object.entries(worker.copies)
        .filter(([, where]) => where.size > 1)
        .map(([name, where]) => ({ name, copies: [...where].sort() })),
    },
    baseline: { raw: baseline.raw, gzip: baseline.gzip },
    n8n,
  };
}
