/**
 * Faults on demand: rules matched per request (or per callback or report delivery), applied
 * always, for the next N matches, or at a rate drawn from a seeded random source.
 */
import { createRandom, type Random } from "./random.js";

export type FaultKind =
  | "latency"
  | "http500"
  | "http502"
  | "timeout"
  | "platformError"
  | "tokenExpired"
  | "gzip"
  | "gbk"
  | "duplicateCallback"
  | "dropCallback"
  | "sameMillisecond"
  | "lateRecord";

export const faultKinds: readonly FaultKind[] = [
  "latency",
  "http500",
  "http502",
  "timeout",
  "platformError",
  "tokenExpired",
  "gzip",
  "gbk",
  "duplicateCallback",
  "dropCallback",
  "sameMillisecond",
  "lateRecord",
];

export interface FaultRule {
  /**
   * An operation id, "findByCarNo", a partnerService name, "carParkSession"; "callback" (the open
   * platform's callbacks), "report" (every Ebopark report) or a report id ("vehicleEntry"…); or
   * "*" (default "*").
   */
  operation?: string;
  /** Only requests naming this lot (their body's parkingId), or callbacks about it: faults for one test's lot alone. */
  parkingId?: string;
  kind: FaultKind;
  /** Apply to the next N matching requests (default: unlimited while rate applies). */
  times?: number;
  /** Probability 0..1 per matching request (default 1), drawn from the seeded random source. */
  rate?: number;
  /**
   * For latency: added delay; for timeout: how long the request is held before the socket drops
   * (default 30000); for lateRecord: how long an access stays out of listAccessRecords after it
   * happened (its callback is sent at once: the record appears late).
   */
  latencyMs?: number;
  /** For platformError (default "系统繁忙,请稍后重试"). */
  msg?: string;
}

export interface StoredFault extends FaultRule {
  id: string;
  /** How many times it has applied. */
  applied: number;
  /** sameMillisecond: the timestamp its callbacks share (the time it first applied). */
  timestamp?: number;
}

/** What the rules decided for one request or delivery. */
export interface FaultDecision {
  /** Added delay, ms (sum of the latency rules that applied). */
  latencyMs: number;
  /** The first fault that replaces the answer, if any. */
  outcome?: StoredFault;
  /** Deliver the callback twice. */
  duplicate: boolean;
  /** Do not deliver the callback at all (the event still happened). */
  drop: boolean;
  /** Answer gzip-compressed (Ebopark requests). */
  gzip: boolean;
  /** Answer in GBK, declared `charset=GBK` (Ebopark requests). */
  gbk: boolean;
  /**
   * Sign the callback's first attempt with this timestamp (sameMillisecond): the platform signs
   * appKey + timestamp only, so callbacks signed in the same millisecond share a (timestamp, sign).
   */
  timestamp?: number;
  /** listAccessRecords leaves out the accesses of the last this many ms (lateRecord; 0: none). */
  recordLagMs: number;
}

export const DEFAULT_TIMEOUT_HOLD_MS = 30_000;
export const DEFAULT_PLATFORM_ERROR_MSG = "系统繁忙,请稍后重试";

/** What a delivery can suffer; every other kind is about a request. */
const DELIVERY_KINDS: ReadonlySet<FaultKind> = new Set([
  "latency",
  "duplicateCallback",
  "dropCallback",
  "sameMillisecond",
]);
/** Delivery kinds a "*" rule applies to (a "*" latency rule is about requests). */
const DELIVERY_WILDCARD: ReadonlySet<FaultKind> = new Set(["duplicateCallback", "dropCallback", "sameMillisecond"]);
/** Kinds that change an answer or delivery rather than replace it: they combine with the rest. */
const MODIFIERS: ReadonlySet<FaultKind> = new Set([
  "latency",
  "gzip",
  "gbk",
  "duplicateCallback",
  "dropCallback",
  "sameMillisecond",
  "lateRecord",
]);

