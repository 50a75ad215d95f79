import type { INodeProperties } from "n8n-workflow";
import { describeResource } from "../catalogue";

/** Parking Lot: operations and fields generated from the shared catalogue. */
export const parkingLotDescription: INodeProperties[] = describeResource("parkingLot");
