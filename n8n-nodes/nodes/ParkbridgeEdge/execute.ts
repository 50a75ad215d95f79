/** One Edge operation for one item. */
import { parsePlatformTime } from "@parkbridge/shared";
import type { IDataObject, IExecuteFunctions } from "n8n-workflow";
import { NodeOperationError } from "n8n-workflow";
import { toPlatformTime } from "../common/time";
import { edgeList, edgeRequest } from "./transport";

/** A date-time parameter as the lot's local time string the Worker reads as UTC+8. */
function localTime(context: IExecuteFunctions, itemIndex: number, title: string, value: unknown): string {
  try {
    return toPlatformTime(value, "second");
  } catch (error) {
    throw new NodeOperationError(context.getNode(), `${title} ${(error as Error).message}`, { itemIndex });
  }
}

/** A date-time parameter as an ISO instant (the events API filters by instants). */
function instant(context: IExecuteFunctions, itemIndex: number, title: string, value: unknown): string {
  return parsePlatformTime(localTime(context, itemIndex, title, value)).toISOString();
}

function limitOf(context: IExecuteFunctions, itemIndex: number): number {
  return context.getNodeParameter("returnAll", itemIndex, false)
    ? Number.POSITIVE_INFINITY
    : (context.getNodeParameter("limit", itemIndex, 50) as number);
}

const text = (context: IExecuteFunctions, name: string, itemIndex: number) =>
  String(context.getNodeParameter(name, itemIndex, "") ?? "").trim();

export async function runEdgeOperation(
  context: IExecuteFunctions,
  resource: string,
  operation: string,
  itemIndex: number,
): Promise<IDataObject | IDataObject[]> {
  const key = `${resource}.${operation}`;
  switch (key) {
    case "visitorGrant.grant": {
      const extra = context.getNodeParameter("additionalFields", itemIndex, {}) as IDataObject;
      const body: IDataObject = {
        parkingId: text(context, "parkingId", itemIndex),
        vehicleCode: text(context, "vehicleCode", itemIndex),
        visitorName: text(context, "visitorName", itemIndex),
        visitorPhone: text(context, "visitorPhone", itemIndex),
        endsAt: localTime(context, itemIndex, "Ends At", context.getNodeParameter("endsAt", itemIndex)),
      };
      if (extra.startsAt) body.startsAt = localTime(context, itemIndex, "Starts At", extra.startsAt);
      if (extra.reason) body.reason = String(extra.reason);
      if (extra.laneNos) body.laneNos = String(extra.laneNos);
      if (extra.appKey) body.appKey = String(extra.appKey);
      return (await edgeRequest(context, {
        method: "POST",
        path: "/api/visitor-grants",
        body,
        itemIndex,
      })) as IDataObject;
    }
    case "visitorGrant.extend": {
      const id = encodeURIComponent(text(context, "grantId", itemIndex));
      const endsAt = localTime(context, itemIndex, "Ends At", context.getNodeParameter("endsAt", itemIndex));
      return (await edgeRequest(context, {
        method: "PATCH",
        path: `/api/visitor-grants/${id}`,
        body: { endsAt },
        itemIndex,
      })) as IDataObject;
    }
    case "visitorGrant.revoke": {
      const id = encodeURIComponent(text(context, "grantId", itemIndex));
      return (await edgeRequest(context, {
        method: "DELETE",
        path: `/api/visitor-grants/${id}`,
        itemIndex,
      })) as IDataObject;
    }
    case "visitorGrant.list": {
      const filters = context.getNodeParameter("filters", itemIndex, {}) as IDataObject;
      return await edgeList(context, "/api/visitor-grants", filters, limitOf(context, itemIndex), 100, itemIndex);
    }
    case "event.query": {
      const filters = { ...(context.getNodeParameter("filters", itemIndex, {}) as IDataObject) };
      if (filters.since) filters.since = instant(context, itemIndex, "Since", filters.since);
      if (filters.until) filters.until = instant(context, itemIndex, "Until", filters.until);
      return await edgeList(context, "/api/events", filters, limitOf(context, itemIndex), 500, itemIndex);
    }
    case "lot.getOccupancy": {
      const parkingId = encodeURIComponent(text(context, "parkingId", itemIndex));
      return (await edgeRequest(context, { method: "GET", path: `/api/lots/${parkingId}`, itemIndex })) as IDataObject;
    }
    case "lane.getStatus": {
      const parkingId = text(context, "parkingId", itemIndex);
      const answer = (await edgeRequest(context, {
        method: "GET",
        path: "/api/lanes",
        qs: { parkingId },
        itemIndex,
      })) as { items?: IDataObject[]; offline?: IDataObject[] };
      return (context.getNodeParameter("onlyOffline", itemIndex, false) ? answer.offline : answer.items) ?? [];
    }
    default:
      throw new NodeOperationError(context.getNode(), `Unknown operation ${key}`, { itemIndex });
  }
}
