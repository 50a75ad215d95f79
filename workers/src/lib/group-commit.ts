/**
 * Group commit: concurrent requests in one isolate share one storage round trip. The first
 * caller while nothing is in flight leads at once (no added latency when traffic is light);
 * callers arriving while a commit is in flight wait, and when it ends the oldest of them leads
 * the next commit for every waiter that fits. Each commit runs in its leader's own request (its
 * I/O belongs to that request, kept alive by `waitUntil`), so at most one commit is in flight.
 *
 * The leader wakes its waiters by resolving promises they created. workerd runs each woken
 * continuation in its own request only when `handle_cross_request_promise_resolution` is on
 * (the default since 2024-10-14; vitest-pool-workers turns it off for its runner); otherwise it
 * would run in the leader's request and the waiter's own I/O, its answer included, would fail.
 * So where the flag is off, waiters poll their slot on their own timer instead. Either way a
 * waiter holds a timer of its own: it keeps its request alive (workerd cancels a request that
 * waits on nothing of its own as hung) and bounds the wait; when it runs out the waiter is told
 * to run alone, so callers' work must be idempotent.
 */

/** What `submit` answers when the caller must do its work alone (see `maxWaitMs`). */
export const RUN_ALONE = Symbol("run alone");

export interface GroupCommitOptions<I, O> {
  /** Commits a group; answers one output per input, in order. A rejection fails every member. */
  run(inputs: I[]): Promise<O[]>;
  /** An input's share of the budget (e.g. its bytes). */
  weight(input: I): number;
  /** A group's budget; a single input over it still runs (alone). */
  maxWeight: number;
  /** At most this many inputs in a group. */
  maxInputs: number;
  /** The longest a caller waits for a group before running alone, ms. */
  maxWaitMs: number;
  /** How often a waiter looks at its slot where it cannot be woken, ms (default 1). */
  pollMs?: number;
  /** Whether a leader may wake waiters of other requests (default: what the runtime says). */
  canWakeAcrossRequests?: boolean;
}

type Turn<O> = { kind: "done"; value: O } | { kind: "failed"; error: unknown } | { kind: "lead" };

interface Waiter<I, O> {
  input: I;
  /** Set once, by the leader that committed it or handed over to it; read by the waiter's own polling. */
  turn?: Turn<O>;
  /** The waiter stopped waiting (ran alone): nobody may hand over to it. */
  gone?: boolean;
  /** Resolves the waiter's own promise (only where that is allowed across requests). */
  wake?: () => void;
}

export interface GroupCommit<I, O> {
  /**
   * Adds `input` to the next group and resolves with its output, or with RUN_ALONE when the
   * wait ran out. `waitUntil` is the caller's `ctx.waitUntil`: a leader's commit finishes even if
   * its own client goes away, since other requests wait on it.
   */
  submit(input: I, waitUntil?: (promise: Promise<unknown>) => void): Promise<O | typeof RUN_ALONE>;
  /** How many groups and inputs were committed so far (diagnostics, tests). */
  readonly stats: { groups: number; inputs: number; largest: number; ranAlone: number; wakesAcrossRequests: boolean };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether this isolate runs woken continuations in their own request (a compatibility flag). */
export function runtimeWakesAcrossRequests(): boolean {
  const flags = (globalThis as { Cloudflare?: { compatibilityFlags?: Record<string, boolean> } }).Cloudflare
    ?.compatibilityFlags;
  return flags?.handle_cross_request_promise_resolution === true;
}

export function createGroupCommit<I, O>(options: GroupCommitOptions<I, O>): GroupCommit<I, O> {
  const pollMs = options.pollMs ?? 1;
  const canWake = options.canWakeAcrossRequests ?? runtimeWakesAcrossRequests();
  const waiting: Waiter<I, O>[] = [];
  /** When the commit in flight (or the handover to the next leader) started; undefined when idle. */
  let busySince: number | undefined;
  const stats = { groups: 0, inputs: 0, largest: 0, ranAlone: 0, wakesAcrossRequests: canWake };

  function give(waiter: Waiter<I, O>, turn: Turn<O>): void {
    waiter.turn = turn;
    waiter.wake?.();
  }

  /** Waits until the waiter has its turn or the wait runs out, on the waiter's own timers. */
  async function wait(self: Waiter<I, O>): Promise<void> {
    if (self.turn) return;
    if (!canWake) {
      for (let waited = 0; !self.turn && waited < options.maxWaitMs; waited += pollMs) await sleep(pollMs);
      return;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      self.wake = resolve;
      timer = setTimeout(resolve, options.maxWaitMs);
    });
    clearTimeout(timer);
  }

  /** The leader and the waiters behind it that fit the budget. */
  function takeGroup(leader: Waiter<I, O>): Waiter<I, O>[] {
    const group = [leader];
    let weight = options.weight(leader.input);
    while (waiting.length && group.length < options.maxInputs) {
      const next = waiting[0] as Waiter<I, O>;
      const nextWeight = options.weight(next.input);
      if (weight + nextWeight > options.maxWeight) break;
      waiting.shift();
      group.push(next);
      weight += nextWeight;
    }
    return group;
  }

  /** Hands over to the oldest waiter still waiting, or goes idle. */
  function handOver(): void {
    for (let next = waiting.shift(); next; next = waiting.shift()) {
      if (next.gone) continue;
      busySince = Date.now();
      give(next, { kind: "lead" });
      return;
    }
    busySince = undefined;
  }

  async function lead(leader: Waiter<I, O>, waitUntil?: (promise: Promise<unknown>) => void): Promise<O> {
    busySince = Date.now();
    const group = takeGroup(leader);
    stats.groups++;
    stats.inputs += group.length;
    stats.largest = Math.max(stats.largest, group.length);
    const commit = options.run(group.map((member) => member.input));
    waitUntil?.(commit.catch(() => undefined));
    try {
      const outputs = await commit;
      for (const [index, member] of group.entries()) give(member, { kind: "done", value: outputs[index] as O });
      return outputs[0] as O;
    } catch (error) {
      for (const member of group) give(member, { kind: "failed", error });
      throw error;
    } finally {
      handOver();
    }
  }

  async function submit(input: I, waitUntil?: (promise: Promise<unknown>) => void): Promise<O | typeof RUN_ALONE> {
    // A leader whose request was cancelled mid-commit never hands over: past the wait bound,
    // stop waiting for it (its own group's waiters run alone when their waits run out).
    if (busySince !== undefined && Date.now() - busySince > options.maxWaitMs) busySince = undefined;
    const self: Waiter<I, O> = { input };
    if (busySince === undefined && waiting.length === 0) return lead(self, waitUntil);

    waiting.push(self);
    if (busySince === undefined) handOver(); // idle but others waiting: only after a lost leader
    await wait(self);
    const turn = self.turn;
    if (!turn) {
      self.gone = true;
      const index = waiting.indexOf(self);
      if (index >= 0) waiting.splice(index, 1);
      stats.ranAlone++;
      return RUN_ALONE;
    }
    if (turn.kind === "lead") return lead(self, waitUntil);
    if (turn.kind === "failed") throw turn.error;
    return turn.value;
  }

  return { submit, stats };
}
