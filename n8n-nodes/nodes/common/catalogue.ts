/**
 * The one layer from the shared catalogues to n8n, for every node: the platform's operations,
 * Ebopark's and the edge API's requests. A catalogue's request schema gives an operation's
 * fields (`platformFields`, `edgeFields`); `describeOperations` turns them into parameters
 * (required ones at the top, optional ones in a collection, Return All + Limit for lists), and
 * `readFields` reads the parameters back into the request, converted by what each field holds.
 */
import {
  edgeFieldMeta,
  fieldMeta,
  normalisePlateInput,
  type PlatformTimeFormat,
  parsePlatformTime,
} from "@parkbridge/shared";
import type { IDataObject, IExecuteFunctions, INodeProperties, INodePropertyOptions } from "n8n-workflow";
import { jsonParse, NodeOperationError } from "n8n-workflow";
import { additionalFieldsProperty, operationProperty, pagingProperties, type Show } from "./properties";
import { enumValues, isOptional, kindOf, type SchemaLike, shapeOf, type ValueKind } from "./schema";
import { toPlatformTime } from "./time";

/** How a field's n8n date-time is sent: a platform time string, or an ISO 8601 instant. */
export type TimeConversion = { format: PlatformTimeFormat; bareDates?: "keep" } | { format: "instant" };

/** One field of a request, as a node shows and reads it. */
export interface CatalogueField {
  /** The field's name in the request. */
  name: string;
  /** The parameter's name: the field's, unless saved workflows know it by another. */
  parameter: string;
  schema: SchemaLike;
  optional: boolean;
  kind: ValueKind;
  title: string;
  description: string;
  example?: unknown;
  options?: ReadonlyArray<{ value: string | number; name: string; description?: string }>;
  default?: string | number;
  time?: TimeConversion;
  /** A plate a person types: normalised before it is sent (shared's normalisePlateInput). */
  plate?: boolean;
}

/** One operation as a node offers it. */
export interface CatalogueOperation {
  resource: string;
  /** The Operation parameter's value. */
  value: string;
  name: string;
  description: string;
  action: string;
  fields: CatalogueField[];
  /** A list: Return All + Limit. */
  paged?: boolean;
  /** Where the optional fields go: "Additional Fields" (the default), "Filters", or the top level. */
  optionalFields?: "additionalFields" | "filters" | "top";
  /** Parameters of the node's own, shown after the fields. */
  extra?: INodeProperties[];
}

/** A request schema's fields, but `omit` (paging, which the node does itself). */
function fieldsOf(
  request: unknown,
  omit: readonly string[],
  build: (name: string, schema: SchemaLike) => Omit<CatalogueField, "name" | "schema" | "optional" | "kind">,
): CatalogueField[] {
  return Object.entries(shapeOf(request))
    .filter(([name]) => !omit.includes(name))
    .map(([name, schema]) => ({
      name,
      schema,
      optional: isOptional(schema),
      kind: kindOf(schema),
      ...build(name, schema),
    }));
}

/** The fields of a platform or Ebopark request: the catalogue's `field()` metadata, with the platform's own term. */
export function platformFields(request: unknown, omit: readonly string[] = []): CatalogueField[] {
  return fieldsOf(request, omit, (name, schema) => {
    const meta = fieldMeta(schema as unknown as Parameters<typeof fieldMeta>[0]) ?? {
      title: name,
      description: "",
      zh: name,
    };
    return {
      parameter: name,
      title: meta.title,
      description: [meta.description, `Platform field ${name} (${meta.zh}).`].filter(Boolean).join(" "),
      ...(meta.example !== undefined ? { example: meta.example } : {}),
      ...(meta.options
        ? {
            options: meta.options.map((option) => ({ value: option.value, name: option.name, description: option.zh })),
          }
        : {}),
      ...(meta.timeFormat ? { time: { format: meta.timeFormat } } : {}),
      // The catalogues name every plate field by the platform's term for it (车牌号, 车牌号列表).
      ...(meta.zh.startsWith("车牌") ? { plate: true } : {}),
    };
  });
}

const capitalise = (value: string) => value.charAt(0).toUpperCase() + value.slice(1);

/** What the node takes for an instant (it converts the lot's local time itself). */
const INSTANT_HINT = "A date-time with an offset, or the lot’s local time (UTC+8) without one.";

