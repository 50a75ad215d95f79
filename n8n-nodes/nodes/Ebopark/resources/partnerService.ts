import type { INodeProperties } from "n8n-workflow";
import { describeEboparkResource } from "../catalogue";

/** Partner Service: the known partnerService calls and a signed custom call. */
export const partnerServiceDescription: INodeProperties[] = describeEboparkResource("partnerService");
