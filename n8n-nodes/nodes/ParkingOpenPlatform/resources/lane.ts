import type { INodeProperties } from "n8n-workflow";
import { describeResource } from "../catalogue";

/** Lane: operations and fields generated from the shared catalogue. */
export const laneDescription: INodeProperties[] = describeResource("lane");