/** The fields of an edge API request: its OpenAPI description and example, and the node metadata of `edgeFields`. */
export function edgeFields(
  request: unknown,
  { omit = [], parameters = {} }: { omit?: readonly string[]; parameters?: Record<string, string> } = {},
): CatalogueField[] {
  return fieldsOf(request, omit, (name, schema) => {
    const meta = edgeFieldMeta(schema as unknown as Parameters<typeof edgeFieldMeta>[0]);
    const values = enumValues(schema);
    const options = meta?.options ?? values?.map((value) => ({ value, name: capitalise(String(value)) }));
    return {
      parameter: parameters[name] ?? name,
      title: meta?.title ?? name,
      description:
        meta?.time === "instant"
          ? `${(meta.description ?? "").replace(/\.?$/, ".")} ${INSTANT_HINT}`
          : (meta?.description ?? ""),
      ...(meta?.example !== undefined ? { example: meta.example } : {}),
      ...(options ? { options } : {}),
      ...(meta?.default !== undefined ? { default: meta.default } : {}),
      ...(meta?.time === "local" ? { time: { format: "second", bareDates: "keep" } as const } : {}),
      ...(meta?.time === "instant" ? { time: { format: "instant" } as const } : {}),
      ...(meta?.plate ? { plate: true } : {}),
    };
  });
}

// ---- fields to parameters ------------------------------------------------------------------------

/** The parameter of one field, before any picker a node puts in its place. */
export function fieldProperty(field: CatalogueField): INodeProperties {
  const base = {
    displayName: field.title,
    name: field.parameter,
    ...(field.description ? { description: field.description } : {}),
  };
  if (field.options) {
    const options: INodePropertyOptions[] = field.options.map((option) => ({
      name: option.name,
      value: option.value,
      ...(option.description ? { description: option.description } : {}),
    }));
    return { ...base, type: "options", options, default: field.default ?? field.options[0]?.value ?? "" };
  }
  if (field.time) return { ...base, type: "dateTime", default: "" };
  switch (field.kind) {
    case "number":
      return { ...base, type: "number", default: typeof field.example === "number" ? field.example : 1 };
    case "boolean":
      return { ...base, type: "boolean", default: false };
    case "stringList":
      return {
        ...base,
        type: "string",
        default: "",
        placeholder: "comma-separated",
        description: `${field.description} Several values are separated by commas.`.trim(),
      };
    case "json":
      return { ...base, type: "json", default: "[]" };
    default:
      return {
        ...base,
        type: "string",
        default: "",
        ...(field.example !== undefined ? { placeholder: `e.g. ${field.example}` } : {}),
      };
  }
}

/** Lets a node put a picker in place of a field's plain parameter. */
export type PropertyOverride = (
  field: CatalogueField,
  operation: CatalogueOperation,
  plain: INodeProperties,
) => INodeProperties;

const COLLECTIONS = {
  additionalFields: { displayName: "Additional Fields", placeholder: "Add Field" },
  filters: { displayName: "Filters", placeholder: "Add Filter" },
} as const;

/** The Resource selector. */
export function resourceProperty(
  resources: ReadonlyArray<{ value: string; name: string }>,
  defaultResource: string,
): INodeProperties {
  return {
    displayName: "Resource",
    name: "resource",
    type: "options",
    noDataExpression: true,
    options: resources.map((resource) => ({ name: resource.name, value: resource.value })),
    default: defaultResource,
  };
}

/**
 * The canvas subtitle: the chosen operation's action ("Issue coupon"), looked up by resource and
 * operation in a table the expression carries (n8n's own nodes show the raw values, `issueCoupon: coupon`).
 */
export function operationSubtitle(operations: readonly CatalogueOperation[]): string {
  const actions = Object.fromEntries(operations.map((op) => [`${op.resource}/${op.value}`, op.action]));
  return `={{ (${JSON.stringify(actions)})[$parameter["resource"] + "/" + $parameter["operation"]] ?? $parameter["operation"] }}`;
}

/** Per resource, in order of first appearance: the Operation selector, then each operation's parameters. */
export function describeOperations(
  operations: readonly CatalogueOperation[],
  override: PropertyOverride = (_field, _operation, plain) => plain,
): INodeProperties[] {
  const resources = [...new Set(operations.map((operation) => operation.resource))];
  const properties: INodeProperties[] = [];
  for (const resource of resources) {
    const ofResource = operations.filter((operation) => operation.resource === resource);
    properties.push(
      operationProperty(
        resource,
        ofResource.map((operation) => ({
          name: operation.name,
          value: operation.value,
          description: operation.description,
          action: operation.action,
        })),
        ofResource[0]?.value ?? "",
      ),
    );
    for (const operation of ofResource) properties.push(...operationProperties(operation, override));
  }
  return properties;
}

function operationProperties(operation: CatalogueOperation, override: PropertyOverride): INodeProperties[] {
  const show: Show = { resource: [operation.resource], operation: [operation.value] };
  const property = (field: CatalogueField) => override(field, operation, fieldProperty(field));
  const where = operation.optionalFields ?? "additionalFields";
  const properties: INodeProperties[] = [];
  for (const field of operation.fields) {
    if (!field.optional) properties.push({ ...property(field), required: true, displayOptions: { show } });
    else if (where === "top") properties.push({ ...property(field), displayOptions: { show } });
  }
  if (operation.paged) properties.push(...pagingProperties(show));
  const optional = operation.fields.filter((field) => field.optional);
  if (where !== "top" && optional.length > 0) {
    properties.push(additionalFieldsProperty(show, optional.map(property), { name: where, ...COLLECTIONS[where] }));
  }
  for (const extra of operation.extra ?? []) properties.push({ ...extra, displayOptions: { show } });
  return properties;
}

