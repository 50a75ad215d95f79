/**
 * Client paging: every authorisation of a 100,000-vehicle lot at pageSize 1000 through the
 * protocol package's `client.iterate.listVehicles` (validation, token handling, typed results),
 * against the same requests made with bare fetch + JSON.parse. Timing runs alternate; a separate
 * run samples the heap after a forced GC at every page boundary to show iteration holds one page
 * at a time (run node with --expose-gc).
 */
import { createPlatformClient, operations, signCallback } from "@parkbridge/shared";
import { startSimulator } from "@parkbridge/simulator";
import { z } from "zod";
import { FAIL, fastParser } from "../shared/src/platform/fast-parse.js";
import { median, slope } from "./lib/stats.js";

export interface PagingOptions {
  vehicles: number;
  pageSize: number;
  repetitions: number;
}

export interface PagingResult {
  options: PagingOptions;
  items: number;
  requests: number;
  clientMs: number[];
  bareMs: number[];
  /** Bare fetch + JSON.parse + the catalogue's result schema (zod) per page: what plain zod would cost. */
  validatedMs: number[];
  /** The same with zod's JIT off (`jitless`), as on workerd, where eval is not allowed. */
  validatedJitlessMs: number[];
  /** Bare fetch + JSON.parse + the compiled fast path of that schema per page: what the client pays for it. */
  fastMs: number[];
  /**
   * Checking alone, no I/O: the listing's pages, parsed from JSON once, checked again and again
   * by the fast path, by zod, and by zod with its JIT off (as on workerd), in turn. CPU only and
   * short, so it holds up on a busy machine where whole runs drift. One entry per round each.
   */
  checkMs: { fast: number[]; zod: number[]; zodJitless: number[] };
  /**
   * The same listing both ways at once, page by page: a client page (its next pageSize items)
   * then a bare page, in turn (who goes first alternates), each timed on its own and summed. Both
   * see the machine in the same state, so drift in its speed (±15 % between whole runs here)
   * cancels out. One entry per run: the two sums.
   */
  interleaved: Array<{ clientMs: number; bareMs: number }>;
  heap: { pages: number; firstMB: number; lastMB: number; maxMB: number; slopeKBPerPage: number } | undefined;
}

const ACCOUNT = { appKey: "demo-app-key", appSecret: "demo-app-secret" };
const LOT = "park1";

/** Bare fetch + JSON.parse of one request. */
async function bareRequest(baseUrl: string, path: string, body: unknown, token?: string) {
  const response = await fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json; charset=utf-8", ...(token ? { AccessToken: token } : {}) },
    body: JSON.stringify(body),
  });
  return JSON.parse(await response.text()) as { code: number; result: Record<string, unknown> };
}

async function bareToken(baseUrl: string): Promise<string> {
  const timestamp = Date.now();
  const answer = await bareRequest(baseUrl, "/getAccessToken", {
    appKey: ACCOUNT.appKey,
    timestamp,
    sign: signCallback(ACCOUNT.appKey, timestamp, ACCOUNT.appSecret),
  });
  return String(answer.result.accessToken);
}

/** See PagingResult.interleaved. */
async function interleaved(baseUrl: string, pageSize: number): Promise<{ clientMs: number; bareMs: number }> {
  const client = createPlatformClient({ baseUrl, ...ACCOUNT });
  const items = client.iterate.listVehicles({ parkingId: LOT, pageSize });
  let token = "";
  const sums = { clientMs: 0, bareMs: 0 };
  let clientDone = false;
  let bareDone = false;
  const clientPage = async () => {
    const started = performance.now();
    for (let n = 0; n < pageSize; n++) {
      if ((await items.next()).done) {
        clientDone = true;
        break;
      }
    }
    sums.clientMs += performance.now() - started;
  };
  const barePage = async (pageNo: number) => {
    const started = performance.now();
    token ||= await bareToken(baseUrl);
    const page = (await bareRequest(baseUrl, "/listVehicles", { parkingId: LOT, pageNo, pageSize }, token)).result as {
      hasMore: boolean;
      data: unknown[];
    };
    if (!page.hasMore || page.data.length === 0) bareDone = true;
    sums.bareMs += performance.now() - started;
  };
  for (let pageNo = 1; !(clientDone && bareDone); pageNo++) {
    for (const side of pageNo % 2 === 0 ? ["client", "bare"] : ["bare", "client"]) {
      if (side === "client" && !clientDone) await clientPage();
      if (side === "bare" && !bareDone) await barePage(pageNo);
    }
  }
  return sums;
}

