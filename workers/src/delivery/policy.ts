/** How hard to try a subscriber: backoff, attempts, timeout (from vars, with defaults). */
import type { Env } from "../env.js";
import { numberVar } from "../lib/config.js";

export interface DeliveryPolicy {
  retryBaseSeconds: number;
  maxAttempts: number;
  timeoutMs: number;
  /** Longest wait between two attempts. */
  maxDelaySeconds: number;
}

export function deliveryPolicy(env: Env): DeliveryPolicy {
  return {
    retryBaseSeconds: numberVar(env.DELIVERY_RETRY_BASE_SECONDS, "DELIVERY_RETRY_BASE_SECONDS", 30),
    maxAttempts: Math.max(1, Math.floor(numberVar(env.DELIVERY_MAX_ATTEMPTS, "DELIVERY_MAX_ATTEMPTS", 10))),
    timeoutMs: numberVar(env.DELIVERY_TIMEOUT_MS, "DELIVERY_TIMEOUT_MS", 10_000),
    maxDelaySeconds: 3600,
  };
}

/** Delay before attempt `failedAttempts + 1`: base, 2×base, 4×base… capped (attempt 1 failed → base). */
export function retryDelaySeconds(policy: DeliveryPolicy, failedAttempts: number): number {
  return Math.min(policy.maxDelaySeconds, Math.round(policy.retryBaseSeconds * 2 ** Math.max(0, failedAttempts - 1)));
}

/** Whether loopback subscribers are accepted: a local development (ALLOW_LOOPBACK_SUBSCRIBERS=on) only. */
export const allowsLoopbackSubscribers = (env: Pick<Env, "ALLOW_LOOPBACK_SUBSCRIBERS">) =>
  env.ALLOW_LOOPBACK_SUBSCRIBERS?.trim().toLowerCase() === "on";
