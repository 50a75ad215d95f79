/**
 * The tasks of an expiry round, each sized to one invocation's budget:
 * - scan chunk: reads a few windows of the lot's authorisations (visitors/lot-scan.ts), keeps
 *   the sightings of the round's plates and the window edges; the chunk that completes the scan
 *   joins every chunk's edges into the verdict (complete or not) and fans out the revocations;
 * - revoke share: takes up to one invocation's worth of the round's grants and judges each
 *   against its sighting (judgeOwnership), deletes what is still the grant's, and records every
 *   outcome and audit row in one batch.
 * runTasks runs what the invocation can afford and hands the rest to the queue first, so other
 * invocations start on them at once.
 */
import { TransportError } from "@parkbridge/shared";
import type { GrantRow } from "../visitors/grant.js";
import { edgesOf, firstBreak, type ScanWindow, shareAPlate, windowAt, windowStart } from "../visitors/lot-scan.js";
import { type Authorisation, judgeOwnership } from "../visitors/ownership.js";
import { type BulkChange, bulkTransitionStatements } from "../visitors/repository.js";
import { isBudgetExhausted } from "./budget.js";
import type { ExpiryInvocation, ExpiryTask, QueuedTask } from "./invocation.js";
import { openRounds, wakeUpBefore } from "./opening.js";
import { closingOf, failureOf, type GrantChange, settlingOf } from "./outcomes.js";
import {
  type ChunkRow,
  chunksOf,
  claimShareStatements,
  closeRoundStatement,
  finishScanStatements,
  handBackStatements,
  poolGrants,
  poolOf,
  type RoundRow,
  recordChunkStatements,
  type Sighting,
  scanContextStatements,
  taskLease,
} from "./rounds.js";

/** Attempts of a scan chunk before its round fails (its grants then back off like any failure). */
const SCAN_ATTEMPTS = 3;
/** How long a revoke task holds its share: far longer than its calls take, far shorter than a round. */
const TASK_LEASE_MS = 2 * 60_000;
/** Platform calls a task keeps for a token refresh and one retry. */
const CALL_RESERVE = 2;
/** D1 statements a task runs at most (its batches and a token read and store). */
const D1_PER_TASK = 12;
/** Changes per bulk statement pair: keeps the JSON parameter far under D1's 2 MB. */
const BULK_CHUNK = 1000;

/** Grants one revoke task takes: what a consumer invocation's calls allow. */
export const revokeShareSize = (inv: ExpiryInvocation) => Math.max(1, inv.config.expiryMaxPlatformCalls - CALL_RESERVE);

const actorOf = (roundId: string) => `sweep:${roundId}`;

/** Platform calls a task needs at least: a scan its chunk's windows, a revocation one deletion. */
const callsNeeded = (inv: ExpiryInvocation, task: ExpiryTask) =>
  ({ scan: inv.config.expiryScanPages, revoke: 1, plan: 0 })[task.kind] + CALL_RESERVE;

/**
 * Runs tasks in this invocation while it can afford them (each one's follow-ups too), handing
 * the others to the queue before starting, so other invocations work on them meanwhile. With
 * `first`, the first task runs whatever the budget (the message a consumer invocation was
 * started for) and its failure is thrown (the message is retried).
 */
export async function runTasks(inv: ExpiryInvocation, tasks: QueuedTask[], first = false): Promise<void> {
  let pending = tasks;
  let forced = first ? tasks[0] : undefined;
  while (pending.length > 0) {
    const here: QueuedTask[] = [];
    const there: QueuedTask[] = [];
    let calls = inv.calls.remaining;
    let d1 = inv.d1.remaining;
    // One scan chunk per invocation: parsing its pages is most of the CPU time (10 ms on the free plan).
    let scans = inv.report.windowsRead > 0 ? 1 : 0;
    for (const item of pending) {
      const need = callsNeeded(inv, item.task);
      const scan = item.task.kind === "scan";
      if (item === forced || (!item.delaySeconds && calls >= need && d1 >= D1_PER_TASK && !(scan && scans > 0))) {
        here.push(item);
        // A revocation takes what calls are left; a scan its windows.
        calls = item.task.kind === "revoke" ? 0 : calls - need;
        d1 -= D1_PER_TASK;
        if (scan) scans++;
      } else there.push(item);
    }
    await inv.send(there);
    pending = [];
    for (const item of here) {
      inv.report.tasksRun++;
      try {
        pending.push(...(await runTask(inv, item)));
      } catch (error) {
        if (item === forced) throw error;
        // Not the platform (a task handles that itself): D1 failed, or a budget ran out unforeseen.
        // Everything a task writes is conditional, so another invocation can run it again.
        console.error(`expiry task ${JSON.stringify(item.task)} failed:`, String(error));
        await inv.send([{ ...item, delaySeconds: 5 }]);
      }
    }
    forced = undefined;
  }
}

