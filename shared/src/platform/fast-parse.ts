/**
 * A fast path for parsing the platform's answers: compiles a zod 4 schema into a tree of
 * closures that returns a value equal to what `schema.parse(value)` would (a valid plain object
 * or array that needs no change comes back as itself, keys in its own order, where zod would
 * copy it), or FAIL when the value is invalid or the compiler is unsure. Callers fall back to
 * zod on FAIL, so zod still writes every error message. Closures, not generated code: they run
 * wherever the protocol package does (workerd and the n8n package allow no eval). Worth it on the
 * paging hot path: 100,000 listed vehicles take zod about three times as long (bench/paging.ts).
 *
 * Only the nodes the catalogue uses are compiled (objects, arrays, unions, pipes, transforms,
 * optional, nullable, strings, numbers, booleans, literals, enums, unknown); any other node, or one
 * carrying checks this file does not know, is handed to zod as is. Reads zod's internals
 * (`_zod.def`), so it is pinned by the tests in test/shared/fast-parse.test.ts.
 */
import { z } from "zod";

/** What a fast parser returns when the value is invalid, or when it cannot tell. */
export const FAIL: unique symbol = Symbol("fast-parse: fail");
export type FastParser<T> = (value: unknown) => T | typeof FAIL;

type Parse = (value: unknown) => unknown;

interface Compiled {
  parse: Parse;
  /** Set when parse is exactly `typeof v === "string" ? v : FAIL`, so a wrapper can test inline. */
  string?: true;
  /**
   * FAIL means zod fails too, without throwing. False for anything that runs user code (a
   * transform or a delegated refinement may throw where zod would propagate it): a union must
   * not move on to its next option past such a node.
   */
  exact: boolean;
}

interface CheckDef {
  check?: string;
  format?: string;
  value?: unknown;
  inclusive?: boolean;
  when?: unknown;
}

interface ZodDef {
  type: string;
  checks?: Array<{ _zod: { def: CheckDef } }>;
  coerce?: boolean;
  format?: string;
  shape?: Record<string, Node>;
  catchall?: Node;
  element?: Node;
  options?: Node[];
  discriminator?: string;
  inclusive?: boolean;
  innerType?: Node;
  in?: Node;
  out?: Node;
  transform?: (value: unknown, payload: TransformPayload) => unknown;
}

interface Node {
  _zod: {
    def: ZodDef;
    traits: Set<string>;
    optin?: "optional" | "defaulted";
    optout?: "optional";
    values?: Set<unknown>;
  };
}

class RecursiveSchema extends Error {}

type Sub = (child: Node) => Compiled;

const cache = new WeakMap<Node, Compiled>();

/** The fast parser of a schema, compiled once per schema. */
export function fastParser<S extends z.ZodType>(schema: S): FastParser<z.output<S>> {
  const node = schema as unknown as Node;
  let entry = cache.get(node);
  if (!entry) {
    const compiling = new Set<Node>();
    const sub: Sub = (child) => {
      const known = cache.get(child);
      if (known) return known;
      if (compiling.has(child)) throw new RecursiveSchema();
      compiling.add(child);
      const built = build(child, sub);
      compiling.delete(child);
      cache.set(child, built);
      return built;
    };
    try {
      entry = sub(node);
    } catch {
      // A recursive schema (zod tracks cycles in the input for those) or unreadable internals.
      entry = delegate(node);
      cache.set(node, entry);
    }
  }
  return entry.parse as FastParser<z.output<S>>;
}

/** zod parses the node on its own: always right, no faster. */
function delegate(node: Node): Compiled {
  const schema = node as unknown as z.ZodType;
  return {
    exact: false,
    parse: (value) => {
      try {
        const result = z.safeParse(schema, value);
        return result.success ? result.data : FAIL;
      } catch {
        return FAIL;
      }
    },
  };
}

const identity: Parse = (value) => value;

