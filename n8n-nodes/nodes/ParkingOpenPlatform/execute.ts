/**
 * Runs one catalogue operation for one item: reads the generated parameters back into the
 * catalogue's input (common/catalogue.ts: times as UTC+8 platform strings), calls the client, and
 * shapes the answer into n8n items.
 */
import type { CallableOperationId, PagedOperationId, PlatformClient } from "@parkbridge/shared";
import type { IDataObject, IExecuteFunctions } from "n8n-workflow";
import { readFields } from "../common/catalogue";
import { definitionOf, platformOperation } from "./operations";

type Call = (input: IDataObject) => Promise<unknown>;
type Iterate = (input: IDataObject) => AsyncIterable<unknown>;

export async function runOperation(
  context: IExecuteFunctions,
  client: PlatformClient,
  id: CallableOperationId,
  itemIndex: number,
): Promise<IDataObject | IDataObject[]> {
  const operation = platformOperation(id);
  const asTyped: IDataObject = {};
  const input = readFields(context, operation, itemIndex, operation.fields, asTyped);
  // Items of a lot's list carry the lot, so a workflow listing several lots can tell them apart.
  const ofLot = (item: IDataObject) =>
    input.parkingId !== undefined && item.parkingId === undefined ? { parkingId: input.parkingId, ...item } : item;
  if (operation.paged) {
    const returnAll = context.getNodeParameter("returnAll", itemIndex, false) as boolean;
    const limit = returnAll ? Number.POSITIVE_INFINITY : (context.getNodeParameter("limit", itemIndex, 50) as number);
    const pageSize = Math.min(1000, Number.isFinite(limit) ? limit : 1000);
    const iterate = (client.iterate as unknown as Record<PagedOperationId, Iterate>)[id as PagedOperationId];
    const items: IDataObject[] = [];
    for await (const item of iterate({ ...input, pageSize })) {
      items.push(ofLot(item as IDataObject));
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
    if (Array.isArray(record.data) && "hasMore" in record) return (record.data as IDataObject[]).map(ofLot);
    return { ...ofLot(record), ...asTyped };
  }
  // Writes answer nothing: say what was done (with a plate as it was sent, and as it was typed).
  return {
    success: true,
    operation: id,
    ...input,
    ...asTyped,
    ...(definitionOf(id).kind === "write" || result === undefined ? {} : { result: result as IDataObject[string] }),
  };
}
