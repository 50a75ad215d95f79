/**
 * CPU of one page of the history's reconciliation, in Node (a proxy for workerd: the same V8): the
 * page's result schema (compiled, as the client checks answers), each record checked and normalised as its callback (accessesOf) and
 * planned as a store row (planStore), warm, median of the repetitions, in CPU time (process.cpuUsage). The SHA-256 digests are left
 * out: native in workerd, a thread-pool round trip each in Node. Used by bench/reconcile.ts.
 */
import { operations } from "@parkbridge/shared";
import { fastParser } from "../../shared/src/platform/fast-parse.js";
import { planStore } from "../../workers/src/callbacks/store.js";
import { openPlatformRecords } from "../../workers/src/records/open-platform.js";
import { median } from "../lib/stats.js";

/** The process's CPU time so far, ms (user + system): unlike the wall clock, not inflated by a busy machine. */
const cpuMs = () => {
  const usage = (
    globalThis as unknown as { process: { cpuUsage(): { user: number; system: number } } }
  ).process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

/** Milliseconds of CPU to check and plan one page of `size` records. */
export function pageCpu(size: number, repetitions = 15): number {
  const page = {
    hasMore: false,
    data: Array.from({ length: size }, (_, i) => ({
      recordId: String(100_000 + i),
      vehicleCode: `鲁A${String(10_000 + i)}`,
      vehicleType: "9",
      accessType: i % 2 ? "1" : "2",
      time: "2026-11-22 08:00:00",
      laneNo: String(1 + (i % 2)),
      laneName: i % 2 ? "入口车道1" : "出口车道1",
      photo: `http://127.0.0.1/simulator/photos/park1/${i}.jpg`,
      parkingId: "park1",
      userName: "",
      workNo: "",
      phoneNum: "",
    })),
  };
  const parse = fastParser(operations.listAccessRecords.result);
  const times: number[] = [];
  for (let rep = 0; rep < repetitions + 3; rep++) {
    const started = cpuMs();
    // As the client checks an answer: the catalogue's result schema compiled (fast-parse.ts).
    const parsed = parse(page) as { data: unknown[] };
    const receivedAt = new Date();
    for (const item of parsed.data) {
      for (const access of openPlatformRecords.accessesOf(item as never, { parkingId: "park1", receivedAt })) {
        if ("unusable" in access) throw new Error(access.unusable);
        planStore({
          appKey: "a",
          callbackType: access.callbackType,
          bodyDigest: "",
          callback: access.callback,
          body: access.body,
          headers: {},
          receivedAt,
          eventId: access.recordId,
          maxSkewMs: 600_000,
          record: { id: access.recordId },
        });
      }
    }
    if (rep >= 3) times.push(cpuMs() - started);
  }
  return median(times);
}
