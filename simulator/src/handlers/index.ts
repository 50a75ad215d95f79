/**
 * One handler per callable operation. The table's type is derived from the catalogue, so an
 * operation without a handler does not compile.
 */
import type { CallableOperationId } from "@parkbridge/shared";
import { blacklistHandlers } from "./blacklist.js";
import type { HandlerTable } from "./common.js";
import { inParkHandlers } from "./in-park.js";
import { lotHandlers } from "./lots.js";
import { vehicleHandlers } from "./vehicles.js";
import { visitorCouponHandlers } from "./visitors-coupons.js";

export { type Handler, type HandlerContext, Refusal } from "./common.js";

export const handlers: HandlerTable<CallableOperationId> = {
  ...vehicleHandlers,
  ...lotHandlers,
  ...inParkHandlers,
  ...blacklistHandlers,
  ...visitorCouponHandlers,
};
