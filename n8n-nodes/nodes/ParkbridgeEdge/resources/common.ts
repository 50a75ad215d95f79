import type { INodeProperties } from "n8n-workflow";
import { pagingProperties as sharedPagingProperties } from "../../common/properties";

/** Return All + Limit for a list operation. */
export function pagingProperties(resource: string, operation: string): INodeProperties[] {
  return sharedPagingProperties({ resource: [resource], operation: [operation] });
}

export const TIME_HINT = "A date-time with an offset, or the lot’s local time (UTC+8) without one";
