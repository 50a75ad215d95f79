/** One Edge operation for one item: its fields read into the route's path, query and body, then the call. */
import { MAX_EDGE_PAGE_SIZE } from "@parkbridge/shared";
import type { IDataObject, IExecuteFunctions } from "n8n-workflow";
import { NodeOperationError } from "n8n-workflow";
import { readFields } from "../common/catalogue";
import { edgeOperationOf } from "./operations";
import { edgeList, edgeRequest } from "./transport";

function limitOf(context: IExecuteFunctions, itemIndex: number): number {
  return context.getNodeParameter("returnAll", itemIndex, false)
    ? Number.POSITIVE_INFINITY
    : (context.getNodeParameter("limit", itemIndex, 50) as number);
}

export async function runEdgeOperation(
  context: IExecuteFunctions,
  resource: string,
  operation: string,
  itemIndex: number,
): Promise<IDataObject | IDataObject[]> {
  const route = edgeOperationOf(resource, operation);
  if (!route)
    throw new NodeOperationError(context.getNode(), `Unknown operation ${resource}.${operation}`, { itemIndex });
  const params = readFields(context, route, itemIndex, route.pathFields);
  const path = route.path.replace(/\{(\w+)\}/g, (_all, name: string) => encodeURIComponent(String(params[name] ?? "")));
  const qs = readFields(context, route, itemIndex, route.queryFields);
  if (route.paged) return await edgeList(context, path, qs, limitOf(context, itemIndex), MAX_EDGE_PAGE_SIZE, itemIndex);
  const asTyped: IDataObject = {};
  const body =
    route.bodyFields.length > 0 ? readFields(context, route, itemIndex, route.bodyFields, asTyped) : undefined;
  const answer = await edgeRequest(context, { method: route.method, path, qs, itemIndex, ...(body ? { body } : {}) });
  if (route.answer) return route.answer(answer, context, itemIndex);
  // A grant answers the plate as the platform has it; next to it, the plate as it was typed.
  return { ...(answer as IDataObject), ...asTyped };
}
