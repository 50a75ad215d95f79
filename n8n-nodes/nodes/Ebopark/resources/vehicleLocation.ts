import type { INodeProperties } from "n8n-workflow";
import { describeEboparkResource } from "../catalogue";

/** Vehicle Location: CPGS parking guidance, generated from the shared Ebopark catalogue. */
export const vehicleLocationDescription: INodeProperties[] = describeEboparkResource("vehicleLocation");