/** The bare baseline: a token, then page after page, parse, count. No validation, no retries. */
async function bare(
  baseUrl: string,
  pageSize: number,
  validate: "none" | "zod" | "fast" = "none",
): Promise<{ items: number; requests: number }> {
  const fast = fastParser(operations.listVehicles.result);
  const token = await bareToken(baseUrl);
  let items = 0;
  let requests = 1;
  for (let pageNo = 1; ; pageNo++) {
    const raw = (await bareRequest(baseUrl, "/listVehicles", { parkingId: LOT, pageNo, pageSize }, token)).result;
    // The diagnostic variants: what checking each page against the catalogue's schema costs.
    const checked =
      validate === "zod" ? operations.listVehicles.result.parse(raw) : validate === "fast" ? fast(raw) : raw;
    if (checked === FAIL) throw new Error("the fast path refused a page zod accepts");
    const page = checked as { hasMore: boolean; data: unknown[] };
    requests++;
    items += page.data.length;
    if (!page.hasMore || page.data.length === 0) return { items, requests };
  }
}

async function viaClient(
  baseUrl: string,
  pageSize: number,
  onPage?: (page: number) => void,
): Promise<{ items: number; requests: number }> {
  const client = createPlatformClient({ baseUrl, ...ACCOUNT });
  let items = 0;
  for await (const _ of client.iterate.listVehicles({ parkingId: LOT, pageSize })) {
    items++;
    if (onPage && items % pageSize === 0) onPage(items / pageSize);
  }
  if (client.stats.zodFallbacks > 0) throw new Error("the client checked a page with zod: the fast path refused it");
  return { items, requests: client.stats.requests };
}

export async function runPagingBench(options: PagingOptions, log: (line: string) => void): Promise<PagingResult> {
  const simulator = await startSimulator({ port: 0, seed: 5, vehicleCount: 0 });
  try {
    simulator.state.addAuthorisations(LOT, options.vehicles);
    const result: PagingResult = {
      options,
      items: 0,
      requests: 0,
      clientMs: [],
      bareMs: [],
      validatedMs: [],
      validatedJitlessMs: [],
      fastMs: [],
      interleaved: [],
      checkMs: { fast: [], zod: [], zodJitless: [] },
      heap: undefined,
    };
    // Warm both paths (JIT, sockets) before timing.
    await bare(simulator.url, options.pageSize);
    await viaClient(simulator.url, options.pageSize);
    // Each timed run starts from a collected heap (with --expose-gc), so none pays for the garbage
    // of the run before it: 100,000 items a run make that debt as large as the difference measured.
    const collect = (globalThis as { gc?: () => void }).gc ?? (() => {});
    const timed = async (work: () => Promise<unknown>) => {
      collect();
      const started = performance.now();
      await work();
      return performance.now() - started;
    };
    for (let rep = 0; rep < options.repetitions; rep++) {
      for (const which of rep % 2 === 0 ? ["bare", "client"] : ["client", "bare"]) {
        collect();
        const started = performance.now();
        const run =
          which === "bare"
            ? await bare(simulator.url, options.pageSize)
            : await viaClient(simulator.url, options.pageSize);
        const ms = performance.now() - started;
        if (which === "bare") result.bareMs.push(ms);
        else {
          result.clientMs.push(ms);
          result.items = run.items;
          result.requests = run.requests;
        }
      }
      result.validatedMs.push(await timed(() => bare(simulator.url, options.pageSize, "zod")));
      z.config({ jitless: true });
      try {
        result.validatedJitlessMs.push(await timed(() => bare(simulator.url, options.pageSize, "zod")));
      } finally {
        z.config({ jitless: false });
      }
      result.fastMs.push(await timed(() => bare(simulator.url, options.pageSize, "fast")));
      collect();
      result.interleaved.push(await interleaved(simulator.url, options.pageSize));
      const pair = result.interleaved.at(-1);
      log(
        `paging run ${rep + 1}: client ${result.clientMs.at(-1)?.toFixed(0)} ms, bare ${result.bareMs.at(-1)?.toFixed(0)} ms; interleaved ${pair?.clientMs.toFixed(0)} / ${pair?.bareMs.toFixed(0)} ms`,
      );
    }
    await timeChecks(simulator.url, options, result.checkMs, collect);
    log(
      `paging: checking alone, fast path ${median(result.checkMs.fast).toFixed(1)} ms, zod ${median(result.checkMs.zod).toFixed(1)} ms, zod jitless ${median(result.checkMs.zodJitless).toFixed(1)} ms`,
    );
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc) {
      const samples: number[] = [];
      gc();
      samples.push(process.memoryUsage().heapUsed);
      await viaClient(simulator.url, options.pageSize, () => {
        gc();
        samples.push(process.memoryUsage().heapUsed);
      });
      const mb = (bytes: number) => bytes / 1024 / 1024;
      result.heap = {
        pages: samples.length - 1,
        firstMB: mb(samples[0] as number),
        lastMB: mb(samples.at(-1) as number),
        maxMB: mb(Math.max(...samples)),
        slopeKBPerPage:
          slope(
            samples.map((_, i) => i),
            samples,
          ) / 1024,
      };
    } else log("paging: no --expose-gc, heap not sampled");
    return result;
  } finally {
    await simulator.close();
  }
}