// ---- parameters back to the request -------------------------------------------------------------

/** A resource locator's value, or the value itself. */
function locatorValue(value: unknown): unknown {
  if (value && typeof value === "object" && "__rl" in value) return (value as { value?: unknown }).value;
  return value;
}

const isEmpty = (value: unknown) =>
  value === undefined || value === null || value === "" || (Array.isArray(value) && value.length === 0);

const BARE_DATE = /^\d{4}-\d{1,2}-\d{1,2}$/;

const INVALID_JSON = Symbol("invalid JSON");

function parseJson(text: string): unknown {
  try {
    return jsonParse(text);
  } catch {
    return INVALID_JSON;
  }
}

function convertTime(value: unknown, time: TimeConversion): string {
  if (time.format === "instant") return parsePlatformTime(toPlatformTime(value, "second")).toISOString();
  if (time.bareDates === "keep" && typeof value === "string" && BARE_DATE.test(value.trim())) return value.trim();
  return toPlatformTime(value, time.format);
}

/**
 * A parameter's value as the request wants it. Each kind of field takes what n8n gives for it:
 * a comma-separated text field takes a multi-select's list (joined) and a number from an
 * expression; a list takes comma-separated text or a JSON array; a JSON field takes JSON text or
 * the value an expression gave. Choices are passed as chosen. What does not fit is left for the
 * catalogue's schema to refuse, naming the field.
 */
function convert(field: CatalogueField, raw: unknown): unknown {
  const value = locatorValue(raw);
  if (field.time) return convertTime(value, field.time);
  if (field.plate) return convertPlate(field, value);
  if (field.options) return typeof value === "string" ? value.trim() : value;
  switch (field.kind) {
    case "string":
      if (Array.isArray(value)) return value.map((part) => String(part).trim()).join(",");
      if (typeof value === "number" || typeof value === "boolean") return String(value);
      return typeof value === "string" ? value.trim() : value;
    case "number":
      return typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)) ? Number(value) : value;
    case "boolean":
      return value === "true" ? true : value === "false" ? false : value;
    case "stringList": {
      if (typeof value === "string" && value.trim().startsWith("[")) return parseJson(value);
      const parts = Array.isArray(value) ? value : String(value ?? "").split(",");
      return parts.map((part) => String(part).trim()).filter(Boolean);
    }
    case "json":
      return typeof value === "string" ? parseJson(value) : value;
  }
}

/** A plate (or a list of plates) as people type them, in the platform's form; the rest is left to the schema. */
function convertPlate(field: CatalogueField, value: unknown): unknown {
  const plates = field.kind === "stringList" ? convert({ ...field, plate: false }, value) : value;
  if (Array.isArray(plates))
    return plates.map((plate) => (typeof plate === "string" ? normalisePlateInput(plate) : plate));
  return typeof plates === "string" ? normalisePlateInput(plates) : plates;
}

/**
 * Reads the fields of one operation for one item; a value that cannot be converted fails naming
 * its field. A plate typed otherwise than the platform writes it is sent normalised, and `asTyped`
 * (when given) gets `<field>AsTyped` with what was typed, for the node's answer to show.
 */
export function readFields(
  context: IExecuteFunctions,
  operation: CatalogueOperation,
  itemIndex: number,
  fields: readonly CatalogueField[] = operation.fields,
  asTyped?: IDataObject,
): IDataObject {
  const where = operation.optionalFields ?? "additionalFields";
  const collection = where === "top" ? {} : (context.getNodeParameter(where, itemIndex, {}) as IDataObject);
  const input: IDataObject = {};
  for (const field of fields) {
    const raw =
      field.optional && where !== "top"
        ? collection[field.parameter]
        : context.getNodeParameter(field.parameter, itemIndex, undefined, { extractValue: true });
    if (field.optional && isEmpty(locatorValue(raw))) continue;
    const fail = (reason: string) =>
      new NodeOperationError(context.getNode(), `${field.title} (${field.name}) ${reason}`, { itemIndex });
    let value: unknown;
    try {
      value = convert(field, raw);
    } catch (error) {
      // toPlatformTime says what a date-time must look like.
      throw fail((error as Error).message);
    }
    if (value === INVALID_JSON) throw fail("must be valid JSON");
    input[field.name] = value as IDataObject[string];
    const typed = locatorValue(raw);
    if (field.plate && asTyped && typeof typed === "string" && typed.trim() !== value) {
      asTyped[`${field.name}AsTyped`] = typed;
    }
  }
  return input;
}

/** The titles of an operation's fields, for errors that name a field (`vehicleCode` → `Plate`). */
export const fieldTitles = (operation: CatalogueOperation | undefined) => (name: string) =>
  operation?.fields.find((field) => field.name === name)?.title;
