import type { INodeProperties } from "n8n-workflow";
import { describeResource } from "../catalogue";

/** Gate: operations and fields generated from the shared catalogue. */
export const gateDescription: INodeProperties[] = describeResource("gate");
