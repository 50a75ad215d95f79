/**
 * Forgets used (timestamp, sign) pairs that the window already refuses: a timestamp older than
 * the window fails verification before the pair is looked up, so keeping it protects nothing.
 */
import type { Env } from "../env.js";
import { callbackWindowMs } from "../lib/config.js";

export async function pruneCallbackSignatures(env: Env, now: number): Promise<number> {
  // One window of margin for clock drift between the platform and us.
  const cutoff = now - 2 * callbackWindowMs(env);
  const result = await env.DB.prepare("DELETE FROM callback_signatures WHERE timestamp < ?").bind(cutoff).run();
  return result.meta.changes ?? 0;
}