function runTask(inv: ExpiryInvocation, item: QueuedTask): Promise<QueuedTask[]> {
  switch (item.task.kind) {
    case "scan":
      return scanChunk(inv, item.task.roundId, item.task.chunk, item.attempt);
    case "revoke":
      return revokeShare(inv, item.task.roundId);
    case "plan":
      return wakeUp(inv, item.task.until);
  }
}

/** Between cron ticks: the rounds the cron would open now, and the next wake-up before the tick. */
async function wakeUp(inv: ExpiryInvocation, until: number): Promise<QueuedTask[]> {
  const scans = await openRounds(inv);
  const next = await wakeUpBefore(inv, until, "wake-up");
  return next ? [next, ...scans] : scans;
}

// ---- scan ----------------------------------------------------------------------------------

/** Only what ownership is judged on is kept of an authorisation: no names, no phone numbers. */
const kept = (a: Authorisation) => ({
  vehicleCode: a.vehicleCode,
  vehicleType: a.vehicleType,
  startTime: a.startTime,
  endTime: a.endTime,
  remark: a.remark,
});

async function scanChunk(inv: ExpiryInvocation, roundId: string, chunk: number, attempt: number) {
  const [roundResult, poolResult] = await inv.db.batch(scanContextStatements(inv.db, roundId));
  const round = roundResult?.results[0] as RoundRow | undefined;
  if (round?.status !== "scanning") return [];
  const wanted = new Map<string, string>();
  for (const row of (poolResult?.results ?? []) as Array<{ id: string; vehicle_code: string }>) {
    wanted.set(row.vehicle_code, row.id);
  }
  const per = round.chunk_windows;
  const from = chunk * per;
  const plannedTop = round.windows_planned - 1;
  if (from > plannedTop) return [];
  // The chunk with the plan's last window reads its whole range: the list may go on past the plan.
  const isTop = (chunk + 1) * per - 1 >= plannedTop;
  const last = isTop ? (chunk + 1) * per - 1 : Math.min((chunk + 1) * per - 1, plannedTop);

  const reads: Array<{ window: ScanWindow; plates: string[]; hasMore: boolean }> = [];
  const sightings = new Map<string, Sighting>();
  try {
    const client = inv.accounts.client(round.app_key);
    for (let index = from; index <= last; ) {
      const group: number[] = [];
      for (; index <= last && group.length < inv.config.expiryParallelCalls; index++) group.push(index);
      const pages = await Promise.all(
        group.map(async (i) => {
          const window = windowAt(i);
          const page = await client.listVehicles({
            parkingId: round.parking_id,
            pageNo: window.pageNo,
            pageSize: window.pageSize,
          });
          return { window, page, readAt: inv.now() };
        }),
      );
      inv.report.windowsRead += pages.length;
      let ended = false;
      for (const { window, page, readAt } of pages) {
        if (ended) break;
        const plates = page.data.map((item) => String(item.vehicleCode));
        reads.push({ window, plates, hasMore: page.hasMore });
        page.data.forEach((item, i) => {
          const grantId = wanted.get(plates[i] as string);
          const seen = grantId ? sightings.get(grantId) : undefined;
          if (grantId && (!seen || seen.readAt <= readAt)) {
            sightings.set(grantId, { grantId, authorisation: kept(item), readAt });
          }
        });
        // Past the end of the list (or an empty window that says there is more: it moved under us).
        if (!page.hasMore || page.data.length === 0) ended = true;
      }
      if (ended) break;
    }
  } catch (error) {
    return scanFailed(inv, round, { kind: "scan", roundId, chunk }, attempt, error);
  }

  const edges = reads.map((r) => edgesOf(r.plates, r.hasMore));
  const lastRead = reads.at(-1) as (typeof reads)[number];
  const lastEdges = edges.at(-1) as (typeof edges)[number];
  const reachedEnd = !lastRead.hasMore;
  const extend = isTop && !reachedEnd;
  // The list goes on past the plan: double it (the next chunks are read in parallel).
  const extendTo = extend ? 2 * (chunk + 1) * per : undefined;
  const results = await inv.db.batch(
    recordChunkStatements(inv.db, {
      roundId,
      chunk,
      fromWindow: from,
      toWindow: from + reads.length - 1,
      head: edges[0]?.head ?? [],
      tail: lastEdges.tail,
      reachedEnd,
      endPosition: reachedEnd ? windowStart(lastRead.window) + lastEdges.count : null,
      broken: firstBreak(edges, from),
      readAt: inv.now(),
      sightings: [...sightings.values()],
      extendTo,
    }),
  );
  const state = results.at(-1)?.results[0] as
    | { status: string; windows_planned: number; chunk_windows: number; chunks_in: number }
    | undefined;
  const followUps: QueuedTask[] = [];
  if (extendTo !== undefined) {
    for (let next = chunk + 1; next * per < extendTo; next++) {
      followUps.push({ task: { kind: "scan", roundId, chunk: next }, attempt: 1 });
    }
  }
  if (state?.status === "scanning" && state.chunks_in >= Math.ceil(state.windows_planned / state.chunk_windows)) {
    followUps.push(...(await finishScan(inv, round)));
  }
  return followUps;
}

