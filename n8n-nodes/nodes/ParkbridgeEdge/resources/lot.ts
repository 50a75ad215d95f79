import type { INodeProperties } from "n8n-workflow";

export const lotDescription: INodeProperties[] = [
  {
    displayName: "Operation",
    name: "operation",
    type: "options",
    noDataExpression: true,
    displayOptions: { show: { resource: ["lot"] } },
    options: [
      {
        name: "Get Occupancy",
        value: "getOccupancy",
        description: "Live free spaces and vehicles inside, from the latest callbacks",
        action: "Get lot occupancy",
      },
    ],
    default: "getOccupancy",
  },
  {
    displayName: "Parking Lot ID",
    name: "parkingId",
    type: "string",
    default: "",
    placeholder: "e.g. park1",
    required: true,
    displayOptions: { show: { resource: ["lot"], operation: ["getOccupancy"] } },
  },
];