function build(node: Node, sub: Sub): Compiled {
  const { def, traits } = node._zod;
  // A node that is itself a check (z.email(), z.int()) runs that check on top of its type.
  if (traits.has("$ZodCheck")) return delegate(node);
  if (def.type === "number") return number(node);
  if (def.checks?.length) return delegate(node);
  switch (def.type) {
    case "string":
      if (def.coerce || def.format) return delegate(node);
      return { exact: true, string: true, parse: (v) => (typeof v === "string" ? v : FAIL) };
    case "boolean":
      if (def.coerce) return delegate(node);
      return { exact: true, parse: (v) => (typeof v === "boolean" ? v : FAIL) };
    case "unknown":
    case "any":
      return { exact: true, parse: identity };
    case "literal":
    case "enum": {
      // The very set zod tests membership in.
      const values = node._zod.values;
      if (!values) return delegate(node);
      return { exact: true, parse: (v) => (values.has(v) ? v : FAIL) };
    }
    case "optional": {
      const inner = def.innerType as Node;
      // exactOptional does not accept undefined by itself; a defaulted inner substitutes for it.
      if (traits.has("$ZodExactOptional") || inner._zod.optin === "defaulted") return delegate(node);
      const { parse, exact, string } = sub(inner);
      if (string) return { exact, parse: (v) => (v === undefined || typeof v === "string" ? v : FAIL) };
      return { exact, parse: (v) => (v === undefined ? undefined : parse(v)) };
    }
    case "nullable": {
      const { parse, exact } = sub(def.innerType as Node);
      return { exact, parse: (v) => (v === null ? null : parse(v)) };
    }
    case "object":
      return object(node, sub);
    case "array":
      return array(sub(def.element as Node));
    case "union":
      return union(node, sub);
    case "pipe": {
      // A codec runs its transform between in and out.
      if (traits.has("$ZodCodec")) return delegate(node);
      const first = sub(def.in as Node);
      const second = sub(def.out as Node);
      const a = first.parse;
      const b = second.parse;
      if (first.string) return { exact: second.exact, parse: (v) => (typeof v === "string" ? b(v) : FAIL) };
      return {
        exact: first.exact && second.exact,
        parse: (v) => {
          const mid = a(v);
          return mid === FAIL ? FAIL : b(mid);
        },
      };
    }
    case "transform":
      return transform(def.transform as NonNullable<ZodDef["transform"]>);
    default:
      return delegate(node);
  }
}

/** What zod hands a transform as its context: the value, an issue list and addIssue. */
class TransformPayload {
  issues: unknown[] = [];
  constructor(public value: unknown) {}
  addIssue(issue: unknown): void {
    this.issues.push(issue);
  }
}

function transform(fn: NonNullable<ZodDef["transform"]>): Compiled {
  return {
    exact: false,
    parse: (value) => {
      const payload = new TransformPayload(value);
      let out: unknown;
      try {
        out = fn(value, payload);
      } catch {
        return FAIL; // zod would throw it: let zod do so
      }
      // An issue fails the parse; a promise makes zod's synchronous parse throw.
      if (payload.issues.length > 0 || out instanceof Promise) return FAIL;
      return out;
    },
  };
}

const INT_RANGES: Record<string, readonly [number, number]> = {
  safeint: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};

