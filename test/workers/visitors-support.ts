/**
 * Helpers of the visitor grant and sweep tests: the real simulator's HTTP controls, plates no
 * other test uses, and the Worker's entry points. Storage is isolated per test file; the
 * simulator is shared by every file of the run, so everything asked of it is filtered by plate.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { Env } from "../../workers/src/env.js";
import worker from "../../workers/src/index.js";

export const sim = async <T = unknown>(path: string, init?: { method?: string; body?: unknown }): Promise<T> => {
  const response = await fetch(`${env.SIMULATOR_URL}${path}`, {
    method: init?.method ?? (init?.body === undefined ? "GET" : "POST"),
    headers: { "content-type": "application/json" },
    ...(init?.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const json = (await response.json()) as T;
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${JSON.stringify(json)}`);
  return json;
};

export interface SimAuthorisation {
  vehicleCode: string;
  vehicleType: string;
  startTime: string;
  endTime: string;
  remark?: string;
  laneNos?: string;
  userName?: string;
}

export interface SimCall {
  operationId: string;
  body: Record<string, unknown>;
  at: number;
  code: number;
  msg?: string;
  /** The account whose token the call carried. */
  appKey?: string;
}

export async function authorisationOf(parkingId: string, plate: string): Promise<SimAuthorisation | undefined> {
  const list = await sim<SimAuthorisation[]>(
    `/__sim/authorisations?parkingId=${parkingId}&vehicleCode=${encodeURIComponent(plate)}`,
  );
  return list[0];
}

export async function putAuthorisation(parkingId: string, plate: string, fields: Partial<SimAuthorisation>) {
  await sim("/__sim/authorisations", {
    body: {
      parkingId,
      vehicleCode: plate,
      vehicleType: "2",
      userName: "测试",
      userPhoneNumber: "13800000000",
      startTime: "2026-11-01",
      endTime: "2026-11-30",
      ...fields,
    },
  });
}

export async function callsFor(operation: string, plate: string): Promise<SimCall[]> {
  return sim<SimCall[]>(`/__sim/calls?operation=${operation}&vehicleCode=${encodeURIComponent(plate)}`);
}

/** Successful deletions of a plate's authorisation (a dropped or refused call is not one). */
export async function deletionsOf(plate: string): Promise<number> {
  return (await callsFor("deleteVehicle", plate)).filter((c) => c.code === 0).length;
}

export async function addFault(rule: {
  operation?: string;
  /** Only requests naming this lot. */
  parkingId?: string;
  kind: "latency" | "http500" | "http502" | "timeout" | "platformError" | "tokenExpired";
  times?: number;
  rate?: number;
  latencyMs?: number;
  msg?: string;
}): Promise<string> {
  return (await sim<{ id: string }>("/__sim/faults", { body: rule })).id;
}

export const clearFaults = () => sim("/__sim/faults", { method: "DELETE" });

/**
 * Valid plates no other test file uses: a province character and letter per file (the
 * simulator's seeded lots use 鲁A, 鲁B, 京A and a few others), then 5 digits from a counter.
 */
export function plates(prefix: string) {
  let next = 10_000 + Math.floor(Math.random() * 40_000);
  return () => `${prefix}${String(next++).padStart(5, "0")}`;
}

/** A request to the Worker's own fetch handler (the whole app: auth, routing, errors). */
export async function api(path: string, init: { method?: string; body?: unknown; token?: string } = {}) {
  const request = new Request(`https://parkbridge.test${path}`, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: { authorization: `Bearer ${init.token ?? env.ADMIN_TOKEN}`, "content-type": "application/json" },
    ...(init.body === undefined ? {} : { body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) }),
  });
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, env as unknown as Env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

/** The Worker's env with some vars replaced (e.g. a short platform timeout, a small call budget). */
export const envWith = (vars: Partial<Env>): Env => ({ ...(env as unknown as Env), ...vars });

/** Wipes this file's ledger (storage is per test file, shared by its tests). */
export async function clearLedger(): Promise<void> {
  await env.DB.batch([env.DB.prepare("DELETE FROM grant_audit"), env.DB.prepare("DELETE FROM visitor_grants")]);
}

/** Epoch ms of a local (UTC+8) wall-clock time, written out for readability in tests. */
export const cst = (local: string) => Date.parse(`${local.replace(" ", "T")}+08:00`);

/** A D1 binding that counts the statements run through it (a batch counts as its statements). */
export function countingD1(db: D1Database) {
  let statements = 0;
  type Wrapped = { inner: D1PreparedStatement };
  const wrap = (inner: D1PreparedStatement): D1PreparedStatement & Wrapped =>
    ({
      inner,
      bind: (...values: unknown[]) => wrap(inner.bind(...values)),
      run: () => {
        statements++;
        return inner.run();
      },
      first: (column?: string) => {
        statements++;
        return column === undefined ? inner.first() : inner.first(column);
      },
      all: () => {
        statements++;
        return inner.all();
      },
      raw: () => {
        statements++;
        return inner.raw();
      },
    }) as unknown as D1PreparedStatement & Wrapped;
  const counting = {
    prepare: (sql: string) => wrap(db.prepare(sql)),
    batch: (list: Array<D1PreparedStatement & Partial<Wrapped>>) => {
      statements += list.length;
      return db.batch(list.map((s) => s.inner ?? s));
    },
  } as unknown as D1Database;
  return {
    db: counting,
    get statements() {
      return statements;
    },
    reset() {
      statements = 0;
    },
  };
}
