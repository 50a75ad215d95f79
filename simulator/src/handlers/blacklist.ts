/** Barred vehicles. */
import { type HandlerTable, lotOf, page, Refusal } from "./common.js";

export const blacklistHandlers: HandlerTable<"addBlacklist" | "deleteBlacklist" | "listBlacklist"> = {
  addBlacklist(request, { state }) {
    const lot = lotOf(state, request.parkingId);
    // Adding a plate already listed moves its deadline, as a second registration would.
    lot.blacklist.set(request.vehicleCode, { vehicleCode: request.vehicleCode, stopTime: request.stopTime });
    return undefined;
  },
  deleteBlacklist(request, { state }) {
    const lot = lotOf(state, request.parkingId);
    if (!lot.blacklist.delete(request.vehicleCode)) throw new Refusal(`黑名单中不存在该车辆:${request.vehicleCode}`);
    return undefined;
  },
  listBlacklist(request, { state }) {
    return page([...lotOf(state, request.parkingId).blacklist.values()], request);
  },
};
