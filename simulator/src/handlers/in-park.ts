/** Vehicles inside a lot, their outings and the entry/exit history. */
import { formatPlatformTime, operations, parsePlatformTime } from "@parkbridge/shared";
import { type HandlerTable, lotOf, page, Refusal } from "./common.js";

const MAX_RANGE_HOURS = operations.listAccessRecords.limits.maxRangeHours;

export const inParkHandlers: HandlerTable<"listInParkVehicles" | "authorizeOuting" | "listAccessRecords"> = {
  listInParkVehicles(request, { state }) {
    const lot = lotOf(state, request.parkingId);
    return page([...lot.inPark.values()], request, (v) => ({
      laneNo: v.laneNo,
      vehicleCode: v.vehicleCode,
      vehicleType: v.vehicleType,
      intime: v.intime,
    }));
  },
  authorizeOuting(request, { state, now }) {
    const lot = lotOf(state, request.parkingId);
    if (!lot.inPark.has(request.vehicleCode)) throw new Refusal(`车辆不在场:${request.vehicleCode}`);
    lot.outings.push({ ...request, grantedAt: formatPlatformTime(now, "second") });
    return undefined;
  },
  listAccessRecords(request, { state, now, recordLagMs = 0 }) {
    const lot = lotOf(state, request.parkingId);
    const from = parsePlatformTime(request.startTime).getTime();
    const to = parsePlatformTime(request.endTime).getTime();
    if (to - from > MAX_RANGE_HOURS * 3_600_000) {
      throw new Refusal(`查询时间范围不能超过${MAX_RANGE_HOURS}小时`);
    }
    // Under lateRecord the platform has not written its newest records yet: they appear later.
    return page(
      state.recordsBetween(lot.parkingId, from, recordLagMs > 0 ? Math.min(to, now - recordLagMs) : to),
      request,
    );
  },
};
