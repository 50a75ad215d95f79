import type { INodeProperties } from "n8n-workflow";

/** Return All + Limit for a list operation. */
export function pagingProperties(resource: string, operation: string): INodeProperties[] {
  const show = { resource: [resource], operation: [operation] };
  return [
    {
      displayName: "Return All",
      name: "returnAll",
      type: "boolean",
      default: false,
      description: "Whether to return all results or only up to a given limit",
      displayOptions: { show },
    },
    {
      displayName: "Limit",
      name: "limit",
      type: "number",
      typeOptions: { minValue: 1 },
      default: 50,
      description: "Max number of results to return",
      displayOptions: { show: { ...show, returnAll: [false] } },
    },
  ];
}

export const TIME_HINT = "A date-time with an offset, or the lot’s local time (UTC+8) without one";
