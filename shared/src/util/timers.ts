/**
 * The only timers the protocol package uses, in one module: a host that must not touch the
 * global timers (n8n's community-node rules) substitutes this module when it bundles the package.
 */

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Aborts `controller` after `ms` milliseconds unless cleared first; returns the clear function. */
export function abortAfter(controller: AbortController, ms: number): () => void {
  const timer = setTimeout(() => controller.abort(), ms);
  return () => clearTimeout(timer);
}
