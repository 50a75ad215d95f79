/** Vehicle authorisations and custom vehicle types. */
import type { OperationRequest } from "@parkbridge/shared";
import type { Authorisation, Lot } from "../model.js";
import { type HandlerTable, lotOf, page, Refusal } from "./common.js";

/** The laneNos and vehicleType of a request must name things the lot has. */
function checkReferences(lot: Lot, request: OperationRequest<"addVehicle"> | OperationRequest<"updateVehicle">) {
  const isBuiltIn = request.vehicleType === "1" || request.vehicleType === "2";
  if (!isBuiltIn && !lot.vehicleTypes.some((t) => String(t.recordId) === request.vehicleType)) {
    throw new Refusal(`车辆类型不存在:${request.vehicleType}`);
  }
  for (const laneNo of request.laneNos ? request.laneNos.split(",") : []) {
    if (!lot.lanes.some((l) => l.laneNo === laneNo)) throw new Refusal(`车道编号不存在:${laneNo}`);
  }
}

/** listVehicles answers `workNo` for what addVehicle calls `workNum` (the platform's own naming). */
const listed = (a: Authorisation) => ({
  vehicleCode: a.vehicleCode,
  vehicleType: a.vehicleType,
  userName: a.userName,
  workNo: a.workNum ?? "",
  userPhoneNumber: a.userPhoneNumber,
  startTime: a.startTime,
  endTime: a.endTime,
  laneNos: a.laneNos,
  lotNum: a.lotNum,
  remark: a.remark ?? "",
});

export const vehicleHandlers: HandlerTable<
  "addVehicle" | "updateVehicle" | "deleteVehicle" | "listVehicles" | "listVehicleTypes"
> = {
  addVehicle(request, { state }) {
    const lot = lotOf(state, request.parkingId);
    if (lot.authorisations.has(request.vehicleCode))
      throw new Refusal(`车辆已存在:${request.vehicleCode},请勿重复添加`);
    checkReferences(lot, request);
    state.putAuthorisation(request);
    return undefined;
  },
  updateVehicle(request, { state }) {
    const lot = lotOf(state, request.parkingId);
    const current = lot.authorisations.get(request.vehicleCode);
    if (!current) throw new Refusal(`车辆不存在:${request.vehicleCode}`);
    checkReferences(lot, request);
    state.putAuthorisation({ ...current, ...request });
    return undefined;
  },
  deleteVehicle(request, { state }) {
    lotOf(state, request.parkingId);
    if (!state.removeAuthorisation(request.parkingId, request.vehicleCode)) {
      throw new Refusal(`车辆不存在:${request.vehicleCode}`);
    }
    return undefined;
  },
  listVehicles(request, { state }) {
    const lot = lotOf(state, request.parkingId);
    return page(state.authorisations(lot.parkingId), request, listed);
  },
  listVehicleTypes(request, { state }) {
    const lot = lotOf(state, request.parkingId);
    return { hasMore: false, data: lot.vehicleTypes };
  },
};
