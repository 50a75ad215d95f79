import type { INodeProperties } from "n8n-workflow";

const show = { show: { resource: ["lane"], operation: ["getStatus"] } };

export const laneDescription: INodeProperties[] = [
  {
    displayName: "Operation",
    name: "operation",
    type: "options",
    noDataExpression: true,
    displayOptions: { show: { resource: ["lane"] } },
    options: [
      {
        name: "Get Status",
        value: "getStatus",
        description: "Whether each lane camera is online, from the latest callbacks",
        action: "Get lane status",
      },
    ],
    default: "getStatus",
  },
  {
    displayName: "Parking Lot ID",
    name: "parkingId",
    type: "string",
    default: "",
    placeholder: "e.g. park1",
    description: "Only this lot’s lanes; empty for every lot",
    displayOptions: show,
  },
  {
    displayName: "Only Offline",
    name: "onlyOffline",
    type: "boolean",
    default: false,
    description: "Whether to return only the lanes whose camera is offline",
    displayOptions: show,
  },
];
