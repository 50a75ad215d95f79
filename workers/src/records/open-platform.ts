/**
 * The open platform's history as a record source (source.ts): `listParkingLots` per account, and
 * `listAccessRecords` (at most 24 h per query, paged) per lot. A record becomes the event its
 * PARKING_VEHICLE_ACCESS callback would have given: the same catalogue checks its values (shared
 * callbacks catalogue, `parseCallbackData`), the same normalisation (the one vocabulary's
 * normaliseCallback, then callbacks/normalise.ts). Its
 * direction code is the records' (1 in, 2 out), so the event's data carries the callback's (0 in,
 * 1 out); the raw row keeps the record as read.
 */
import { formatPlatformTime, normaliseCallback, type PagedItem, parseCallbackData } from "@parkbridge/shared";
import { normalised } from "../callbacks/normalise.js";
import type { RecordSource } from "./source.js";

type AccessRecord = PagedItem<"listAccessRecords">;

/** The callback's fields a record has, in the callback's order (the record's others stay in the raw row). */
const CALLBACK_FIELDS = ["vehicleCode", "vehicleType", "time", "laneNo", "laneName", "photo", "userName", "phoneNum"];

export const openPlatformRecords: RecordSource<AccessRecord> = {
  platform: "open",
  maxWindowMs: 24 * 3_600_000,

  async listLots(inv, appKey) {
    const lots = await inv.accounts.client(appKey).listParkingLots();
    return lots.map((lot) => ({ parkingId: String(lot.value), name: lot.text ? String(lot.text) : null }));
  },

  async readPage(inv, window, { pageNo, pageSize }) {
    const page = await inv.accounts.client(window.appKey).listAccessRecords({
      parkingId: window.parkingId,
      startTime: formatPlatformTime(window.from, "second"),
      endTime: formatPlatformTime(window.to, "second"),
      pageNo,
      pageSize,
    });
    return { items: page.data, hasMore: page.hasMore };
  },

  accessesOf(record, { parkingId, receivedAt }) {
    const { direction, ...asRead } = record;
    const recordId = String(record.recordId);
    if (direction === undefined) {
      return [
        {
          unusable: `record ${recordId}: accessType ${JSON.stringify(record.accessType)} is neither 1 (in) nor 2 (out)`,
        },
      ];
    }
    if (record.parkingId !== undefined && record.parkingId !== "" && record.parkingId !== parkingId) {
      return [{ unusable: `record ${recordId}: parkingId ${JSON.stringify(record.parkingId)} is not the lot read` }];
    }
    const data: Record<string, unknown> = {};
    for (const name of CALLBACK_FIELDS) {
      const value = (record as Record<string, unknown>)[name];
      if (value !== undefined) data[name] = value;
    }
    data.accessType = direction === "in" ? "0" : "1";
    data.parkingId = parkingId;
    const parsed = parseCallbackData("PARKING_VEHICLE_ACCESS", data);
    if (!parsed.ok) return [{ unusable: `record ${recordId}: ${parsed.message}` }];
    return [
      {
        recordId,
        callbackType: "PARKING_VEHICLE_ACCESS",
        callback: normalised(normaliseCallback(parsed.event, receivedAt)),
        body: JSON.stringify(asRead),
      },
    ];
  },
};
