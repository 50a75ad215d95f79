import { callbackEventIds, callbacks, callbackTypeOfEvent } from "@parkbridge/shared";
import type { INodeProperties } from "n8n-workflow";
import { pagingProperties, TIME_HINT } from "./common";

export const eventDescription: INodeProperties[] = [
  {
    displayName: "Operation",
    name: "operation",
    type: "options",
    noDataExpression: true,
    displayOptions: { show: { resource: ["event"] } },
    options: [
      {
        name: "Query",
        value: "query",
        description: "Platform events the edge received, newest first",
        action: "Query events",
      },
    ],
    default: "query",
  },
  {
    displayName: "Filters",
    name: "filters",
    type: "collection",
    placeholder: "Add Filter",
    default: {},
    displayOptions: { show: { resource: ["event"], operation: ["query"] } },
    options: [
      {
        displayName: "Event",
        name: "type",
        type: "options",
        options: callbackEventIds.map((id) => ({
          name: callbacks[callbackTypeOfEvent(id)].title,
          value: id,
          description: callbacks[callbackTypeOfEvent(id)].description,
        })),
        default: "vehicleAccess",
      },
      { displayName: "Parking Lot ID", name: "parkingId", type: "string", default: "" },
      { displayName: "Plate", name: "vehicleCode", type: "string", default: "" },
      { displayName: "Since", name: "since", type: "dateTime", default: "", description: TIME_HINT },
      { displayName: "Until", name: "until", type: "dateTime", default: "", description: TIME_HINT },
    ],
  },
  ...pagingProperties("event", "query"),
];
