/**
 * n8n's replacement for @parkbridge/shared's `util/timers` module, swapped in when the
 * package is bundled (scripts/bundle.mjs): community nodes must not touch the global timers,
 * so waiting goes through n8n-workflow's `sleep` and deadlines through `AbortSignal.timeout`.
 */
import { sleep as n8nSleep } from "n8n-workflow";

export function sleep(ms: number): Promise<void> {
  return n8nSleep(ms);
}

export function abortAfter(controller: AbortController, ms: number): () => void {
  const deadline = AbortSignal.timeout(ms);
  const onDeadline = () => controller.abort(deadline.reason);
  deadline.addEventListener("abort", onDeadline, { once: true });
  return () => deadline.removeEventListener("abort", onDeadline);
}
