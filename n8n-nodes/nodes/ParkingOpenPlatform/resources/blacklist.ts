import type { INodeProperties } from "n8n-workflow";
import { describeResource } from "../catalogue";

/** Blacklist: operations and fields generated from the shared catalogue. */
export const blacklistDescription: INodeProperties[] = describeResource("blacklist");
