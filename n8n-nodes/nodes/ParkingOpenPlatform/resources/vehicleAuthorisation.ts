import type { INodeProperties } from "n8n-workflow";
import { describeResource } from "../catalogue";

/** Vehicle Authorisation: operations and fields generated from the shared catalogue. */
export const vehicleAuthorisationDescription: INodeProperties[] = describeResource("vehicleAuthorisation");
