/**
 * Reads the shared catalogue's request schemas (zod 4) to build n8n parameters: what kind of
 * value a field holds, whether it is optional, and the metadata `field()` attached.
 */
import { type FieldMeta, fieldMeta } from "@parkbridge/shared";
import type { INodeProperties, INodePropertyOptions } from "n8n-workflow";

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
    };
  };
}

export type ValueKind = "string" | "number" | "boolean" | "stringList" | "json";

export function isOptional(schema: SchemaLike): boolean {
  return schema._zod.def.type === "optional";
}

export function kindOf(schema: SchemaLike): ValueKind {
  const def = schema._zod.def;
  switch (def.type) {
    case "optional":
    case "default":
    case "nullable":
    case "readonly":
      return kindOf(def.innerType as SchemaLike);
    case "pipe":
      // A preprocess is a pipe whose input is a transform: the output says what is wanted.
      return def.in?._zod.def.type === "transform" ? kindOf(def.out as SchemaLike) : kindOf(def.in as SchemaLike);
    case "union":
      return kindOf((def.options as SchemaLike[])[0] as SchemaLike);
    case "number":
    case "int":
    case "bigint":
      return "number";
    case "boolean":
      return "boolean";
    case "array": {
      const element = def.element as SchemaLike;
      return kindOf(element) === "string" ? "stringList" : "json";
    }
    case "object":
    case "record":
      return "json";
    default:
      return "string";
  }
}

export function metaOf(name: string, schema: SchemaLike): FieldMeta {
  return fieldMeta(schema as unknown as Parameters<typeof fieldMeta>[0]) ?? { title: name, description: "", zh: name };
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

export function describeField(meta: FieldMeta, name: string): string {
  const parts = [meta.description];
  parts.push(`Platform field ${name} (${meta.zh}).`);
  return parts.filter(Boolean).join(" ");
}

/** A plain n8n parameter for a catalogue field (no pickers). */
export function plainProperty(name: string, schema: SchemaLike): INodeProperties {
  const meta = metaOf(name, schema);
  const base = { displayName: meta.title, name, description: describeField(meta, name) };
  if (meta.options) {
    const options: INodePropertyOptions[] = meta.options.map((option) => ({
      name: option.name,
      value: option.value,
      description: option.zh,
    }));
    return { ...base, type: "options", options, default: meta.options[0]?.value ?? "" };
  }
  if (meta.timeFormat) return { ...base, type: "dateTime", default: "" };
  switch (kindOf(schema)) {
    case "number":
      return { ...base, type: "number", default: typeof meta.example === "number" ? meta.example : 1 };
    case "boolean":
      return { ...base, type: "boolean", default: false };
    case "stringList":
      return {
        ...base,
        type: "string",
        default: "",
        placeholder: "comma-separated",
        description: `${base.description} Several values are separated by commas.`,
      };
    case "json":
      return { ...base, type: "json", default: kindOf(schema) === "json" ? "[]" : "" };
    default:
      return {
        ...base,
        type: "string",
        default: "",
        ...(meta.example !== undefined ? { placeholder: `e.g. ${meta.example}` } : {}),
      };
  }
}