function number(node: Node): Compiled {
  const { def } = node._zod;
  const tests: Array<(n: number) => boolean> = [];
  for (const check of def.checks ?? []) {
    const c = check._zod.def;
    if (c.when) return delegate(node);
    const range = c.check === "number_format" && c.format ? INT_RANGES[c.format] : undefined;
    if (range) {
      const [min, max] = range;
      tests.push((n) => Number.isSafeInteger(n) && n >= min && n <= max);
    } else if ((c.check === "greater_than" || c.check === "less_than") && typeof c.value === "number") {
      const bound = c.value;
      if (c.check === "greater_than") tests.push(c.inclusive ? (n) => n >= bound : (n) => n > bound);
      else tests.push(c.inclusive ? (n) => n <= bound : (n) => n < bound);
    } else {
      return delegate(node);
    }
  }
  const check: Parse = (v) => {
    if (typeof v !== "number" || !Number.isFinite(v)) return FAIL;
    for (let i = 0; i < tests.length; i++) if (!(tests[i] as (n: number) => boolean)(v)) return FAIL;
    return v;
  };
  if (!def.coerce) return { exact: true, parse: check };
  // Coercion leaves a number as it is; anything else is zod's to convert.
  const slow = delegate(node).parse;
  return { exact: false, parse: (v) => (typeof v === "number" ? check(v) : slow(v)) };
}

function union(node: Node, sub: Sub): Compiled {
  const { def, traits } = node._zod;
  // Discriminated and exclusive unions choose differently from "first success wins".
  if (traits.has("$ZodDiscriminatedUnion") || traits.has("$ZodXor") || def.discriminator || def.inclusive === false) {
    return delegate(node);
  }
  const options = (def.options ?? []).map(sub);
  const exact = options.every((o) => o.exact);
  if (options.length === 2) {
    // The catalogue's lenient scalars (string, or number made a string): one call site per option.
    const [{ parse: a, exact: aExact, string }, { parse: b }] = options as [Compiled, Compiled];
    if (string) return { exact, parse: (v) => (typeof v === "string" ? v : b(v)) };
    return {
      exact,
      parse: (v) => {
        const out = a(v);
        return out !== FAIL ? out : aExact ? b(v) : FAIL;
      },
    };
  }
  const parses = options.map((o) => o.parse);
  const exacts = options.map((o) => o.exact);
  return {
    exact,
    parse: (v) => {
      for (let i = 0; i < parses.length; i++) {
        const out = (parses[i] as Parse)(v);
        if (out !== FAIL) return out;
        // Unsure whether zod would have failed (or thrown) here: do not try the next option.
        if (!exacts[i]) return FAIL;
      }
      return FAIL;
    },
  };
}

// What an absent key does, from the field's optin/optout (mirrors zod's handlePropertyResult).
const REQUIRED = 0; // fails
const SKIP = 1; // optional in and out: left out
const RUN = 2; // optional in only: parsed as undefined, kept unless undefined
const DEFAULTED = 3; // parsed as undefined, kept (undefined too unless optional out)

interface Field {
  key: string;
  parse: Parse;
  exact: boolean;
  absent: number;
  optionalOut: boolean;
}

/** Keys outside the shape: stripped (z.object), refused (strictObject), kept (looseObject) or parsed. */
type Extra = "strip" | "refuse" | "keep" | Parse;

/**
 * Copy on write: an array whose every item parses to itself comes back as it is (zod would
 * return an equal copy), so a page of valid items allocates nothing for it. A plain array only:
 * a subclass or a holey array is copied, as zod copies it.
 */
function array({ parse, exact }: Compiled): Compiled {
  return {
    exact,
    parse: (input) => {
      if (!Array.isArray(input)) return FAIL;
      const length = input.length;
      let out: unknown[] | undefined = Object.getPrototypeOf(input) === Array.prototype ? undefined : new Array(length);
      for (let i = 0; i < length; i++) {
        const item = input[i];
        const v = parse(item);
        if (v === FAIL) return FAIL;
        if (out === undefined) {
          if (v === item && (item !== undefined || i in input)) continue;
          out = input.slice(0, i);
        }
        out[i] = v;
      }
      return out ?? input;
    },
  };
}

