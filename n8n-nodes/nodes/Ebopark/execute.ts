/** Runs one Ebopark operation for one item. */
import { type EboparkClient, type EboparkOperationId, eboparkOperations } from "@parkbridge/shared";
import type { IDataObject, IExecuteFunctions } from "n8n-workflow";
import { jsonParse, NodeOperationError } from "n8n-workflow";
import { readFields } from "../common/catalogue";
import { CUSTOM_CALL, eboparkNodeOperation } from "./operations";

function asItems(result: unknown): IDataObject | IDataObject[] {
  if (Array.isArray(result)) return result as IDataObject[];
  if (result && typeof result === "object") return result as IDataObject;
  return { success: true, result: (result ?? null) as IDataObject[string] };
}

type Call = (input: IDataObject) => Promise<unknown>;

export async function runEboparkOperation(
  context: IExecuteFunctions,
  client: EboparkClient,
  operation: string,
  itemIndex: number,
): Promise<IDataObject | IDataObject[]> {
  if (operation === CUSTOM_CALL) {
    const endpoint = String(context.getNodeParameter("endpoint", itemIndex)).trim();
    const body = context.getNodeParameter("body", itemIndex, "{}");
    let parsed: unknown;
    try {
      parsed = typeof body === "string" ? jsonParse(body) : body;
    } catch {
      throw new NodeOperationError(context.getNode(), "Body must be valid JSON", { itemIndex });
    }
    return asItems(await client.callPartner(endpoint, parsed));
  }
  const definition = eboparkNodeOperation(operation);
  if (!definition || !(operation in eboparkOperations)) {
    throw new NodeOperationError(context.getNode(), `Unknown operation ${operation}`, { itemIndex });
  }
  const call = (client as unknown as Record<EboparkOperationId, Call>)[operation as EboparkOperationId];
  const asTyped: IDataObject = {};
  const result = asItems(await call(readFields(context, definition, itemIndex, definition.fields, asTyped)));
  return Array.isArray(result) ? result : { ...result, ...asTyped };
}
