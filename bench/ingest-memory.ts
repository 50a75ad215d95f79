/**
 * Memory under oversized bodies: 20 unsigned 50 MB bodies in a row to POST /callbacks, and the
 * same with a valid signature (a Content-Length over the cap, and a chunked body with no length),
 * while workerd's resident memory (VmRSS of the Miniflare instance's own workerd process) is
 * sampled every 5 ms. The Worker checks the headers before the body and reads a body with a byte
 * cap, so none of it should be held: the target is < 16 MB growth (an isolate has 128 MB).
 */
import { readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { signCallback } from "@parkbridge/shared";
import { ACCOUNT, BINDINGS, nextCallback } from "./ingest.js";
import { bundleWorker, ROOT, startWorker } from "./lib/worker.js";

export interface MemoryCase {
  what: string;
  requests: number;
  /** Answers seen, by status (or "error" when the connection was dropped). */
  answers: Record<string, number>;
  /** RSS before the case (after a settle), MB. */
  beforeMB: number;
  /** The highest RSS sampled during the case, MB. */
  peakMB: number;
  /** RSS once the case is over, MB. */
  afterMB: number;
  /** peak - before, MB: the figure the target applies to. */
  growthMB: number;
  seconds: number;
}

export interface MemoryResult {
  bodyMB: number;
  cases: MemoryCase[];
  workerdPids: number;
}

const MB = 1024 * 1024;

/** Pids of the workerd processes that are children of this Node process. */
function workerdChildren(): Set<number> {
  const pids = new Set<number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8").trim();
      const [, comm, rest] = /^\d+ \((.*)\) (.*)$/.exec(stat) ?? [];
      const ppid = Number(rest?.split(" ")[1]);
      if (comm?.startsWith("workerd") && ppid === process.pid) pids.add(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}

function rssMB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A body of `size` bytes, streamed (no Content-Length: sent chunked). */
function streamedBody(size: number): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(256 * 1024).fill(0x20);
  let sent = 0;
  return Readable.toWeb(
    Readable.from(
      (function* () {
        while (sent < size) {
          const part = chunk.subarray(0, Math.min(chunk.length, size - sent));
          sent += part.length;
          yield part;
        }
      })(),
    ),
  ) as ReadableStream<Uint8Array>;
}

export async function runMemoryBench(
  options: { requests: number; bodyMB: number },
  log: (line: string) => void,
): Promise<MemoryResult> {
  if (os.platform() !== "linux") throw new Error("the memory benchmark reads /proc (Linux only)");
  const outdir = path.join(os.tmpdir(), `parkbridge-bench-${process.pid}`);
  const script = await bundleWorker(path.join(ROOT, "workers/src/index.ts"), outdir, "parkbridge");
  const before = workerdChildren();
  const worker = await startWorker({ scriptPath: script, bindings: BINDINGS });
  const pid = [...workerdChildren()].find((p) => !before.has(p));
  if (pid === undefined) throw new Error("could not find the workerd process Miniflare started");
  const url = new URL("/callbacks", worker.url).href;
  const size = options.bodyMB * MB;
  const big = new Uint8Array(size).fill(0x20);
  const signed = () => {
    const timestamp = String(Date.now());
    return { appKey: ACCOUNT.appKey, timestamp, sign: signCallback(ACCOUNT.appKey, timestamp, ACCOUNT.appSecret) };
  };
  const cases: Array<{ what: string; send: () => Promise<Response> }> = [
    {
      what: `unsigned, ${options.bodyMB} MB with Content-Length (no sign header)`,
      send: () =>
        fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", appKey: ACCOUNT.appKey, timestamp: String(Date.now()) },
          body: big,
        }),
    },
    {
      what: `unsigned, ${options.bodyMB} MB with a wrong sign`,
      send: () =>
        fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", ...signed(), sign: "0".repeat(32) },
          body: big,
        }),
    },
    {
      what: `signed, ${options.bodyMB} MB with Content-Length (413 from the header)`,
      send: () =>
        fetch(url, { method: "POST", headers: { "content-type": "application/json", ...signed() }, body: big }),
    },
    {
      what: `signed, ${options.bodyMB} MB chunked, no length (413 after 64 KiB read)`,
      send: () =>
        fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", ...signed() },
          body: streamedBody(size),
          duplex: "half",
        } as RequestInit),
    },
  ];
  const result: MemoryResult = { bodyMB: options.bodyMB, cases: [], workerdPids: 1 };
  try {
    // Warm up the paths the cases take (a stored callback, refusals), then let memory settle.
    for (let i = 0; i < 20; i++) {
      await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...signed() },
        body: nextCallback(),
      });
      await fetch(url, { method: "POST", headers: { appKey: ACCOUNT.appKey }, body: "{}" });
    }
    for (const testCase of cases) {
      await sleep(500);
      const beforeMB = rssMB(pid);
      let peakMB = beforeMB;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          peakMB = Math.max(peakMB, rssMB(pid));
          await sleep(5);
        }
      })();
      const answers: Record<string, number> = {};
      const started = performance.now();
      for (let i = 0; i < options.requests; i++) {
        let key: string;
        try {
          const response = await testCase.send();
          await response.text();
          key = String(response.status);
        } catch (error) {
          // The Worker answered before the upload ended and the connection was closed under it.
          key = `error (${(error as Error).cause ? String((error as { cause: { code?: string } }).cause.code) : "fetch"})`;
        }
        answers[key] = (answers[key] ?? 0) + 1;
      }
      const seconds = (performance.now() - started) / 1000;
      await sleep(200);
      sampling = false;
      await sampler;
      const afterMB = rssMB(pid);
      const line: MemoryCase = {
        what: testCase.what,
        requests: options.requests,
        answers,
        beforeMB,
        peakMB,
        afterMB,
        growthMB: peakMB - beforeMB,
        seconds,
      };
      result.cases.push(line);
      log(
        `memory: ${line.what}: ${JSON.stringify(answers)}, RSS ${beforeMB.toFixed(1)} → peak ${peakMB.toFixed(1)} MB (+${line.growthMB.toFixed(1)}), after ${afterMB.toFixed(1)} MB`,
      );
    }
  } finally {
    await worker.close();
  }
  return result;
}
