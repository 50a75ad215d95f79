import type { INodeProperties } from "n8n-workflow";
import { describeResource } from "../catalogue";

/** Visitor: operations and fields generated from the shared catalogue. */
export const visitorDescription: INodeProperties[] = describeResource("visitor");
