/**
 * Builds a function from source text (`new Function`), or answers undefined where that is not
 * allowed: on workerd (no eval) and under zod's `jitless`. The one place in the protocol package
 * that evaluates code, so a build that must not (the n8n community package: its scanner refuses
 * the Function constructor) swaps this module for compile-function.none.ts, and
 * `fast-parse.ts` then uses closures.
 */
import { z } from "zod";

let allowed: boolean | undefined;

function evalAllowed(): boolean {
  if (allowed === undefined) {
    const agent = (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent;
    if (z.config().jitless || agent?.includes("Cloudflare")) allowed = false;
    else {
      try {
        allowed = new Function("return true")() === true;
      } catch {
        allowed = false;
      }
    }
  }
  return allowed;
}

export function compileFunction(parameters: string[], source: string): ((...args: never[]) => unknown) | undefined {
  return evalAllowed() ? (new Function(...parameters, source) as (...args: never[]) => unknown) : undefined;
}
