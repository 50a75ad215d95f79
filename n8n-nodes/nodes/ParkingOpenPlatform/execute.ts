/**
 * Runs one catalogue operation for one item: reads the generated parameters back into the
 * catalogue's input shape (times converted to UTC+8 platform strings), calls the client, and
 * shapes the answer into n8n items.
 */
import type { CallableOperationId, PagedOperationId, PlatformClient } from "@parkbridge/shared";
import type { IDataObject, IExecuteFunctions } from "n8n-workflow";
import { NodeOperationError } from "n8n-workflow";
import { kindOf, metaOf } from "../common/schema";
import { toPlatformTime } from "../common/time";
import { type CatalogueField, definitionOf, fieldsOf, isPaged } from "./catalogue";

/** A resource locator's value, or the value itself. */
function locatorValue(value: unknown): unknown {
  if (value && typeof value === "object" && "__rl" in value) return (value as { value?: unknown }).value;
  return value;
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === "" || (Array.isArray(value) && value.length === 0);
}

function convert(context: IExecuteFunctions, itemIndex: number, field: CatalogueField, raw: unknown): unknown {
  const meta = metaOf(field.name, field.schema);
  const value = locatorValue(raw);
  if (meta.timeFormat) {
    try {
      return toPlatformTime(value, meta.timeFormat);
    } catch (error) {
      throw new NodeOperationError(context.getNode(), `${meta.title} (${field.name}) ${(error as Error).message}`, {
        itemIndex,
      });
    }
  }
  if (field.name === "laneNos" && Array.isArray(value)) return value.join(",");
  if (kindOf(field.schema) === "number" && typeof value === "string" && value.trim() !== "") return Number(value);
  if (typeof value === "string") return value.trim();
  return value;
}

export function collectInput(context: IExecuteFunctions, id: CallableOperationId, itemIndex: number): IDataObject {
  const input: IDataObject = {};
  const additional = context.getNodeParameter("additionalFields", itemIndex, {}) as IDataObject;
  for (const field of fieldsOf(id)) {
    const raw = field.optional
      ? additional[field.name]
      : context.getNodeParameter(field.name, itemIndex, undefined, { extractValue: true });
    if (field.optional && isEmpty(locatorValue(raw))) continue;
    input[field.name] = convert(context, itemIndex, field, raw) as IDataObject[string];
  }
  return input;
}

type Call = (input: IDataObject) => Promise<unknown>;
type Iterate = (input: IDataObject) => AsyncIterable<unknown>;

export async function runOperation(
  context: IExecuteFunctions,
  client: PlatformClient,
  id: CallableOperationId,
  itemIndex: number,
): Promise<IDataObject | IDataObject[]> {
  const input = collectInput(context, id, itemIndex);
  if (isPaged(id)) {
    const returnAll = context.getNodeParameter("returnAll", itemIndex, false) as boolean;
    const limit = returnAll ? Number.POSITIVE_INFINITY : (context.getNodeParameter("limit", itemIndex, 50) as number);
    const pageSize = Math.min(1000, Number.isFinite(limit) ? limit : 1000);
    const iterate = (client.iterate as unknown as Record<PagedOperationId, Iterate>)[id as PagedOperationId];
    const items: IDataObject[] = [];
    for await (const item of iterate({ ...input, pageSize })) {
      items.push(item as IDataObject);
      if (items.length >= limit) break;
    }
    return items;
  }
  const call = (client as unknown as Record<CallableOperationId, Call>)[id];
  const result = await call(input);
  if (Array.isArray(result)) return result as IDataObject[];
  if (result && typeof result === "object") {
    const record = result as IDataObject;
    // Paged-shaped answers without paging input (vehicle types): one item per entry.
    if (Array.isArray(record.data) && "hasMore" in record) return record.data as IDataObject[];
    return input.parkingId !== undefined && record.parkingId === undefined
      ? { parkingId: input.parkingId, ...record }
      : record;
  }
  // Writes answer nothing: say what was done.
  return {
    success: true,
    operation: id,
    ...input,
    ...(definitionOf(id).kind === "write" || result === undefined ? {} : { result: result as IDataObject[string] }),
  };
}
