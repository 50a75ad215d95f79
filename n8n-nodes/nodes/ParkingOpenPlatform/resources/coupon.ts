import type { INodeProperties } from "n8n-workflow";
import { describeResource } from "../catalogue";

/** Coupon: operations and fields generated from the shared catalogue. */
export const couponDescription: INodeProperties[] = describeResource("coupon");
