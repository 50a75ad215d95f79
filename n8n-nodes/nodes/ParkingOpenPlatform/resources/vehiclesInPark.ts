import type { INodeProperties } from "n8n-workflow";
import { describeResource } from "../catalogue";

/** Vehicles in Park: operations and fields generated from the shared catalogue. */
export const vehiclesInParkDescription: INodeProperties[] = describeResource("vehiclesInPark");
