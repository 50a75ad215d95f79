/**
 * What every value a catalogue accepts must be, whatever its field: text without control
 * characters (C0 and DEL; tab and line breaks only where a field allows them) and without
 * unpaired surrogates (they are not Unicode: stored as UTF-8 they become something other than
 * what was checked), and, where a catalogue keeps fields it does not know, JSON of bounded depth
 * and size. Pure functions, no zod: `platform/fields.ts` builds the catalogues' schemas on them.
 */

export interface TextRules {
  /** Allow tab, line feed and carriage return (free text such as a memo). */
  lineBreaks?: boolean;
}

const hex4 = (code: number) => code.toString(16).toUpperCase().padStart(4, "0");
// Any control character or surrogate: the slow loop below runs only on a string that has one.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const SUSPECT = /[\u0000-\u001f\u007f\ud800-\udfff]/;

/** Why `value` is not acceptable text, in English (a reason that follows the field's name), or undefined. */
export function textProblem(value: string, rules: TextRules = {}): string | undefined {
  if (!SUSPECT.test(value)) return undefined;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) {
      if (rules.lineBreaks && (code === 0x09 || code === 0x0a || code === 0x0d)) continue;
      return `must not contain control characters (U+${hex4(code)} at character ${i + 1})`;
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      const next = value.charCodeAt(i + 1);
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return `must be valid Unicode (an unpaired surrogate U+${hex4(code)} at character ${i + 1})`;
    }
  }
  return undefined;
}

/** A key as a field name may show it: control characters and lone surrogates escaped as JSON would. */
const printable = (key: string) => JSON.stringify(key).slice(1, -1);

export interface JsonLimits {
  /** Levels of objects and arrays a value may nest (a scalar is depth 0; `{"a": 1}` is depth 1). */
  depth: number;
  /** Characters a value may take in all: keys and strings by their length, every other node as 1. */
  chars: number;
}

export interface JsonProblem {
  /** Where, below the value checked: keys and array indexes. */
  path: (string | number)[];
  reason: string;
}

/**
 * Why a JSON value is not acceptable as kept-as-sent data, or undefined: nested deeper or larger
 * than `limits`, or a key or string that is not acceptable text. `budget` lets several values
 * share one size limit (every unknown field of an object together). Never recurses deeper than
 * the limit, so a value nested thousands of levels deep is refused, not a stack overflow.
 */
export function jsonProblem(
  value: unknown,
  limits: JsonLimits,
  budget: { chars: number } = { chars: limits.chars },
): JsonProblem | undefined {
  const path: (string | number)[] = [];
  const tooLarge = () => ({ path: [...path], reason: `must take at most ${limits.chars} characters in all` });
  const walk = (node: unknown, depth: number): JsonProblem | undefined => {
    if (typeof node === "string") {
      budget.chars -= node.length;
      if (budget.chars < 0) return tooLarge();
      const problem = textProblem(node, { lineBreaks: true });
      return problem ? { path: [...path], reason: problem } : undefined;
    }
    budget.chars -= 1;
    if (budget.chars < 0) return tooLarge();
    if (node === null || typeof node !== "object") return undefined;
    if (depth >= limits.depth) {
      return { path: [...path], reason: `must not nest more than ${limits.depth} levels deep` };
    }
    const entries: [string | number, unknown][] = Array.isArray(node)
      ? node.map((item, index) => [index, item])
      : Object.entries(node);
    for (const [key, item] of entries) {
      path.push(key);
      if (typeof key === "string") {
        budget.chars -= key.length;
        if (budget.chars < 0) return tooLarge();
        const keyProblem = textProblem(key);
        if (keyProblem) return { path: [...path.slice(0, -1), printable(key)], reason: `(a key) ${keyProblem}` };
      }
      const problem = walk(item, depth + 1);
      if (problem) return problem;
      path.pop();
    }
    return undefined;
  };
  return walk(value, 0);
}

/**
 * The first unacceptable field among the keys of `object` that `known` does not list (the
 * fields a catalogue keeps as sent): each bounded by `limits.depth`, all of them together by
 * `limits.chars`, every key and string acceptable text. The path starts with the field's key.
 */
export function unknownFieldsProblem(
  object: Record<string, unknown>,
  known: ReadonlySet<string>,
  limits: JsonLimits,
): JsonProblem | undefined {
  const budget = { chars: limits.chars };
  for (const key of Object.keys(object)) {
    if (known.has(key)) continue;
    budget.chars -= key.length;
    const keyProblem = textProblem(key);
    if (keyProblem) return { path: [printable(key)], reason: `(a key) ${keyProblem}` };
    if (budget.chars < 0)
      return { path: [key], reason: `unknown fields must take at most ${limits.chars} characters in all` };
    const problem = jsonProblem(object[key], limits, budget);
    if (problem) {
      const reason = problem.reason.startsWith("must take at most")
        ? `unknown fields must take at most ${limits.chars} characters in all`
        : problem.reason;
      return { path: [key, ...problem.path], reason };
    }
  }
  return undefined;
}
