/**
 * Opening rounds: abandon rounds past their deadline, open one for each lot with due grants (one
 * conditional batch claims them; a lot with an open round waits for it), refresh each account's
 * shared token ahead of its expiry, and return the new rounds' scan chunks. The cron does it
 * every minute (planner.ts); a wake-up task does it between ticks (EXPIRY_WAKE_UP).
 * Times: `now` is an instant (UTC); grant ends are instants, no zone arithmetic here.
 */
import { newId } from "../lib/ids.js";
import { windowsFor } from "../visitors/lot-scan.js";
import type { ExpiryInvocation, QueuedTask } from "./invocation.js";
import { abandonExpiredRounds, lotsWithWork, nextEndBefore, openRoundsStatements, type RoundRow } from "./rounds.js";
import { PENDING_GRACE_MS } from "./sweep.js";

/** How long a round (and its hold on its grants) lasts before it is abandoned and its grants claimed again. */
export const ROUND_LEASE_MS = 10 * 60_000;
/** Lots given a round per run (the rest wait for the next). */
const LOTS_PER_RUN = 50;
/** An account's shared token is refreshed this long before the consumers would have to. */
const TOKEN_AHEAD_MS = 10 * 60_000;
/** Wake-ups come at least this far apart, and not this close to the next cron tick (it does the work then). */
const WAKE_GAP_MS = 10_000;

export async function openRounds(inv: ExpiryInvocation): Promise<QueuedTask[]> {
  const now = inv.now();
  await abandonExpiredRounds(inv.db, now).run();
  const window = { now, pendingBefore: now - PENDING_GRACE_MS, primaryAppKey: inv.env.PLATFORM_APP_KEY };
  const lots = await lotsWithWork(inv.db, window, LOTS_PER_RUN);
  if (lots.length === 0) return [];
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
      chunkWindows: inv.config.expiryScanPages,
      maxGrants: inv.config.expiryRoundGrants,
    }),
  );
  const opened = ((results.at(-1)?.results ?? []) as RoundRow[]).filter((r) => r.status === "scanning");
  inv.report.roundsOpened += opened.length;
  await refreshTokens(inv, opened);
  return opened.flatMap((round) =>
    Array.from({ length: Math.ceil(round.windows_planned / round.chunk_windows) }, (_, chunk) => ({
      task: { kind: "scan", roundId: round.id, chunk } as const,
      attempt: 1,
    })),
  );
}

/** Each account with a new round gets a token that outlasts the round, before the consumers need it. */
async function refreshTokens(inv: ExpiryInvocation, rounds: RoundRow[]): Promise<void> {
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

/**
 * With EXPIRY_WAKE_UP on: a wake-up for the first grant ending after now and well before `until`
 * (the next cron tick), so it is ended within seconds of its end instead of at the tick. A
 * wake-up's own successor comes at least WAKE_GAP_MS later (at most 6 a minute).
 */
export async function wakeUpBefore(
  inv: ExpiryInvocation,
  until: number,
  after: "cron" | "wake-up",
): Promise<QueuedTask | undefined> {
  if (!inv.config.expiryWakeUp) return undefined;
  const now = inv.now();
  const next = await nextEndBefore(inv.db, now, until - WAKE_GAP_MS);
  if (next === null) return undefined;
  const delayMs = Math.max(next - now, after === "cron" ? 1000 : WAKE_GAP_MS);
  return { task: { kind: "plan", until }, attempt: 1, delaySeconds: Math.ceil(delayMs / 1000) };
}
