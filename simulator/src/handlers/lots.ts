/** Parking lots, lanes, space counts and gates. */
import { formatPlatformTime } from "@parkbridge/shared";
import { type HandlerTable, lotOf, Refusal } from "./common.js";

export const lotHandlers: HandlerTable<"listParkingLots" | "getLotStats" | "listLanes" | "openGate"> = {
  listParkingLots(_request, { state }) {
    return state.lots().map((lot) => ({ value: lot.parkingId, text: lot.name }));
  },
  getLotStats(request, { state }) {
    return state.stats(lotOf(state, request.parkingId).parkingId);
  },
  listLanes(request, { state }) {
    return lotOf(state, request.parkingId).lanes.map((lane) => ({ laneNo: lane.laneNo, laneName: lane.laneName }));
  },
  openGate(request, { state, now }) {
    const found = state.lane(request.laneId);
    if (!found) throw new Refusal(`车道不存在:${request.laneId}`);
    if (!found.lane.cameraOnline) throw new Refusal(`车道设备离线:${found.lane.laneName}`);
    found.lot.gateOpenings.push({
      laneId: found.lane.laneId,
      laneNo: found.lane.laneNo,
      at: formatPlatformTime(now, "second"),
    });
    return undefined;
  },
};
