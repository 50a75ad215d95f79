/** compile-function.ts for builds that must not evaluate code (the n8n package): never compiles. */
export function compileFunction(_parameters: string[], _source: string): ((...args: never[]) => unknown) | undefined {
  return undefined;
}