/** Joins the chunks' windows (each chunk joined its own): complete when they join up to one that reached the end. */
export function verdictOf(chunks: ChunkRow[]): {
  complete: boolean;
  reason: string | null;
  authorisations: number | null;
} {
  for (let i = 0; i < chunks.length; i++) {
    const chunk = chunks[i] as ChunkRow;
    if (chunk.chunk !== i)
      return { complete: false, reason: `chunk ${i} of the scan is missing`, authorisations: null };
    if (chunk.broken) return { complete: false, reason: chunk.broken, authorisations: null };
    if (chunk.reached_end) return { complete: true, reason: null, authorisations: chunk.end_position };
    const next = chunks[i + 1];
    if (!next) return { complete: false, reason: "no page reached the end of the list", authorisations: null };
    const joined = shareAPlate({ tail: JSON.parse(chunk.tail) }, { head: JSON.parse(next.head) });
    if (!joined) {
      return {
        complete: false,
        reason: `pages ${chunk.to_window + 1} and ${next.from_window + 1} share no plate: the list changed between their reads`,
        authorisations: null,
      };
    }
  }
  return { complete: false, reason: "the scan read nothing", authorisations: null };
}

async function finishScan(inv: ExpiryInvocation, round: RoundRow): Promise<QueuedTask[]> {
  const verdict = verdictOf(await chunksOf(inv.db, round.id));
  const [won] = await inv.db.batch(finishScanStatements(inv.db, round, verdict, inv.now()));
  const revoking = won?.results[0] as RoundRow | undefined;
  if (!revoking) return [];
  const shares = Math.max(1, Math.ceil(revoking.grants / revokeShareSize(inv)));
  return Array.from({ length: shares }, () => ({ task: { kind: "revoke", roundId: round.id } as const, attempt: 1 }));
}

/** A chunk could not be read: again later if the failure may pass, else the round fails (every grant records the attempt). */
async function scanFailed(
  inv: ExpiryInvocation,
  round: RoundRow,
  task: ExpiryTask,
  attempt: number,
  error: unknown,
): Promise<QueuedTask[]> {
  if (isBudgetExhausted(error)) return [{ task, attempt, delaySeconds: 1 }];
  if (error instanceof TransportError && attempt < SCAN_ATTEMPTS) {
    return [{ task, attempt: attempt + 1, delaySeconds: 5 * attempt }];
  }
  const now = inv.now();
  const pool = await poolGrants(inv.db, round.id);
  const changes = pool.map((grant) => bulkChange(grant, failureOf(grant, error, now, inv.config.sweepMaxAttempts)));
  const statements: D1PreparedStatement[] = [];
  for (let i = 0; i < changes.length; i += BULK_CHUNK) {
    statements.push(
      ...bulkTransitionStatements(inv.db, {
        leaseOwner: poolOf(round.id),
        at: now,
        actor: actorOf(round.id),
        changes: changes.slice(i, i + BULK_CHUNK),
      }),
    );
  }
  statements.push(closeRoundStatement(inv.db, round.id, "failed", String((error as Error)?.message ?? error), now));
  await inv.db.batch(statements);
  for (const change of changes) change.status === "failed" ? inv.report.failed++ : inv.report.retrying++;
  return [];
}

