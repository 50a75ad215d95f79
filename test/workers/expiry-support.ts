/**
 * Helpers of the expiry-round tests: a lot of the test's own on the shared simulator (so its
 * size and faults touch no other test file), due grants recorded in D1 with their
 * authorisations on the simulator, and a driver that plays the cron and the queue as Cloudflare
 * would, one invocation at a time, each with its own counted platform calls and D1 statements.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { formatPlatformTime } from "@parkbridge/shared";
import type { Env } from "../../workers/src/env.js";
import { consumeExpiry } from "../../workers/src/sweep/consumer.js";
import type { ExpiryMessage, ExpiryReport } from "../../workers/src/sweep/invocation.js";
import { planExpiry } from "../../workers/src/sweep/planner.js";
import { type GrantRow, platformRemark } from "../../workers/src/visitors/grant.js";
import { insertGrant } from "../../workers/src/visitors/repository.js";
import { countingD1, cst, sim } from "./visitors-support.js";

/** A lot only this test uses, with `authorisations` generated ones (other people's monthly and free passes). */
export async function lotOfItsOwn(name: string, authorisations: number): Promise<string> {
  const parkingId = `${name}-${Math.random().toString(36).slice(2, 8)}`;
  await sim("/__sim/lots", { body: { parkingId, plateRegion: "浙Z" } });
  for (let left = authorisations; left > 0; left -= 50_000) {
    await sim("/__sim/authorisations/bulk", { body: { parkingId, count: Math.min(left, 50_000) } });
  }
  return parkingId;
}

let grantsMade = 0;
export const ENDS = "2026-11-22 10:00";
export const ENDED_AT = cst(ENDS);

/**
 * Active grants of `parkingId` for `plates`, ending at `endsAt` (default 10:00 UTC+8 on 2026-11-22, that day), recorded in D1,
 * each with its free authorisation (marked with the grant) on the simulator.
 */
export async function dueGrants(parkingId: string, plates: string[], endsAt = ENDED_AT): Promise<GrantRow[]> {
  const created = cst("2026-11-21 20:00");
  grantsMade += plates.length;
  const rows = plates.map(
    (plate, i): GrantRow => ({
      id: `vg_${parkingId}_${String(grantsMade - plates.length + i).padStart(5, "0")}`,
      parking_id: parkingId,
      vehicle_code: plate,
      visitor_name: "访客",
      visitor_phone: "13800000000",
      reason: null,
      lane_nos: null,
      starts_at: created,
      ends_at: endsAt,
      starts_at_local: "2026-11-21 20:00:00",
      ends_at_local: formatPlatformTime(endsAt, "second"),
      platform_start_date: "2026-11-21",
      platform_end_date: "2026-11-22",
      source: "api",
      source_ref: null,
      app_key: null,
      status: "active",
      closed_reason: null,
      attempts: 0,
      last_error: null,
      next_attempt_at: null,
      lease_owner: null,
      lease_until: null,
      created_at: created,
      updated_at: created,
    }),
  );
  for (let i = 0; i < rows.length; i += 200) {
    await env.DB.batch(rows.slice(i, i + 200).map((row) => insertGrant(env.DB, row)));
  }
  await sim("/__sim/authorisations/bulk", {
    body: {
      parkingId,
      items: rows.map((row) => ({
        vehicleCode: row.vehicle_code,
        vehicleType: "2",
        userName: row.visitor_name,
        userPhoneNumber: row.visitor_phone,
        startTime: row.platform_start_date,
        endTime: row.platform_end_date,
        remark: platformRemark(row.id, null),
      })),
    },
  });
  return rows;
}

interface Queued {
  body: ExpiryMessage;
  attempts: number;
}

export interface Invocation {
  via: "cron" | "queue";
  platformCalls: number;
  d1Statements: number;
  report: ExpiryReport | undefined;
}

/**
 * Plays the cron and the queue as Cloudflare would, one invocation at a time: `cron(now)` runs
 * the planner, `drain()` delivers every message it and its consumers send (max_batch_size = 1)
 * until the queue is empty. A message's delay (a retry) advances its clock instead of being
 * waited for. Each invocation gets its own counting transport and D1, as the limits are per invocation.
 */
export function expiryDriver(base: Env) {
  const queue: Queued[] = [];
  const invocations: Invocation[] = [];
  const capture = (delayed: Array<{ body: ExpiryMessage; delaySeconds?: number }>) => {
    for (const { body, delaySeconds } of delayed) {
      queue.push({ body: { ...body, now: body.now + (delaySeconds ?? 0) * 1000 }, attempts: 1 });
    }
  };
  const invocationEnv = () => {
    let calls = 0;
    const counting: typeof fetch = (input, init) => {
      calls++;
      return fetch(input, init);
    };
    const d1 = countingD1(base.DB);
    const expiry = {
      send: async (body: ExpiryMessage, opts?: { delaySeconds?: number }) => capture([{ body, ...opts }]),
      sendBatch: async (messages: Array<{ body: ExpiryMessage; delaySeconds?: number }>) => capture(messages),
    } as unknown as Queue<ExpiryMessage>;
    return {
      env: { ...base, DB: d1.db, EXPIRY: expiry } as Env,
      fetch: counting,
      counts: () => ({ platformCalls: calls, d1Statements: d1.statements }),
    };
  };
  return {
    invocations,
    queued: () => queue.length,
    async cron(now: number): Promise<ExpiryReport> {
      const run = invocationEnv();
      const report = await planExpiry(run.env, { now, fetch: run.fetch });
      invocations.push({ via: "cron", ...run.counts(), report });
      return report;
    },
    async drain(maxInvocations = 2000): Promise<void> {
      for (let n = 0; queue.length > 0; n++) {
        if (n >= maxInvocations) throw new Error("the expiry queue did not drain");
        const message = queue.shift() as Queued;
        const run = invocationEnv();
        const batch = createMessageBatch<ExpiryMessage>("parkbridge-expiry", [
          { id: `m${n}`, timestamp: new Date(message.body.now), attempts: message.attempts, body: message.body },
        ]);
        const ctx = createExecutionContext();
        const { lines } = await withReports(() => consumeExpiry(batch, run.env, { fetch: run.fetch }));
        const result = await getQueueResult(batch, ctx);
        if (result.retryMessages.length > 0 || result.retryBatch.retry) {
          queue.push({ body: { ...message.body, now: message.body.now + 5_000 }, attempts: message.attempts + 1 });
        }
        invocations.push({ via: "queue", ...run.counts(), report: lines[0] });
      }
    },
  };
}

/** Runs `work`, keeping the reports the expiry logs (one JSON line per invocation) out of the test output. */
async function withReports<T>(work: () => Promise<T>): Promise<{ result: T; lines: ExpiryReport[] }> {
  const lines: ExpiryReport[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => {
    const text = String(args[0]);
    if (text.startsWith('{"job":"visitor-expiry"')) lines.push(JSON.parse(text) as ExpiryReport);
    else original(...args);
  };
  try {
    return { result: await work(), lines };
  } finally {
    console.log = original;
  }
}
