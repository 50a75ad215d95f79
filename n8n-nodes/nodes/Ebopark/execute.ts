/** Runs one Ebopark operation for one item. */
import { type EboparkClient, type EboparkOperationId, eboparkOperations } from "@parkbridge/shared";
import type { IDataObject, IExecuteFunctions } from "n8n-workflow";
import { jsonParse, NodeOperationError } from "n8n-workflow";
import { kindOf, metaOf } from "../common/schema";
import { CUSTOM_CALL, eboparkFields } from "./catalogue";

function readJson(context: IExecuteFunctions, itemIndex: number, title: string, value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return jsonParse(value);
  } catch {
    throw new NodeOperationError(context.getNode(), `${title} must be valid JSON`, { itemIndex });
  }
}

function collect(context: IExecuteFunctions, id: EboparkOperationId, itemIndex: number): IDataObject {
  const input: IDataObject = {};
  const additional = context.getNodeParameter("additionalFields", itemIndex, {}) as IDataObject;
  for (const field of eboparkFields(id)) {
    const raw = field.optional ? additional[field.name] : context.getNodeParameter(field.name, itemIndex);
    if (field.optional && (raw === undefined || raw === "")) continue;
    const kind = kindOf(field.schema);
    const title = `${metaOf(field.name, field.schema).title} (${field.name})`;
    if (kind === "stringList") {
      input[field.name] = Array.isArray(raw)
        ? (raw as string[])
        : String(raw ?? "")
            .split(",")
            .map((part) => part.trim())
            .filter(Boolean);
    } else if (kind === "json") {
      input[field.name] = readJson(context, itemIndex, title, raw) as IDataObject[string];
    } else {
      input[field.name] = (typeof raw === "string" ? raw.trim() : raw) as IDataObject[string];
    }
  }
  return input;
}

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
    const body = readJson(context, itemIndex, "Body", context.getNodeParameter("body", itemIndex, "{}"));
    return asItems(await client.callPartner(endpoint, body));
  }
  if (!(operation in eboparkOperations)) {
    throw new NodeOperationError(context.getNode(), `Unknown operation ${operation}`, { itemIndex });
  }
  const id = operation as EboparkOperationId;
  const input = collect(context, id, itemIndex);
  const call = (client as unknown as Record<EboparkOperationId, Call>)[id];
  return asItems(await call(input));
}
