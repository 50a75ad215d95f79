/**
 * The cron's part of the visitor expiry when the `parkbridge-expiry` queue is bound: every
 * minute it abandons rounds past their deadline, opens a round for each lot with due grants
 * (one conditional batch claims them; a lot with an open round waits for it), refreshes each
 * account's shared token ahead of its expiry, and starts the rounds' scans: a small lot is
 * scanned and ended in this invocation, a large one by queue consumers in parallel.
 * Times: `now` is the cron's scheduledTime (UTC); grant ends are instants, no zone arithmetic.
 */
import type { Env } from "../env.js";
import { newId } from "../lib/ids.js";
import { readVisitorConfig } from "../visitors/config.js";
import { windowsFor } from "../visitors/lot-scan.js";
import { ExpiryInvocation, type ExpiryReport, type ExpiryInvocation as Invocation } from "./invocation.js";
import { abandonExpiredRounds, lotsWithWork, openRoundsStatements, type RoundRow } from "./rounds.js";
import { PENDING_GRACE_MS } from "./sweep.js";
import { runTasks } from "./tasks.js";

/** How long a round (and its hold on its grants) lasts before it is abandoned and its grants claimed again. */
export const ROUND_LEASE_MS = 10 * 60_000;
/** Lots given a round per cron run (the rest wait a minute). */
const LOTS_PER_RUN = 50;
/** The cron refreshes an account's shared token this long before the consumers would have to. */
const TOKEN_AHEAD_MS = 10 * 60_000;

export interface PlanOptions {
  /** The run's instant (epoch ms): the cron's scheduledTime. */
  now: number;
  /** The transport under the call budget (tests; default global fetch). */
  fetch?: typeof fetch;
}

export async function planExpiry(env: Env, options: PlanOptions): Promise<ExpiryReport> {
  const config = readVisitorConfig(env);
  // The cron invocation is shared with the other scheduled jobs: the sweep's caps, not the consumers'.
  const inv = new ExpiryInvocation(env, {
    via: "cron",
    now: options.now,
    maxPlatformCalls: config.sweepMaxPlatformCalls,
    maxD1Queries: config.sweepMaxD1Queries,
    fetch: options.fetch,
  });
  const now = options.now;
  await abandonExpiredRounds(inv.db, now).run();
  const window = { now, pendingBefore: now - PENDING_GRACE_MS, primaryAppKey: env.PLATFORM_APP_KEY };
  const lots = await lotsWithWork(inv.db, window, LOTS_PER_RUN);
  if (lots.length === 0) return inv.finish();

  const rounds = lots.map((lot) => ({
    id: newId("xr", now),
    appKey: lot.app_key,
    parkingId: lot.parking_id,
    windowsPlanned: lot.authorisations === null ? 1 : windowsFor(lot.authorisations),
  }));
  const results = await inv.db.batch(
    openRoundsStatements(inv.db, rounds, {
      ...window,
      deadline: now + ROUND_LEASE_MS,
      chunkWindows: config.expiryScanPages,
      maxGrants: config.expiryRoundGrants,
    }),
  );
  const opened = ((results.at(-1)?.results ?? []) as RoundRow[]).filter((r) => r.status === "scanning");
  inv.report.roundsOpened = opened.length;

  await refreshTokens(inv, opened);
  await runTasks(
    inv,
    opened.flatMap((round) =>
      Array.from({ length: Math.ceil(round.windows_planned / round.chunk_windows) }, (_, chunk) => ({
        task: { kind: "scan", roundId: round.id, chunk } as const,
        attempt: 1,
      })),
    ),
  );
  return inv.finish();
}

/** Each account with a new round gets a token that outlasts the round, before the consumers need it. */
async function refreshTokens(inv: Invocation, rounds: RoundRow[]): Promise<void> {
  for (const appKey of new Set(rounds.map((r) => r.app_key))) {
    if (!inv.accounts.has(appKey)) continue; // the round fails with the reason (tasks.ts)
    try {
      await inv.tokens.refreshAhead(appKey, inv.accounts.client(appKey), TOKEN_AHEAD_MS);
    } catch (error) {
      // The tasks ask again (and fail with the platform's reason if it persists).
      console.error(`visitor expiry: could not refresh the token of ${appKey}:`, String(error));
    }
  }
}
