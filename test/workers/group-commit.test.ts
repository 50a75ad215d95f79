/**
 * The group commit on its own (workers/src/lib/group-commit.ts): who leads, who waits, how
 * groups are cut, and what happens when a commit fails or its leader never comes back.
 */
import { describe, expect, it } from "vitest";
import { createGroupCommit, RUN_ALONE } from "../../workers/src/lib/group-commit.js";

/** A commit function whose calls the test releases by hand. */
function manualCommits() {
  const calls: Array<{ inputs: number[]; release(): void; fail(error: Error): void }> = [];
  const run = (inputs: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      calls.push({ inputs, release: () => resolve(inputs.map((n) => `out-${n}`)), fail: reject });
    });
  return { calls, run };
}

// Waiters look at their slot every millisecond: give them a few.
const tick = () => new Promise((resolve) => setTimeout(resolve, 10));

describe.each([true, false])("group commit (waiters woken by the leader: %s)", (canWakeAcrossRequests) => {
  const groupOf = (run: (inputs: number[]) => Promise<string[]>, options: { maxWaitMs?: number } = {}) =>
    createGroupCommit<number, string>({
      run,
      weight: () => 1,
      maxWeight: 100,
      maxInputs: 10,
      maxWaitMs: options.maxWaitMs ?? 5000,
      canWakeAcrossRequests,
    });

  it("runs a lone caller at once, then commits everyone who arrived meanwhile in one group, in order", async () => {
    const { calls, run } = manualCommits();
    const group = groupOf(run);
    const first = group.submit(1);
    await tick();
    expect(calls.map((c) => c.inputs)).toEqual([[1]]);
    const later = [2, 3, 4].map((n) => group.submit(n));
    await tick();
    expect(calls).toHaveLength(1);
    calls[0]?.release();
    expect(await first).toBe("out-1");
    await tick();
    expect(calls.map((c) => c.inputs)).toEqual([[1], [2, 3, 4]]);
    calls[1]?.release();
    expect(await Promise.all(later)).toEqual(["out-2", "out-3", "out-4"]);
    expect(group.stats).toMatchObject({ groups: 2, inputs: 4, largest: 3, ranAlone: 0 });
    // Idle again: the next caller leads at once.
    const next = group.submit(5);
    await tick();
    expect(calls.at(-1)?.inputs).toEqual([5]);
    calls.at(-1)?.release();
    expect(await next).toBe("out-5");
  });

  it("cuts groups by weight and by count, keeping arrival order", async () => {
    const { calls, run } = manualCommits();
    const group = createGroupCommit<number, string>({
      run,
      weight: (n) => n,
      maxWeight: 10,
      maxInputs: 3,
      maxWaitMs: 5000,
      canWakeAcrossRequests,
    });
    const all = [group.submit(1)];
    await tick();
    all.push(...[4, 5, 2, 1, 1, 1, 9].map((n) => group.submit(n)));
    const seen: number[][] = [];
    for (let round = 0; round < 10; round++) {
      await tick();
      for (const call of calls.splice(0)) {
        expect(call.inputs.reduce((a, b) => a + b, 0) <= 10 || call.inputs.length === 1).toBe(true);
        expect(call.inputs.length).toBeLessThanOrEqual(3);
        seen.push(call.inputs);
        call.release();
      }
    }
    await Promise.all(all);
    // [1] alone, then [4,5] (weight 9; +2 would be 11), [2,1,1] (count 3), [1,9]... 1+9 = 10 fits.
    expect(seen).toEqual([[1], [4, 5], [2, 1, 1], [1, 9]]);
  });

  it("fails every member of a failed group, and the next group still runs", async () => {
    const { calls, run } = manualCommits();
    const group = groupOf(run);
    const first = group.submit(1);
    await tick();
    const failing = [group.submit(2), group.submit(3)];
    calls[0]?.release();
    await first;
    await tick();
    const after = group.submit(4);
    calls[1]?.fail(new Error("D1 is down"));
    for (const member of failing) await expect(member).rejects.toThrow("D1 is down");
    await tick();
    expect(calls[2]?.inputs).toEqual([4]);
    calls[2]?.release();
    expect(await after).toBe("out-4");
  });

  it("tells waiters to run alone when the leader never comes back, and does not stay blocked", async () => {
    const { calls, run } = manualCommits();
    const group = groupOf(run, { maxWaitMs: 50 });
    void group.submit(1); // its commit never ends (a cancelled request)
    await tick();
    const started = Date.now();
    expect(await group.submit(2)).toBe(RUN_ALONE);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(group.stats.ranAlone).toBe(1);
    // Past the bound, a new caller leads instead of queueing behind the lost commit.
    const next = group.submit(3);
    await tick();
    expect(calls.at(-1)?.inputs).toEqual([3]);
    calls.at(-1)?.release();
    expect(await next).toBe("out-3");
  });
});
