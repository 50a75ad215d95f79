/**
 * Reads the shared catalogues' request schemas (zod 4) to build n8n parameters: what kind of
 * value a field holds, whether it is optional, the fields of an object, the values of an enum.
 */

/** The part of a zod 4 schema this module reads (its public `_zod.def`). */
export interface SchemaLike {
  _zod: {
    def: {
      type: string;
      innerType?: SchemaLike;
      in?: SchemaLike;
      out?: SchemaLike;
      options?: SchemaLike[];
      element?: SchemaLike;
      shape?: Record<string, SchemaLike>;
      entries?: Record<string, string | number>;
      values?: unknown[];
    };
  };
}

/** What the node asks for, and so how it reads the parameter back (see readFields). */
export type ValueKind = "string" | "number" | "boolean" | "stringList" | "json";

export function isOptional(schema: SchemaLike): boolean {
  return schema._zod.def.type === "optional";
}

/** The schema a wrapper (optional, default, a transform's input, a preprocess's output) stands for. */
function unwrap(schema: SchemaLike): SchemaLike {
  const def = schema._zod.def;
  switch (def.type) {
    case "optional":
    case "default":
    case "nullable":
    case "readonly":
      return unwrap(def.innerType as SchemaLike);
    case "pipe":
      // A preprocess is a pipe whose input is a transform: the output says what is wanted.
      return def.in?._zod.def.type === "transform" ? unwrap(def.out as SchemaLike) : unwrap(def.in as SchemaLike);
    default:
      return schema;
  }
}

export function kindOf(schema: SchemaLike): ValueKind {
  const inner = unwrap(schema);
  const def = inner._zod.def;
  switch (def.type) {
    case "union":
      return kindOf((def.options as SchemaLike[])[0] as SchemaLike);
    case "number":
    case "int":
    case "bigint":
      return "number";
    case "literal":
      return typeof def.values?.[0] === "number" ? "number" : "string";
    case "boolean":
      return "boolean";
    case "array":
      return kindOf(def.element as SchemaLike) === "string" ? "stringList" : "json";
    case "object":
    case "record":
      return "json";
    default:
      return "string";
  }
}

/** The values of an enum field, if it is one. */
export function enumValues(schema: SchemaLike): Array<string | number> | undefined {
  const def = unwrap(schema)._zod.def;
  return def.type === "enum" && def.entries ? Object.values(def.entries) : undefined;
}

export function shapeOf(schema: unknown): Record<string, SchemaLike> {
  let current = schema as SchemaLike;
  // Refined objects stay objects in zod 4; a pipe or wrapper is unwrapped to reach the shape.
  while (!current._zod.def.shape) {
    const def = current._zod.def;
    const next = def.innerType ?? def.in;
    if (!next) return {};
    current = next;
  }
  return current._zod.def.shape;
}
