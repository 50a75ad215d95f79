import type { INodeProperties } from "n8n-workflow";
import { describeResource } from "../catalogue";

/** Vehicle Type: operations and fields generated from the shared catalogue. */
export const vehicleTypeDescription: INodeProperties[] = describeResource("vehicleType");