/** Checks a rule from outside (HTTP control endpoint); returns an English reason or undefined. */
export function faultRuleProblem(rule: unknown): string | undefined {
  if (!rule || typeof rule !== "object") return "a fault rule must be a JSON object";
  const r = rule as Record<string, unknown>;
  if (!faultKinds.includes(r.kind as FaultKind)) return `kind must be one of ${faultKinds.join(", ")}`;
  if (r.operation !== undefined && (typeof r.operation !== "string" || !r.operation)) {
    return "operation must be a non-empty string";
  }
  if (r.times !== undefined && !(Number.isInteger(r.times) && (r.times as number) >= 1)) {
    return "times must be a whole number ≥ 1";
  }
  if (r.rate !== undefined && !(typeof r.rate === "number" && r.rate >= 0 && r.rate <= 1)) {
    return "rate must be a number from 0 to 1";
  }
  if (r.latencyMs !== undefined && !(typeof r.latencyMs === "number" && r.latencyMs >= 0)) {
    return "latencyMs must be a number ≥ 0";
  }
  if (r.msg !== undefined && typeof r.msg !== "string") return "msg must be a string";
  if (r.parkingId !== undefined && (typeof r.parkingId !== "string" || !r.parkingId)) {
    return "parkingId must be a non-empty string";
  }
  return undefined;
}

export class FaultBook {
  private rules: StoredFault[] = [];
  private nextId = 1;
  private random: Random;

  constructor(private readonly seed: number) {
    // A source of its own, so faults do not shift the generated data and traffic.
    this.random = createRandom(seed ^ 0x5eed_fa17);
  }

  add(rule: FaultRule): string {
    const problem = faultRuleProblem(rule);
    if (problem) throw new TypeError(`fault rule: ${problem}`);
    const id = `fault-${this.nextId++}`;
    this.rules.push({ ...rule, id, applied: 0 });
    return id;
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length < before;
  }

  clear(): void {
    this.rules = [];
    this.random = createRandom(this.seed ^ 0x5eed_fa17);
  }

  list(): StoredFault[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /**
   * The faults for a platform/Ebopark request (`operation` = its id). "callback" is the open
   * platform's callback delivery, as `decideDelivery(["callback"])`.
   */
  decide(operation: string, parkingId?: string): FaultDecision {
    if (operation === "callback") return this.decideDelivery(["callback"]);
    return this.apply((rule, target) =>
      DELIVERY_KINDS.has(rule.kind) && rule.kind !== "latency"
        ? false
        : (target === operation || target === "*") && (rule.parkingId === undefined || rule.parkingId === parkingId),
    );
  }

  /**
   * The faults for one delivery, named by its targets: ["callback"] for an open-platform callback,
   * ["report", "<reportId>"] for an Ebopark report. "*" rules apply to deliveries only for
   * duplicateCallback and dropCallback.
   */
  decideDelivery(targets: readonly string[], parkingId?: string): FaultDecision {
    return this.apply(
      (rule, target) =>
        DELIVERY_KINDS.has(rule.kind) &&
        (targets.includes(target) || (target === "*" && DELIVERY_WILDCARD.has(rule.kind))) &&
        (rule.parkingId === undefined || rule.parkingId === parkingId),
    );
  }

  private apply(matches: (rule: StoredFault, target: string) => boolean): FaultDecision {
    const decision: FaultDecision = {
      latencyMs: 0,
      duplicate: false,
      drop: false,
      gzip: false,
      gbk: false,
      recordLagMs: 0,
    };
    for (const rule of this.rules) {
      if (!matches(rule, rule.operation ?? "*")) continue;
      if (!MODIFIERS.has(rule.kind) && decision.outcome) continue;
      if (rule.times !== undefined && rule.applied >= rule.times) continue;
      if (this.random.next() >= (rule.rate ?? 1)) continue;
      rule.applied++;
      if (rule.kind === "latency") decision.latencyMs += rule.latencyMs ?? 0;
      else if (rule.kind === "duplicateCallback") decision.duplicate = true;
      else if (rule.kind === "dropCallback") decision.drop = true;
      else if (rule.kind === "gzip") decision.gzip = true;
      else if (rule.kind === "gbk") decision.gbk = true;
      else if (rule.kind === "lateRecord")
        decision.recordLagMs = Math.max(decision.recordLagMs, rule.latencyMs ?? 60_000);
      else if (rule.kind === "sameMillisecond") {
        rule.timestamp ??= Date.now();
        decision.timestamp = rule.timestamp;
      } else decision.outcome = rule;
    }
    // Spent rules stay listed (with `applied`) so a test can see they fired.
    return decision;
  }
}