// ---- revoke --------------------------------------------------------------------------------

const bulkChange = (grant: GrantRow, change: GrantChange): BulkChange => ({
  id: grant.id,
  from: grant.status,
  ...change,
});

async function revokeShare(inv: ExpiryInvocation, roundId: string): Promise<QueuedTask[]> {
  const full = revokeShareSize(inv);
  const count = Math.min(full, inv.calls.remaining - CALL_RESERVE);
  if (count < 1) return [{ task: { kind: "revoke", roundId }, attempt: 1 }];
  const lease = taskLease(roundId, crypto.randomUUID().slice(0, 8));
  const claimedAt = inv.now();
  const [roundResult, claimResult, sightingResult] = await inv.db.batch(
    claimShareStatements(inv.db, { roundId, lease, until: claimedAt + TASK_LEASE_MS, now: claimedAt, count }),
  );
  const round = roundResult?.results[0] as RoundRow | undefined;
  if (round?.status !== "revoking") return [];
  const grants = (claimResult?.results ?? []) as GrantRow[];
  const until = Math.min(claimedAt + TASK_LEASE_MS, round.deadline);
  const sightings = new Map<string, Authorisation>();
  for (const row of (sightingResult?.results ?? []) as Array<{ grant_id: string; authorisation: string }>) {
    sightings.set(row.grant_id, JSON.parse(row.authorisation) as Authorisation);
  }
  const complete = round.scan_complete === 1;
  const changes: BulkChange[] = [];
  const deferred: string[] = [];
  const toDelete: GrantRow[] = [];
  const now = inv.now();

  for (const grant of grants) {
    const current = sightings.get(grant.id);
    if (!current && !complete) {
      deferred.push(grant.id);
      continue;
    }
    if (grant.status === "pending") {
      changes.push(bulkChange(grant, settlingOf(grant, current, now)));
      continue;
    }
    const ownership = judgeOwnership(grant, current);
    if (ownership.kind === "gone") changes.push(bulkChange(grant, closingOf(grant, { kind: "gone" })));
    else if (ownership.kind === "superseded") {
      changes.push(bulkChange(grant, closingOf(grant, { kind: "superseded", reason: ownership.reason })));
    } else toDelete.push(grant);
  }

  const client = inv.accounts.client(round.app_key);
  const margin = inv.config.platformTimeoutMs + 5_000;
  let next = 0;
  const worker = async () => {
    for (let grant = toDelete[next++]; grant; grant = toDelete[next++]) {
      // Never send a deletion the lease might not outlast: the grant goes back to the pool.
      if (inv.now() + margin > until) return;
      try {
        await client.deleteVehicle({ parkingId: grant.parking_id, vehicleCode: grant.vehicle_code });
        changes.push(bulkChange(grant, closingOf(grant, { kind: "deleted" })));
      } catch (error) {
        if (isBudgetExhausted(error)) return;
        // A refusal (the plate gone after all?) or no answer: the next round's scan tells.
        changes.push(bulkChange(grant, failureOf(grant, error, inv.now(), inv.config.sweepMaxAttempts)));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(inv.config.expiryParallelCalls, toDelete.length) }, worker));

  const statements = [
    ...bulkTransitionStatements(inv.db, { leaseOwner: lease, at: inv.now(), actor: actorOf(roundId), changes }),
    ...handBackStatements(inv.db, { round, lease, deferred, now: inv.now() }),
  ];
  const results = await inv.db.batch(statements);
  for (const change of changes) {
    const counter = {
      expired: "expired",
      expired_already_gone: "expired",
      superseded: "superseded",
      attempt_failed: "retrying",
      failed: "failed",
      reconciled_active: "activated",
      reconciled_rejected: "rejected",
    }[change.action] as "expired" | "superseded" | "retrying" | "failed" | "activated" | "rejected";
    inv.report[counter]++;
  }
  inv.report.deferred += deferred.length;
  const pool = (results.at(-2)?.results[0] as { pool: number } | undefined)?.pool ?? 0;
  const decided = changes.length + deferred.length;
  // Short of a full share while grants wait in the pool: another task takes over from here.
  return pool > 0 && decided < full ? [{ task: { kind: "revoke", roundId }, attempt: 1 }] : [];
}
