/** Visitor bookings and discount coupons. */
import { formatPlatformTime, parsePlatformTime } from "@parkbridge/shared";
import { type HandlerTable, lotOf, Refusal } from "./common.js";

export const visitorCouponHandlers: HandlerTable<"getVisitor" | "issueCoupon"> = {
  getVisitor(request, { state }) {
    const lot = lotOf(state, request.parkingId);
    const visitor = lot.visitors.get(request.vehicleCode);
    if (!visitor) throw new Refusal(`未查询到访客信息:${request.vehicleCode}`);
    if (request.time) {
      // A recognition time outside the booking means no booking for that visit.
      const at = parsePlatformTime(request.time).getTime();
      const from = parsePlatformTime(visitor.startTime).getTime();
      const to = parsePlatformTime(visitor.endTime).getTime();
      if (at < from || at > to) throw new Refusal(`未查询到访客信息:${request.vehicleCode}(不在预约时段内)`);
    }
    return visitor;
  },
  issueCoupon(request, { state, now }) {
    const lot = lotOf(state, request.parkingId);
    if (request.expireTime && parsePlatformTime(request.expireTime).getTime() <= now) {
      throw new Refusal("到期时间不能早于当前时间");
    }
    lot.coupons.push({ ...request, couponId: state.nextCouponId(), issuedAt: formatPlatformTime(now, "second") });
    return undefined;
  },
};
