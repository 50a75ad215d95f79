import type { INodeProperties } from "n8n-workflow";
import { describeResource } from "../catalogue";

/** Access Records: operations and fields generated from the shared catalogue. */
export const accessRecordsDescription: INodeProperties[] = describeResource("accessRecords");