/** See PagingResult.checkMs. */
async function timeChecks(
  baseUrl: string,
  options: PagingOptions,
  into: PagingResult["checkMs"],
  collect: () => void,
): Promise<void> {
  const schema = operations.listVehicles.result;
  const token = await bareToken(baseUrl);
  const pages: unknown[] = [];
  for (let pageNo = 1; ; pageNo++) {
    const page = (
      await bareRequest(baseUrl, "/listVehicles", { parkingId: LOT, pageNo, pageSize: options.pageSize }, token)
    ).result as { hasMore: boolean; data: unknown[] };
    pages.push(page);
    if (!page.hasMore || page.data.length === 0) break;
  }
  const fast = fastParser(schema);
  const check = (parse: (page: unknown) => unknown) => {
    collect();
    const started = performance.now();
    for (const page of pages) if (parse(page) === FAIL) throw new Error("the fast path refused a page zod accepts");
    return performance.now() - started;
  };
  const kinds = {
    fast: () => check(fast),
    zod: () => check((page) => schema.parse(page)),
    zodJitless: () => {
      z.config({ jitless: true });
      try {
        return check((page) => schema.parse(page));
      } finally {
        z.config({ jitless: false });
      }
    },
  };
  const names = Object.keys(kinds) as Array<keyof typeof kinds>;
  for (let warm = 0; warm < 3; warm++) for (const name of names) kinds[name](); // JIT, inline caches
  for (let round = 0; round < Math.max(9, options.repetitions); round++) {
    // Who goes first rotates.
    for (let k = 0; k < names.length; k++) {
      const name = names[(round + k) % names.length] as keyof typeof kinds;
      into[name].push(kinds[name]());
    }
  }
}

export const pagingMedians = (r: PagingResult) => ({
  client: median(r.clientMs),
  bare: median(r.bareMs),
  validated: median(r.validatedMs),
  validatedJitless: median(r.validatedJitlessMs),
  fast: median(r.fastMs),
  /** Median over runs of each run's interleaved client / bare ratio. */
  interleavedRatio: median(r.interleaved.map((pair) => pair.clientMs / pair.bareMs)),
  checkFast: median(r.checkMs.fast),
  checkZod: median(r.checkMs.zod),
  checkZodJitless: median(r.checkMs.zodJitless),
  interleavedClient: median(r.interleaved.map((pair) => pair.clientMs)),
  interleavedBare: median(r.interleaved.map((pair) => pair.bareMs)),
});