function object(node: Node, sub: Sub): Compiled {
  const { def } = node._zod;
  const shape = def.shape as Record<string, Node>;
  if (Object.getOwnPropertySymbols(shape).length > 0) return delegate(node);
  const keys = Object.keys(shape);
  const fields: Field[] = [];
  let exact = true;
  for (const key of keys) {
    if (key === "__proto__") continue; // zod never reads or writes it
    const el = shape[key] as Node;
    const { parse, exact: fieldExact } = sub(el);
    exact &&= fieldExact;
    const { optin, optout } = el._zod;
    const absent =
      optin === undefined ? REQUIRED : optin === "defaulted" ? DEFAULTED : optout === "optional" ? SKIP : RUN;
    fields.push({ key, parse, exact: fieldExact, absent, optionalOut: optout === "optional" });
  }
  let extra: Extra = "strip";
  const catchall = def.catchall;
  if (catchall) {
    if (catchall._zod.def.type === "never") extra = "refuse";
    else {
      const c = sub(catchall);
      exact &&= c.exact;
      extra = c.parse === identity ? "keep" : c.parse;
    }
  }
  return { exact, parse: objectParser(new Set(keys), fields, extra) };
}

/**
 * Copy on write, as for arrays: a plain object whose every field parses to itself, with nothing
 * to strip, comes back as it is. Any change (a number made a string, a date re-padded, a
 * default, a key to strip) builds the copy zod would: the shape's keys in order, then the extra
 * keys in the input's order.
 */
function objectParser(known: Set<string>, fields: Field[], extra: Extra): Parse {
  const count = fields.length;
  /** The copy of the first `upTo` fields, when they are unchanged: a present field keeps its value, an absent one stays out. */
  const copyUpTo = (source: Record<string, unknown>, upTo: number) => {
    const out: Record<string, unknown> = {};
    for (let j = 0; j < upTo; j++) {
      const key = (fields[j] as Field).key;
      if (source[key] !== undefined || key in source) out[key] = source[key];
    }
    return out;
  };
  return (input) => {
    if (typeof input !== "object" || input === null || Array.isArray(input)) return FAIL;
    const source = input as Record<string, unknown>;
    // Only a plain object may stand for zod's copy (another prototype could carry inherited keys);
    // parsed extra keys always make one.
    let out: Record<string, unknown> | undefined =
      Object.getPrototypeOf(source) === Object.prototype && typeof extra === "string" ? undefined : {};
    for (let i = 0; i < count; i++) {
      const field = fields[i] as Field;
      const key = field.key;
      const raw = source[key];
      let v: unknown;
      // `in`, like zod: an inherited key counts as present.
      if (raw !== undefined || key in source) {
        v = field.parse(raw);
        if (v === FAIL) return FAIL;
        if (out === undefined && v === raw) continue;
      } else {
        if (field.absent === REQUIRED) return FAIL;
        // zod parses an absent key too (as undefined); only a node that may throw there matters.
        if (field.absent === SKIP && field.exact) continue;
        v = field.parse(undefined);
        if (v === FAIL) return FAIL;
        if (field.absent === SKIP) continue;
        if (v === undefined && (field.absent !== DEFAULTED || field.optionalOut)) continue;
      }
      out ??= copyUpTo(source, i);
      out[key] = v;
    }
    if (extra === "strip") {
      if (out === undefined) {
        for (const key in source) {
          if (!known.has(key)) return copyUpTo(source, count); // a key to strip
        }
      }
      return out ?? source;
    }
    if (extra === "refuse") {
      for (const key in source) if (!known.has(key)) return FAIL;
      return out ?? source;
    }
    if (out === undefined) {
      // Kept extra keys, nothing changed: only an own __proto__ key means a copy (without it).
      if (!Object.hasOwn(source, "__proto__")) return source;
      out = copyUpTo(source, count);
    }
    for (const key in source) {
      // zod leaves an own __proto__ key out rather than replace the prototype.
      if (known.has(key) || key === "__proto__") continue;
      if (extra === "keep") out[key] = source[key];
      else {
        const v = extra(source[key]);
        if (v === FAIL) return FAIL;
        out[key] = v;
      }
    }
    return out;
  };
}
